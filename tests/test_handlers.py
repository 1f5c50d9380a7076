"""Every operation of the document has a handler that keeps state.

:func:`mockserver.handlers.resolve` answers ``501`` for an operation without a
handler; no operation of the published document, or of the document the mock
serves, may be one of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib.resources import files
from typing import Any

import pytest
from badinput import sweep
from starlette.testclient import TestClient

from mockserver import handlers
from mockserver.app import MockApp, create_app
from mockserver.config import ServerConfig
from mockserver.spec import load_document

ROOT = {"X-Vault-Token": "root"}
UUID = "00000000-0000-4000-8000-000000000000"
"""A well-formed id for path parameters the real server routes by pattern."""


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(path template, method, operation) for every operation of ``document``."""
    return [
        (template, method, operation)
        for template, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    ]


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[MockApp, TestClient, list[BaseException]]]:
    errors: list[BaseException] = []
    app = create_app(ServerConfig(seed=5, on_error=errors.append))
    with TestClient(app, base_url="http://127.0.0.1:8200") as client:
        yield app, client, errors


def test_every_published_operation_has_a_handler() -> None:
    resource = files("mockserver").joinpath("data/openapi-published.json")
    published = json.loads(resource.read_text(encoding="utf-8"))
    ids = [op["operationId"] for _, _, op in operations(published)]
    assert len(ids) == 103
    assert handlers.implemented(ids) == ids


def test_every_served_operation_has_a_handler() -> None:
    ids = [op["operationId"] for _, _, op in operations(load_document())]
    assert handlers.implemented(ids) == ids


def test_no_operation_answers_not_implemented(
    served: tuple[MockApp, TestClient, list[BaseException]],
) -> None:
    app, client, errors = served
    app.store.reset()
    answered: dict[str, int] = {}
    for template, method, operation in operations(app.document):
        op_id = operation["operationId"]
        if op_id in ("auth-token-revoke", "auth-token-revoke-self"):
            continue  # they would revoke the root token the walk runs with
        path = re.sub(
            r"\{([^}]+)\}",
            lambda m: UUID if m.group(1).endswith("id") else "walk",
            template,
        )
        listing = any(
            p.get("name") == "list" for p in operation.get("parameters") or []
        )
        answer = client.request(
            method.upper(),
            "/v1" + path + ("?list=true" if listing else ""),
            headers=ROOT,
            json={} if method in ("post", "put", "patch") else None,
        )
        answered[op_id] = answer.status_code
    assert len(answered) >= 148
    assert {op: status for op, status in answered.items() if status == 501} == {}
    assert errors == []


def test_mfa_and_oidc_refuse_bad_input_without_a_500(
    served: tuple[MockApp, TestClient, list[BaseException]],
) -> None:
    app, client, errors = served
    app.store.reset()
    assert sweep(client, app.document, ("mfa-", "oidc-"), tries=8) == []
    assert errors == []
