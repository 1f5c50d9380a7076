"""Tests of mockserver.spec.lint: the defects of the published fragments."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from mockserver.spec import lint
from mockserver.spec.layout import Fragment
from mockserver.spec.lint import (
    Context,
    Defect,
    counts,
    duplicate_ids,
    lint_fragments,
    run_checks,
    validation_error,
)
from mockserver.spec.observe import Observation
from mockserver.spec.repairs import Repairs

ROOT = Path(__file__).resolve().parent.parent

# The published edition as imported, against OpenBao 2.7.2.
EXPECTED_COUNTS = {
    "dangling-ref": 81,
    "undeclared-path-param": 60,
    "null-response": 1,
    "bad-status-key": 1,
    "default-type-mismatch": 5,
    "duration-as-integer": 7,
    "missing-security-scheme": 96,
    "undocumented-server-status": 99,
    "documented-never-sent": 123,
    "required-body-accepts-empty": 19,
    "response-mismatch": 1,
}


@pytest.fixture(scope="module")
def defects() -> list[Defect]:
    return lint(ROOT)


def test_counts_per_kind(defects: list[Defect]) -> None:
    assert counts(defects) == EXPECTED_COUNTS


def test_every_defect_is_repaired(defects: list[Defect]) -> None:
    assert [d.line() for d in defects if not d.repaired] == []


def test_dangling_refs_name_65_schemas(defects: list[Defect]) -> None:
    names = {d.subject for d in defects if d.kind == "dangling-ref"}
    assert len(names) == 65
    assert "#/components/schemas/EntityCreateResponse" in names


def test_statuses_that_drift(defects: list[Defect]) -> None:
    never = Counter(d.subject for d in defects if d.kind == "documented-never-sent")
    assert never == {"401": 44, "400": 35, "404": 20, "200": 17, "403": 7}
    undocumented = Counter(
        d.subject for d in defects if d.kind == "undocumented-server-status"
    )
    assert undocumented == {"204": 28, "404": 31, "403": 24, "405": 15, "400": 1}


def test_repairs_are_attributed_to_the_file_that_fixes_them(
    defects: list[Defect],
) -> None:
    by_key = {(d.file.name, d.kind, d.subject): d.repaired_by for d in defects}
    assert by_key[
        (
            "entity-create.json",
            "dangling-ref",
            "#/components/schemas/EntityCreateResponse",
        )
    ] == Path("spec/repairs/components/EntityCreateResponse.json")
    # The 200 of an update is removed by the fragment's patch: its dangling ref goes with it.
    assert by_key[
        (
            "entity-update-by-id.json",
            "dangling-ref",
            "#/components/schemas/EntityUpdateByIdResponse",
        )
    ] == Path("spec/repairs/entities/entity-update-by-id.json")
    assert by_key[
        ("entity-create.json", "missing-security-scheme", "entity-create")
    ] == Path("spec/repairs/document.json")
    assert by_key[("mfa-delete-pingid-method.json", "null-response", "204")] == Path(
        "spec/repairs/mfa/mfa-delete-pingid-method.json"
    )


def test_a_defect_line_reads_file_pointer_kind_message_and_fix(
    defects: list[Defect],
) -> None:
    line = next(d for d in defects if d.kind == "null-response").line()
    assert line == (
        "spec/fragments/mfa/mfa-delete-pingid-method.json#/paths/~1identity~1mfa~1method~1pingid~1{method_id}"
        "/delete/responses/204: null-response: response 204 is null, not a Response object with a "
        "description [repaired by spec/repairs/mfa/mfa-delete-pingid-method.json]"
    )
    unrepaired = Defect("x", Path("f.json"), "/p", "m", None)
    assert unrepaired.line() == "f.json#/p: x: m [UNREPAIRED]"


def _copy_spec(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "spec", tmp_path / "spec")
    return tmp_path


def test_removing_a_patch_leaves_its_defects_unrepaired(tmp_path: Path) -> None:
    root = _copy_spec(tmp_path)
    (root / "spec/repairs/mfa/mfa-delete-pingid-method.json").unlink()
    unrepaired = {(d.file.name, d.kind) for d in lint(root) if not d.repaired}
    assert ("mfa-delete-pingid-method.json", "null-response") in unrepaired
    assert ("mfa-delete-pingid-method.json", "bad-status-key") in unrepaired
    assert ("mfa-delete-pingid-method.json", "undeclared-path-param") in unrepaired


def test_removing_a_component_leaves_its_refs_dangling(tmp_path: Path) -> None:
    root = _copy_spec(tmp_path)
    (root / "spec/repairs/components/Group.json").unlink()
    dangling = sorted(
        d.file.name for d in lint(root) if not d.repaired and d.kind == "dangling-ref"
    )
    assert dangling == ["group-read-by-id.json", "group-read-by-name.json"]


# --- single checks on small documents ----------------------------------------------


def _doc(
    op: dict[str, Any],
    path: str = "/identity/entity/id/{id}",
    method: str = "get",
    **extra: Any,
) -> dict[str, Any]:
    return {"openapi": "3.0.2", "info": {}, "paths": {path: {method: op}}, **extra}


def _kinds(
    doc: dict[str, Any], ctx: Context | None = None
) -> list[tuple[str, str, str]]:
    return [(f.kind, f.pointer, f.subject) for f in run_checks(doc, ctx or Context())]


def test_structural_checks() -> None:
    op = {
        "responses": {
            "200": {
                "description": "ok",
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/Gone"}
                    }
                },
            },
            "204": None,
            "description": "stray",
        },
    }
    found = _kinds(
        _doc(op, components={"schemas": {"R": {"type": "integer", "default": "24h"}}})
    )
    base = "/paths/~1identity~1entity~1id~1{id}/get"
    assert found == [
        ("missing-operation-id", base, "operationId"),
        (
            "dangling-ref",
            base + "/responses/200/content/application~1json/schema/$ref",
            "#/components/schemas/Gone",
        ),
        ("undeclared-path-param", base + "/parameters", "id"),
        ("null-response", base + "/responses/204", "204"),
        ("bad-status-key", base + "/responses/description", "description"),
        ("default-type-mismatch", "/components/schemas/R/default", "24h"),
    ]


def test_path_parameters_may_be_declared_on_the_path_item() -> None:
    doc = _doc({"operationId": "x", "responses": {}})
    doc["paths"]["/identity/entity/id/{id}"]["parameters"] = [
        {"name": "id", "in": "path"}
    ]
    assert _kinds(doc) == []


def test_context_schemas_resolve_refs() -> None:
    op = {
        "operationId": "x",
        "parameters": [{"name": "id", "in": "path"}],
        "responses": {
            "200": {
                "description": "",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/S"}}
                },
            }
        },
    }
    assert _kinds(_doc(op), Context(schemas={"S": {}})) == []


def test_durations_and_closed_request_schemas() -> None:
    op = {
        "operationId": "x",
        "requestBody": {
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Req"}}
            }
        },
        "responses": {},
    }
    schemas = {
        "Req": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"ttl": {"type": "integer", "format": "seconds"}},
        }
    }
    found = _kinds(
        _doc(op, path="/identity/group", method="post", components={"schemas": schemas})
    )
    assert found == [
        ("duration-as-integer", "/components/schemas/Req/properties/ttl", "seconds"),
        (
            "closed-request-schema",
            "/paths/~1identity~1group/post/requestBody/content/application~1json/schema",
            "application/json",
        ),
    ]


def _observed(*items: Observation) -> Context:
    return Context(observed={"x": list(items)})


def test_statuses_are_compared_with_the_server() -> None:
    op = {
        "operationId": "x",
        "responses": {
            "200": {"description": ""},
            "401": {"description": ""},
            "500": {"description": ""},
        },
    }
    ctx = _observed(
        Observation("update", "POST", 204, None),
        Observation("read", "GET", 200, None),
        Observation("missing", "POST", 404, {"errors": []}),
    )
    found = _kinds(_doc(op, path="/identity/group", method="post"), ctx)
    base = "/paths/~1identity~1group/post"
    assert found == [
        ("undocumented-server-status", base + "/responses", "204"),
        ("undocumented-server-status", base + "/responses", "404"),
        ("documented-never-sent", base + "/responses/200", "200"),
        ("documented-never-sent", base + "/responses/401", "401"),
    ]


def test_security_follows_the_server() -> None:
    op: dict[str, Any] = {
        "operationId": "x",
        "responses": {
            "403": {"description": "", "content": {"application/json": {"schema": {}}}}
        },
    }
    needs = _observed(
        Observation(
            "no token", "GET", 403, {"errors": ["permission denied"]}, no_token=True
        )
    )
    doc = _doc(op, path="/identity/group")
    assert [k[0] for k in _kinds(doc, needs)] == ["missing-security-scheme"]
    scheme = {"VaultToken": {"type": "apiKey", "in": "header", "name": "X-Vault-Token"}}
    assert (
        _kinds(
            doc,
            Context(
                security_schemes=scheme,
                security=[{"VaultToken": []}],
                observed=needs.observed,
            ),
        )
        == []
    )
    open_ = _observed(Observation("no token", "GET", 403, None, no_token=True))
    op["security"] = []
    assert [
        k[0]
        for k in _kinds(
            doc,
            Context(
                security_schemes=scheme,
                security=[{"VaultToken": []}],
                observed=open_.observed,
            ),
        )
    ] == ["missing-security-scheme"]
    anonymous = _observed(Observation("no token", "GET", 200, None, no_token=True))
    del op["security"]
    op["responses"] = {"200": {"description": ""}}
    found = _kinds(
        doc,
        Context(
            security_schemes=scheme,
            security=[{"VaultToken": []}],
            observed=anonymous.observed,
        ),
    )
    assert [k[0] for k in found] == ["security-on-open-operation"]


def test_a_required_body_the_server_does_without() -> None:
    op = {
        "operationId": "x",
        "requestBody": {"required": True, "content": {}},
        "responses": {"204": {"description": ""}},
    }
    ctx = _observed(Observation("no body", "POST", 204, None, empty_body=True))
    assert [
        k[0] for k in _kinds(_doc(op, path="/identity/group", method="post"), ctx)
    ] == ["required-body-accepts-empty"]


def test_bodies_are_validated_against_the_documented_schema() -> None:
    schema = {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {"type": "object"},
            "warnings": {"type": "array", "items": {"type": "string"}},
        },
    }
    op = {
        "operationId": "x",
        "responses": {
            "200": {
                "description": "",
                "content": {"application/json": {"schema": schema}},
            },
            "204": {"description": ""},
        },
    }
    ctx = _observed(
        Observation("good", "GET", 200, {"data": {}, "warnings": ["w"]}),
        Observation("bad", "GET", 200, {"data": {}, "warnings": None}),
        Observation("body on 204", "GET", 204, {"x": 1}),
    )
    found = run_checks(_doc(op, path="/identity/group"), ctx)
    assert [(f.kind, f.subject) for f in found] == [
        ("response-mismatch", "bad"),
        ("response-mismatch", "body on 204"),
    ]
    assert found[0].message.endswith(
        "does not match: at warnings: None for not nullable"
    )


def test_validation_error_skips_what_it_cannot_resolve() -> None:
    assert validation_error({"$ref": "#/components/schemas/Nope"}, {}, 1) is None
    assert validation_error({"type": "string", "nullable": True}, {}, None) is None
    assert (
        validation_error(
            {"$ref": "#/components/schemas/S"}, {"S": {"type": "string"}}, 1
        )
        == "at (body): 1 is not of type 'string'"
    )


def test_duplicate_operation_ids() -> None:
    doc = _doc({"operationId": "same", "responses": {}}, path="/identity/group")
    first = Fragment(Path("spec/fragments/groups/a.json"), "groups", doc)
    second = Fragment(Path("spec/fragments/groups/b.json"), "groups", doc)
    [defect] = duplicate_ids([first, second])
    assert defect.kind == "duplicate-operation-id"
    assert defect.file == second.file
    assert "also used by spec/fragments/groups/a.json" in defect.message


def test_a_repair_that_breaks_something_is_an_unrepaired_defect() -> None:
    doc = _doc(
        {"operationId": "x", "responses": {"200": {"description": ""}}},
        path="/identity/group",
    )
    fragment = Fragment(Path("spec/fragments/groups/x.json"), "groups", doc)
    patch = [
        {
            "op": "add",
            "path": "/paths/~1identity~1group/get/responses/201",
            "value": None,
            "why": "oops",
        }
    ]
    repairs = Repairs(patches={fragment.repair_file: patch})
    [defect] = lint_fragments([fragment], repairs, {})
    assert defect.kind == "null-response"
    assert defect.message.endswith("(after repairs)")
    assert not defect.repaired
