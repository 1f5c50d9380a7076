"""Tests of mockserver.spec.layout: families, fragment loading, stable JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mockserver.spec.errors import FragmentError
from mockserver.spec.layout import (
    Fragment,
    family_of,
    load_fragments,
    load_project,
    operations,
    write_json,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("path", "family"),
    [
        ("/identity/entity", "entities"),
        ("/identity/entity-alias/id/{id}", "entities"),
        ("/identity/alias/id", "entities"),
        ("/identity/persona/id/{id}", "entities"),
        ("/identity/group-alias", "groups"),
        ("/identity/group/name/{name}", "groups"),
        ("/identity/lookup/group", "lookup"),
        ("/identity/mfa/login-enforcement/{name}", "mfa"),
        ("/identity/oidc/provider/{name}/token", "oidc"),
        ("/identity/entityfoo", None),
        ("/sys/auth", None),
    ],
)
def test_family_of(path: str, family: str | None) -> None:
    assert family_of(path) == family


def test_loads_every_published_and_project_fragment() -> None:
    fragments = load_fragments(ROOT)
    assert len(fragments) == 103
    assert all(f.file.parts[:2] == ("spec", "fragments") for f in fragments)
    create = next(f for f in fragments if f.operation_id == "entity-create")
    assert create.family == "entities"
    assert create.operation.method == "post"
    assert create.operation.pointer == "/paths/~1identity~1entity/post"
    assert create.repair_file == Path("spec/repairs/entities/entity-create.json")
    project = {f.operation_id for f in load_project(ROOT)}
    assert {"sys-auth-list", "sys-auth-enable", "sys-auth-disable"} <= project
    assert {"sys-health-read", "sys-seal-status-read"} <= project


def test_missing_fragments_folder_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(FragmentError, match="run 'vaultmock spec import' first"):
        load_fragments(tmp_path)


def test_broken_fragment_names_file_and_position(tmp_path: Path) -> None:
    folder = tmp_path / "spec/fragments/oidc"
    folder.mkdir(parents=True)
    (folder / "x.json").write_text('{"paths": \n  nope}', encoding="utf-8")
    with pytest.raises(
        FragmentError, match=r"spec/fragments/oidc/x\.json:2:3: not valid JSON"
    ):
        load_fragments(tmp_path)
    (folder / "x.json").write_text("[]", encoding="utf-8")
    with pytest.raises(FragmentError, match="holds a JSON list"):
        load_fragments(tmp_path)


def test_fragment_without_operation() -> None:
    fragment = Fragment(Path("spec/project/x.json"), "project", {"paths": {}})
    with pytest.raises(FragmentError, match="holds no operation"):
        _ = fragment.operation


def test_operations_skip_non_methods() -> None:
    doc = {
        "paths": {
            "/a/{id}": {"parameters": [], "get": {"operationId": "a"}, "post": {}}
        }
    }
    assert [(o.method, o.operation_id) for o in operations(doc)] == [
        ("get", "a"),
        ("post", None),
    ]
    assert list(operations({"paths": None})) == []


def test_write_json_is_stable_and_touches_only_changes(tmp_path: Path) -> None:
    path = tmp_path / "deep/out.json"
    assert write_json(path, {"b": 1, "a": "é"})
    assert path.read_text(encoding="utf-8") == '{\n "a": "é",\n "b": 1\n}\n'
    assert not write_json(path, {"a": "é", "b": 1})
    assert json.loads(path.read_text(encoding="utf-8")) == {"a": "é", "b": 1}
