from __future__ import annotations

from typing import Any

import pytest

from mockserver.wire.middleware import (
    RouteTable,
    list_flag,
    presented_token,
    with_list_flag,
)

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
        ([(b"authorization", b"Bearer  xyz ")], "xyz"),
        ([(b"authorization", b"bearer xyz")], None),
        ([(b"authorization", b"Basic xyz")], None),
        ([(b"x-vault-token", b"")], None),
        ([], None),
    ],
)
def test_presented_token(
    headers: list[tuple[bytes, bytes]], expected: str | None
) -> None:
    assert presented_token({"headers": headers}) == expected


@pytest.mark.parametrize(
    ("query", "listing"),
    [
        (b"", False),
        (b"list=true", True),
        (b"list=1", True),
        (b"list=TRUE", True),
        (b"list=false", False),
        (b"list=0", False),
        (b"list=", False),
        (b"a=1&list=t", True),
    ],
)
def test_list_flag(query: bytes, listing: bool) -> None:
    assert list_flag(query) is listing


def test_list_flag_refuses_what_is_not_a_boolean() -> None:
    with pytest.raises(ValueError, match="maybe"):
        list_flag(b"list=maybe")


@pytest.mark.parametrize(
    ("query", "listing", "expected"),
    [
        (b"", True, b"list=true"),
        (b"list=1&x=2", True, b"x=2&list=true"),
        (b"list=false&x=2", False, b"x=2"),
        (b"x=2", False, b"x=2"),
    ],
)
def test_with_list_flag(query: bytes, listing: bool, expected: bytes) -> None:
    assert with_list_flag(query, listing) == expected
