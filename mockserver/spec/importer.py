"""Split the published markdown into one fragment file per operation.

The published API document is markdown with one fenced ```` ```json ```` block per
operation; each block is a complete, small OpenAPI 3.0 document. The importer
writes each block, byte for byte plus a final newline, to
``<dest>/<family>/<operationId>.json``. It never edits a block: the fragments stay
the publisher's text, so ``git diff`` after importing a new edition shows exactly
what the publisher changed. Files of operations that left the edition are deleted.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mockserver.spec.errors import FragmentImportError
from mockserver.spec.layout import FAMILIES, family_of, operations

logger = logging.getLogger(__name__)

_FENCE_OPEN = "```json"
_FENCE_CLOSE = "```"


@dataclass(frozen=True)
class Block:
    """One fenced JSON block: its exact text and the markdown line it starts on."""

    line: int
    text: str


def split_blocks(markdown: str, *, source: str = "markdown") -> list[Block]:
    """Return the ```` ```json ```` blocks of ``markdown`` in order.

    ``line`` is the 1-based line of the opening fence. The text is the lines
    between the fences, joined exactly as they were (line endings kept, the last
    line ending dropped). Raises :class:`FragmentImportError` for a block that is
    never closed.
    """
    blocks: list[Block] = []
    lines = markdown.splitlines(keepends=True)
    start: int | None = None
    body: list[str] = []
    for number, line in enumerate(lines, start=1):
        bare = line.rstrip("\r\n")
        if start is None:
            if bare.strip() == _FENCE_OPEN:
                start, body = number, []
        elif bare.strip() == _FENCE_CLOSE:
            text = "".join(body)
            if text.endswith("\r\n"):
                text = text[:-2]
            elif text.endswith("\n"):
                text = text[:-1]
            blocks.append(Block(start, text))
            start = None
        else:
            body.append(line)
    if start is not None:
        raise FragmentImportError(
            f"{source}:{start}: the ```json block opened here is never closed; the "
            "markdown is probably truncated: fetch the complete edition"
        )
    return blocks


@dataclass(frozen=True)
class ParsedBlock:
    """A block that passed the checks, with where its fragment file goes."""

    block: Block
    family: str
    operation_id: str
    doc: dict[str, Any]

    @property
    def relative(self) -> Path:
        """The fragment's path below the fragments folder."""
        return Path(self.family) / f"{self.operation_id}.json"


def parse_block(block: Block, *, source: str = "markdown") -> ParsedBlock:
    """Check one block and work out its family and operationId.

    Raises :class:`FragmentImportError` naming ``source`` and the block's line when
    the block is not valid JSON, is not one operation with a path, a method and an
    operationId, or has a path of no known family.
    """
    where = f"{source}:{block.line}"
    try:
        doc = json.loads(block.text)
    except json.JSONDecodeError as exc:
        raise FragmentImportError(
            f"{where}: the block is not valid JSON ({exc.msg} at block line "
            f"{exc.lineno}, column {exc.colno}); the edition is damaged: report it to "
            "the publisher, or fix the block in the markdown and import again"
        ) from exc
    if not isinstance(doc, dict):
        raise FragmentImportError(
            f"{where}: the block is a JSON {type(doc).__name__}, not an OpenAPI "
            "document; every block must be one small OpenAPI document"
        )
    ops = list(operations(doc))
    if len(ops) != 1:
        raise FragmentImportError(
            f"{where}: the block holds {len(ops)} operations (path + method) under "
            "'paths', expected exactly one; a block without 'paths' or with several "
            "operations cannot be filed by operationId: split or fix it in the markdown"
        )
    op = ops[0]
    if not op.operation_id:
        raise FragmentImportError(
            f"{where}: {op.method.upper()} {op.path} has no operationId; the fragment "
            "would have no file name and no handler: add one in the markdown"
        )
    family = family_of(op.path)
    if family is None:
        raise FragmentImportError(
            f"{where}: path {op.path} belongs to none of the families "
            f"{', '.join(FAMILIES)}; extend the family table in "
            "mockserver/spec/layout.py if the API grew a new family"
        )
    return ParsedBlock(block, family, op.operation_id, doc)


def parse_markdown(markdown: str, *, source: str = "markdown") -> list[ParsedBlock]:
    """Parse every block and check operationIds are unique across the edition."""
    parsed = [
        parse_block(b, source=source) for b in split_blocks(markdown, source=source)
    ]
    seen: dict[str, int] = {}
    for item in parsed:
        if item.operation_id in seen:
            raise FragmentImportError(
                f"{source}:{item.block.line}: operationId {item.operation_id!r} is "
                f"already used by the block on line {seen[item.operation_id]}; two "
                "fragments cannot share a file: rename one in the markdown"
            )
        seen[item.operation_id] = item.block.line
    return parsed


def import_fragments(source: Path, dest: Path) -> list[Path]:
    """Write each block of the markdown ``source`` into ``dest/<family>/<id>.json``.

    ``dest`` is the fragments folder (``spec/fragments`` in the repository). The
    whole edition is checked before anything is written, so a bad block leaves the
    folder untouched. Unchanged files are not rewritten; fragment files of
    operations no longer in the edition are removed. Returns the fragment paths in
    the order of the markdown.
    """
    try:
        markdown = source.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FragmentImportError(
            f"{source}: cannot be read as UTF-8 text ({exc}); pass the published "
            "markdown file with --source"
        ) from exc
    parsed = parse_markdown(markdown, source=str(source))
    written: list[Path] = []
    changed = 0
    for item in parsed:
        path = dest / item.relative
        data = (item.block.text + "\n").encode("utf-8")
        if not path.exists() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            changed += 1
        written.append(path)
    keep = set(written)
    removed = 0
    for family in FAMILIES:
        for stale in sorted((dest / family).glob("*.json")):
            if stale not in keep:
                stale.unlink()
                removed += 1
                logger.info("removed %s: its operation left the edition", stale)
    logger.info(
        "imported %d fragments from %s (%d written, %d removed)",
        len(written),
        source,
        changed,
        removed,
    )
    return written
