"""Tests of mockserver.spec.merge: one document from fragments and repairs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from mockserver.spec import build_document, write_document
from mockserver.spec.errors import BuildError, UnrepairedDefectError
from mockserver.spec.layout import load_fragments, load_project, operations
from mockserver.spec.merge import build_published_document, dumps, merge_documents

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_document(ROOT)


def _ids(doc: dict[str, Any]) -> list[str]:
    return [op.operation_id or "" for op in operations(doc)]


def test_holds_every_published_and_project_operation_once(
    document: dict[str, Any],
) -> None:
    published = {f.operation_id for f in load_fragments(ROOT)}
    project = {f.operation_id for f in load_project(ROOT)}
    ids = _ids(document)
    assert len(published) == 103
    assert len(ids) == len(set(ids)) == len(published | project)
    assert set(ids) == published | project


def test_operations_on_one_template_share_a_path_item(document: dict[str, Any]) -> None:
    item = document["paths"]["/identity/entity/id/{id}"]
    assert {m: item[m]["operationId"] for m in ("get", "post", "delete")} == {
        "get": "entity-read-by-id",
        "post": "entity-update-by-id",
        "delete": "entity-delete-by-id",
    }
    assert list(document["paths"]) == sorted(document["paths"])


def test_keeps_internal_refs_and_inlines_no_file(document: dict[str, Any]) -> None:
    text = json.dumps(document)
    assert text.count('"$ref": "#/components/schemas/') > 200
    assert ".json#" not in text
    schemas = document["components"]["schemas"]
    assert schemas["EntityReadByIdResponse"]["properties"]["data"] == {
        "$ref": "#/components/schemas/EntityRecord"
    }
    assert schemas["OidcProviderPublicKeys"] == {
        "$ref": "#/components/schemas/OidcPublicKeysResponse"
    }


def test_security_and_list_conventions(document: dict[str, Any]) -> None:
    assert document["security"] == [{"VaultToken": []}]
    open_ops = {
        op.operation_id
        for op in operations(document)
        if document["paths"][op.path][op.method].get("security") == []
    }
    identity_and_sys = {
        op
        for op in open_ops
        if op and (op.startswith(("oidc-", "entity-", "group-", "mfa-", "sys-")))
    }
    assert identity_and_sys == {
        "oidc-provider-token",
        "oidc-provider-user-info",
        "oidc-provider-user-info2",
        "oidc-read-open-id-configuration",
        "oidc-read-provider-open-id-configuration",
        "oidc-read-provider-public-keys",
        "oidc-read-public-keys",
        "sys-health-read",
        "sys-seal-status-read",
    }
    listing = document["paths"]["/identity/entity/id"]["get"]
    assert listing["parameters"][0]["name"] == "list"
    assert sorted(listing["responses"]) == ["200", "400", "403", "404", "405", "500"]
    update = document["paths"]["/identity/group/id/{id}"]["post"]
    assert "200" not in update["responses"]
    assert "content" not in update["responses"]["204"]
    assert update["requestBody"]["required"] is False


def test_template_text_is_kept(document: dict[str, Any]) -> None:
    assert "{{entity.name}}@example.com" in json.dumps(document)


def test_committed_document_is_a_fresh_build(document: dict[str, Any]) -> None:
    committed = (ROOT / "mockserver/data/openapi.json").read_text(encoding="utf-8")
    assert committed == dumps(document), (
        "run 'vaultmock spec build' and commit the result"
    )
    published = (ROOT / "mockserver/data/openapi-published.json").read_text(
        encoding="utf-8"
    )
    assert published == dumps(build_published_document(ROOT))


def test_build_is_deterministic(document: dict[str, Any]) -> None:
    assert dumps(build_document(ROOT)) == dumps(document)


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "spec", tmp_path / "spec")
    return tmp_path


def test_an_unrepaired_defect_fails_the_build_naming_file_and_pointer(
    tmp_path: Path,
) -> None:
    root = _copy(tmp_path)
    (root / "spec/repairs/entities/entity-read-by-name.json").unlink()
    with pytest.raises(UnrepairedDefectError) as caught:
        build_document(root)
    message = str(caught.value)
    assert (
        "spec/fragments/entities/entity-read-by-name.json#/paths/~1identity~1entity~1name~1{name}/get/parameters: "
        "undeclared-path-param: path parameter {name} of /identity/entity/name/{name} is not declared [UNREPAIRED]"
    ) in message
    assert "add a JSON Patch op to spec/repairs/<family>/<operationId>.json" in message
    assert {d.file.name for d in caught.value.defects} == {"entity-read-by-name.json"}


def test_a_removed_component_fails_the_build(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "spec/repairs/components/OidcReadKeyResponse.json").unlink()
    with pytest.raises(
        UnrepairedDefectError,
        match=r"oidc-read-key\.json#/paths/.*/\$ref: dangling-ref",
    ):
        build_document(root)


def test_an_orphan_patch_fails_the_build(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "spec/fragments/oidc/oidc-read-key.json").unlink()
    with pytest.raises(
        BuildError,
        match=r"spec/repairs/oidc/oidc-read-key\.json: repair\(s\) for a fragment that does not exist",
    ):
        build_document(root)


def test_a_component_that_shadows_a_fragment_schema_fails(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "spec/repairs/components/ErrorResponse.json").write_text(
        '{"why": "x", "schema": {"type": "object"}}', encoding="utf-8"
    )
    with pytest.raises(
        BuildError,
        match="defines schema 'ErrorResponse', which a fragment already defines",
    ):
        build_document(root)


def test_write_document(tmp_path: Path) -> None:
    out = write_document(ROOT, tmp_path / "data/openapi.json")
    stamp = out.stat().st_mtime_ns
    assert json.loads(out.read_text(encoding="utf-8"))["openapi"] == "3.0.2"
    write_document(ROOT, out)
    assert out.stat().st_mtime_ns == stamp


def test_merge_joins_path_items_and_refuses_conflicts() -> None:
    get = {
        "paths": {"/a": {"get": {"operationId": "g"}}},
        "components": {"schemas": {"E": {"type": "object"}}},
    }
    post = {
        "paths": {"/a": {"post": {"operationId": "p"}}},
        "components": {"schemas": {"E": {"type": "object"}}},
    }
    merged = merge_documents([(Path("a.json"), get), (Path("b.json"), post)])
    assert set(merged["paths"]["/a"]) == {"get", "post"}
    with pytest.raises(
        BuildError, match=r"b\.json#/paths/~1a/get: also defined by a\.json"
    ):
        merge_documents([(Path("a.json"), get), (Path("b.json"), get)])
    other = {"paths": {}, "components": {"schemas": {"E": {"type": "string"}}}}
    with pytest.raises(
        BuildError,
        match=r"c\.json#/components/schemas/E: differs from the definition in a\.json",
    ):
        merge_documents([(Path("a.json"), get), (Path("c.json"), other)])
    params = {"paths": {"/a": {"parameters": [1]}}}
    with pytest.raises(BuildError, match="with a different value"):
        merge_documents(
            [
                (Path("a.json"), {"paths": {"/a": {"parameters": [2]}}}),
                (Path("d.json"), params),
            ]
        )


def test_published_document_loads_and_lists_its_edits() -> None:
    doc = build_published_document(ROOT)
    fixes = doc["x-vaultmock-load-fixes"]
    kinds = sorted({f["fix"].split(" ")[0] for f in fixes})
    assert kinds == ["declared", "null", "open", "removed:"]
    assert len(fixes) == 132
    assert len(_ids(doc)) == 103
    assert "security" not in doc
