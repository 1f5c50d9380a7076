"""Tests of mockserver.spec.repairs: reading and applying the repair files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mockserver.spec.errors import RepairError
from mockserver.spec.layout import Fragment, load_fragments, load_project
from mockserver.spec.repairs import check_ops, load_repairs, orphan_patches

ROOT = Path(__file__).resolve().parent.parent


def test_every_repair_file_is_well_formed() -> None:
    repairs = load_repairs(ROOT)
    fragments = load_fragments(ROOT) + load_project(ROOT)
    on_disk = [
        p
        for p in (ROOT / "spec/repairs").rglob("*.json")
        if p.parent.name != "components"
        and p.name not in ("document.json", "every-operation.json")
    ]
    assert len(repairs.patches) == len(on_disk)
    assert len(repairs.components) == len(
        list((ROOT / "spec/repairs/components").glob("*.json"))
    )
    assert orphan_patches(repairs, fragments) == []
    for ops in [*repairs.patches.values(), repairs.document, repairs.every_operation]:
        assert all(op["why"].strip() for op in ops)
    assert all(c.why and c.schema for c in repairs.components.values())


def test_no_repair_closes_a_request_schema() -> None:
    for path in sorted((ROOT / "spec/repairs").rglob("*.json")):
        assert '"additionalProperties": false' not in path.read_text(
            encoding="utf-8"
        ), path


def test_patch_applies_to_a_copy() -> None:
    repairs = load_repairs(ROOT)
    fragment = next(
        f for f in load_fragments(ROOT) if f.operation_id == "entity-update-by-id"
    )
    before = json.dumps(fragment.doc, sort_keys=True)
    patched = repairs.patch(fragment)
    responses = patched["paths"]["/identity/entity/id/{id}"]["post"]["responses"]
    assert "200" not in responses
    assert responses["204"] == {"description": "The entity was written: no body."}
    assert json.dumps(fragment.doc, sort_keys=True) == before
    unpatched = Fragment(Path("spec/project/none.json"), "project", {"paths": {}})
    assert repairs.patch(unpatched) == {"paths": {}}


def test_document_settings_add_the_token_scheme_everywhere() -> None:
    base = {
        "paths": {},
        "components": {"schemas": {"ErrorResponse": {"type": "object"}}},
    }
    settings = load_repairs(ROOT).document_settings(base)
    assert base == {
        "paths": {},
        "components": {"schemas": {"ErrorResponse": {"type": "object"}}},
    }
    assert settings["components"]["schemas"]["ErrorResponse"]["required"] == ["errors"]
    assert settings["components"]["securitySchemes"] == {
        "VaultToken": {
            "type": "apiKey",
            "in": "header",
            "name": "X-Vault-Token",
            "description": settings["components"]["securitySchemes"]["VaultToken"][
                "description"
            ],
        }
    }
    assert settings["security"] == [{"VaultToken": []}]
    assert settings["servers"][0]["url"] == "/v1"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"op": "add"}', "must hold a JSON array of JSON Patch operations"),
        ("[1]", "op #0: must be a JSON object"),
        ('[{"op": "remove", "path": "/a"}]', r"op #0 \(remove /a\): has no 'why'"),
        ('[{"op": "remove", "path": "/a", "why": "  "}]', "has no 'why'"),
    ],
)
def test_malformed_patch_files_are_refused(
    tmp_path: Path, content: str, message: str
) -> None:
    folder = tmp_path / "spec/repairs/oidc"
    folder.mkdir(parents=True)
    (folder / "oidc-read-key.json").write_text(content, encoding="utf-8")
    with pytest.raises(RepairError, match=message):
        load_repairs(tmp_path)


def test_malformed_component_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "spec/repairs/components"
    folder.mkdir(parents=True)
    (folder / "Thing.json").write_text('{"type": "object"}', encoding="utf-8")
    with pytest.raises(RepairError, match=r"Thing\.json: must be \{\"why\""):
        load_repairs(tmp_path)


def test_a_patch_that_no_longer_applies_names_its_file(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "spec", tmp_path / "spec")
    fragment = tmp_path / "spec/fragments/entities/entity-update-by-id.json"
    doc = json.loads(fragment.read_text(encoding="utf-8"))
    del doc["paths"]["/identity/entity/id/{id}"]["post"]["responses"]["200"]
    fragment.write_text(json.dumps(doc), encoding="utf-8")
    repairs = load_repairs(tmp_path)
    changed = next(
        f for f in load_fragments(tmp_path) if f.operation_id == "entity-update-by-id"
    )
    with pytest.raises(
        RepairError,
        match=r"spec/repairs/entities/entity-update-by-id\.json op #1: remove .* does not apply",
    ):
        repairs.patch(changed)


def test_orphan_patches_are_found(tmp_path: Path) -> None:
    folder = tmp_path / "spec/repairs/oidc"
    folder.mkdir(parents=True)
    (folder / "oidc-gone.json").write_text("[]", encoding="utf-8")
    assert orphan_patches(load_repairs(tmp_path), []) == [
        Path("spec/repairs/oidc/oidc-gone.json")
    ]


def test_check_ops_passes_good_ops_through() -> None:
    ops = [{"op": "remove", "path": "/a", "why": "the server never sends it"}]
    assert check_ops(ops, Path("x.json")) is ops


def test_every_operation_repair_adds_only_where_nothing_is_documented() -> None:
    from mockserver.spec.repairs import Repairs

    repairs = Repairs(
        every_operation=[
            {
                "op": "add",
                "path": "/responses/400",
                "where": "/requestBody",
                "unless": "/responses/400",
                "value": {"description": "body"},
                "why": "a body that is not an object",
            },
            {
                "op": "add",
                "path": "/responses/400",
                "unless": "/responses/400",
                "value": {"description": "path"},
                "why": "a path that is not printable",
            },
        ]
    )
    base = {
        "paths": {
            "/a": {
                "get": {"responses": {"200": {"description": "ok"}}},
                "post": {"requestBody": {}, "responses": {}},
                "parameters": [],
            },
            "/b": {"delete": {"responses": {"400": {"description": "own"}}}},
        }
    }
    result = repairs.every_operation_settings(base)
    assert result["paths"]["/a"]["get"]["responses"]["400"] == {"description": "path"}
    assert result["paths"]["/a"]["post"]["responses"]["400"] == {"description": "body"}
    assert result["paths"]["/b"]["delete"]["responses"]["400"] == {"description": "own"}
    assert result["paths"]["/a"]["parameters"] == []
    assert "400" not in base["paths"]["/a"]["get"]["responses"]
    assert repairs.every_operation_statuses() == frozenset({"400"})


def test_every_operation_repair_checks_its_selectors(tmp_path: Path) -> None:
    from mockserver.spec.repairs import check_every_operation_ops

    ops = [{"op": "add", "path": "/x", "value": 1, "why": "w", "where": "x"}]
    with pytest.raises(RepairError, match="'where' must be a JSON pointer"):
        check_every_operation_ops(ops, tmp_path / "every-operation.json")


def test_the_repaired_document_documents_the_refused_path_everywhere() -> None:
    doc = json.loads((ROOT / "mockserver/data/openapi.json").read_text("utf-8"))
    for item in doc["paths"].values():
        for method, op in item.items():
            if method in ("get", "post", "put", "delete", "patch"):
                assert "400" in op["responses"], op["operationId"]
