from __future__ import annotations

from typing import Any

import pytest

from mockserver.wire.middleware import RouteTable, presented_token

DOCUMENT: dict[str, Any] = {
    "security": [{"VaultToken": []}],
    "paths": {
        "/sys/health": {"get": {"security": [], "responses": {}}},
        "/identity/entity/id": {
            "get": {
                "parameters": [
                    {"name": "list", "in": "query", "required": True, "schema": {}}
                ],
                "responses": {},
            }
        },
        "/identity/entity/id/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True}],
            "get": {"responses": {}},
        },
        "/identity/oidc/provider/{name}/token": {
            "post": {
                "security": [],
                "requestBody": {
                    "content": {"application/x-www-form-urlencoded": {"schema": {}}}
                },
                "responses": {},
            }
        },
    },
}


@pytest.fixture
def routes() -> RouteTable:
    return RouteTable(DOCUMENT)


def test_open_operations(routes: RouteTable) -> None:
    assert routes.is_open("GET", "/v1/sys/health")
    assert routes.is_open("POST", "/v1/identity/oidc/provider/p1/token")
    assert not routes.is_open("GET", "/v1/identity/entity/id/x")
    assert not routes.is_open("POST", "/v1/sys/health")


def test_path_templates_match_one_segment(routes: RouteTable) -> None:
    assert routes.needs_list("GET", "/v1/identity/entity/id")
    assert routes.needs_list("GET", "/v1/identity/entity/id/")
    assert not routes.needs_list("GET", "/v1/identity/entity/id/x")
    assert not routes.is_open("POST", "/v1/identity/oidc/provider/a/b/token")


def test_form_operations(routes: RouteTable) -> None:
    assert routes.takes_form("POST", "/v1/identity/oidc/provider/p/token")
    assert not routes.takes_form("POST", "/v1/identity/entity/id/x")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([(b"x-vault-token", b"abc")], "abc"),
        ([(b"X-Vault-Token", b"abc")], "abc"),
        ([(b"authorization", b"Bearer xyz")], "xyz"),
        ([(b"authorization", b"bearer  xyz ")], "xyz"),
        ([(b"authorization", b"Basic xyz")], None),
        ([(b"x-vault-token", b"")], None),
        ([], None),
    ],
)
def test_presented_token(
    headers: list[tuple[bytes, bytes]], expected: str | None
) -> None:
    assert presented_token({"headers": headers}) == expected
