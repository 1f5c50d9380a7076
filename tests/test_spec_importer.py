"""Tests of mockserver.spec.importer: markdown blocks become fragment files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mockserver.spec import import_fragments
from mockserver.spec.errors import FragmentImportError
from mockserver.spec.importer import parse_markdown, split_blocks

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "spec/source/identity-api.md"
FRAGMENTS = ROOT / "spec/fragments"


def _fragment_md(
    op_id: str | None, path: str = "/identity/entity", method: str = "post"
) -> str:
    op: dict[str, object] = {"responses": {"204": {"description": "ok"}}}
    if op_id is not None:
        op["operationId"] = op_id
    doc = {"openapi": "3.0.2", "info": {}, "paths": {path: {method: op}}}
    return "```json\n" + json.dumps(doc) + "\n```\n"


def test_round_trip_is_byte_for_byte(tmp_path: Path) -> None:
    written = import_fragments(SOURCE, tmp_path)
    markdown = SOURCE.read_text(encoding="utf-8")
    published = re.findall(r"```json\n(.*?)\n```", markdown, re.S)
    assert len(written) == len(published) == 103
    for path, block in zip(written, published, strict=True):
        assert path.read_bytes() == (block + "\n").encode("utf-8")


def test_committed_fragments_match_a_fresh_import(tmp_path: Path) -> None:
    import_fragments(SOURCE, tmp_path)
    fresh = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*.json")}
    committed = {
        p.relative_to(FRAGMENTS): p.read_bytes() for p in FRAGMENTS.rglob("*.json")
    }
    assert fresh == committed


def test_files_are_named_by_family_and_operation_id(tmp_path: Path) -> None:
    written = import_fragments(SOURCE, tmp_path)
    relative = {p.relative_to(tmp_path).as_posix() for p in written}
    assert "entities/entity-create.json" in relative
    assert "entities/alias-create.json" in relative
    assert "entities/persona-read-by-id.json" in relative
    assert "entities/entity-create-alias.json" in relative
    assert "groups/group-create-alias.json" in relative
    assert "lookup/entity-look-up.json" in relative
    assert "mfa/mfa-write-login-enforcement.json" in relative
    assert "oidc/oidc-provider-token.json" in relative
    counts: dict[str, int] = {}
    for p in written:
        counts[p.parent.name] = counts.get(p.parent.name, 0) + 1
    assert counts == {"entities": 26, "groups": 14, "lookup": 2, "mfa": 23, "oidc": 38}


def test_rerun_is_idempotent_and_removes_stale_files(tmp_path: Path) -> None:
    first = import_fragments(SOURCE, tmp_path)
    stamps = {p: p.stat().st_mtime_ns for p in first}
    stale = tmp_path / "oidc" / "oidc-gone.json"
    stale.write_text("{}\n", encoding="utf-8")
    second = import_fragments(SOURCE, tmp_path)
    assert second == first
    assert {p: p.stat().st_mtime_ns for p in second} == stamps
    assert not stale.exists()


def test_changed_block_rewrites_only_its_file(tmp_path: Path) -> None:
    source = tmp_path / "edition.md"
    source.write_text(
        _fragment_md("entity-create") + _fragment_md("group-create", "/identity/group")
    )
    dest = tmp_path / "fragments"
    import_fragments(source, dest)
    source.write_text(
        _fragment_md("entity-create", method="put")
        + _fragment_md("group-create", "/identity/group")
    )
    import_fragments(source, dest)
    assert '"put"' in (dest / "entities/entity-create.json").read_text()


def test_invalid_json_names_the_markdown_line(tmp_path: Path) -> None:
    source = tmp_path / "edition.md"
    source.write_text(
        "# T\n\n" + _fragment_md("entity-create") + '\n```json\n{"openapi": \n```\n'
    )
    with pytest.raises(
        FragmentImportError, match=r"edition\.md:7: the block is not valid JSON"
    ):
        import_fragments(source, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (_fragment_md(None), r":1: POST /identity/entity has no operationId"),
        (
            '```json\n{"openapi": "3.0.2", "info": {}}\n```\n',
            r":1: the block holds 0 operations",
        ),
        ("```json\n[1, 2]\n```\n", r":1: the block is a JSON list"),
        (
            _fragment_md("x", "/sys/mounts"),
            r":1: path /sys/mounts belongs to none of the families",
        ),
        ("```json\n{}\n", r":1: the ```json block opened here is never closed"),
    ],
)
def test_refuses_blocks_it_cannot_file(
    tmp_path: Path, block: str, message: str
) -> None:
    source = tmp_path / "edition.md"
    source.write_text(block)
    with pytest.raises(FragmentImportError, match=message):
        import_fragments(source, tmp_path / "out")


def test_duplicate_operation_ids_are_refused() -> None:
    markdown = _fragment_md("entity-create") + _fragment_md("entity-create")
    with pytest.raises(
        FragmentImportError,
        match=r"md:4: operationId 'entity-create' is already used by the block on line 1",
    ):
        parse_markdown(markdown, source="md")


def test_split_keeps_the_exact_text_of_a_block() -> None:
    markdown = 'intro\n```json\n{ "a" :1 }\r\n  \n```\ntext\n```python\nx\n```\n'
    blocks = split_blocks(markdown)
    assert [(b.line, b.text) for b in blocks] == [(2, '{ "a" :1 }\r\n  ')]


def test_unreadable_source_says_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(
        FragmentImportError, match="pass the published markdown file with --source"
    ):
        import_fragments(tmp_path / "missing.md", tmp_path)
