"""Tests of mockserver.spec.validate: the checks of the merged document."""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

import pytest

from mockserver.spec import load_document
from mockserver.spec.errors import BuildError
from mockserver.spec.layout import OBSERVED, load_fragments, load_project
from mockserver.spec.observe import Observation, load_record
from mockserver.spec.repairs import load_repairs
from mockserver.spec.validate import (
    check_operation_ids,
    unused_components,
    validate_document,
    validate_openapi,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return load_document()


@pytest.fixture(scope="module")
def observed() -> dict[str, list[Observation]]:
    return load_record(ROOT / OBSERVED)


def _expected() -> list[str]:
    return [f.operation_id for f in load_fragments(ROOT) + load_project(ROOT)]


def test_the_packaged_document_passes_every_check(
    document: dict[str, Any], observed: dict[str, list[Observation]]
) -> None:
    repairs = load_repairs(ROOT)
    validate_document(
        document,
        expected_ids=_expected(),
        observed=observed,
        components=repairs.components,
        always_possible=repairs.every_operation_statuses(),
    )


def test_invalid_openapi_is_refused() -> None:
    with pytest.raises(
        BuildError,
        match=r'is not valid OpenAPI 3\.0 \(1 error\(s\)\); first at #: "info" is a required property; fix',
    ):
        validate_openapi({"openapi": "3.0.2", "paths": {}})


def test_operation_id_problems() -> None:
    doc = {
        "paths": {
            "/a": {
                "get": {"operationId": "x"},
                "post": {"operationId": "x"},
                "put": {},
            },
            "/b": {"get": {"operationId": "y"}},
        }
    }
    assert check_operation_ids(doc, ["x", "z"]) == [
        "PUT /a has no operationId",
        "operationId 'x' is used 2 times",
        "operation 'z' is missing",
        "operation 'y' comes from no fragment",
    ]


def test_unused_components_are_named() -> None:
    components = load_repairs(ROOT).components
    doc = {
        "paths": {},
        "components": {"schemas": {"A": {"$ref": "#/components/schemas/Group"}}},
    }
    unused = unused_components(doc, components)
    assert "spec/repairs/components/Group.json" not in unused
    assert "spec/repairs/components/GroupRecord.json" in unused


def test_a_body_the_document_does_not_describe_fails(
    document: dict[str, Any], observed: dict[str, list[Observation]]
) -> None:
    broken = copy.deepcopy(document)
    broken["components"]["schemas"]["EntityRecord"]["required"].append(
        "not_sent_by_the_server"
    )
    with pytest.raises(BuildError) as caught:
        validate_document(broken, expected_ids=_expected(), observed=observed)
    assert "response-mismatch" in str(caught.value)
    assert "'not_sent_by_the_server' is a required property" in str(caught.value)


def test_a_status_the_server_sends_must_be_documented(
    document: dict[str, Any], observed: dict[str, list[Observation]]
) -> None:
    broken = copy.deepcopy(document)
    del broken["paths"]["/identity/entity/id/{id}"]["get"]["responses"]["404"]
    with pytest.raises(
        BuildError,
        match=r"undocumented-server-status: the server answers 404 \(missing\)",
    ):
        validate_document(broken, expected_ids=_expected(), observed=observed)


def test_unobserved_operations_are_reported(
    document: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="mockserver.spec.validate"):
        validate_document(document, expected_ids=_expected(), observed={})
    assert "have no recorded answer of a real server" in caplog.text
