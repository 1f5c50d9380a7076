"""Policy enforcement in the wire layer, and the capabilities endpoints, over HTTP
in process (the table in ``test_acl_table.py`` compares with a real server)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver.app import MockApp, create_app
from mockserver.backends import Store
from mockserver.config import ServerConfig
from mockserver.wire.acl import capability_for, needs_sudo

ROOT = {"X-Vault-Token": "root"}
DENIED = {"errors": ["1 error occurred:\n\t* permission denied\n\n"]}


@pytest.fixture(scope="module")
def app_client() -> Iterator[tuple[MockApp, TestClient, list[BaseException]]]:
    errors: list[BaseException] = []
    app = create_app(ServerConfig(seed=21, on_error=errors.append))
    with TestClient(app, base_url="http://127.0.0.1:8200") as client:
        yield app, client, errors


@pytest.fixture
def app(app_client: tuple[MockApp, TestClient, list[BaseException]]) -> MockApp:
    return app_client[0]


@pytest.fixture
def client(
    app_client: tuple[MockApp, TestClient, list[BaseException]],
) -> Iterator[TestClient]:
    app, client, errors = app_client
    app.store.reset()
    errors.clear()
    yield client
    assert errors == []


def call(
    client: TestClient, method: str, path: str, token: str = "root", **kwargs: Any
) -> Any:
    return client.request(
        method, "/v1/" + path, headers={"X-Vault-Token": token}, **kwargs
    )


def policy(client: TestClient, name: str, text: str) -> None:
    answer = call(client, "POST", f"sys/policies/acl/{name}", json={"policy": text})
    assert answer.status_code == 204, answer.text


def token(client: TestClient, *policies: str) -> str:
    answer = call(client, "POST", "auth/token/create", json={"policies": policies})
    return str(answer.json()["auth"]["client_token"])


def test_refusal_has_the_real_body(client: TestClient) -> None:
    policy(
        client, "reader", 'path "identity/entity/name/*" { capabilities = ["read"] }'
    )
    reader = token(client, "reader")
    assert call(client, "GET", "identity/entity/name/x", reader).status_code == 404
    refused = call(client, "POST", "identity/entity", reader, json={"name": "x"})
    assert (refused.status_code, refused.json()) == (403, DENIED)
    # Refused before routing: a path the mock does not serve is a 403 too.
    assert call(client, "GET", "identity/nothing", reader).json() == DENIED


def test_root_and_open_operations(client: TestClient) -> None:
    assert (
        call(client, "POST", "sys/auth/up", json={"type": "userpass"}).status_code
        == 204
    )
    assert client.get("/v1/sys/health").status_code == 200


def test_body_reaches_the_handler_after_a_parameter_check(client: TestClient) -> None:
    policy(
        client,
        "named",
        'path "identity/entity" { capabilities = ["update"] '
        'allowed_parameters = { "name" = ["svc-*"] "metadata" = [] } }',
    )
    named = token(client, "named")
    made = call(
        client,
        "POST",
        "identity/entity",
        named,
        json={"name": "svc-a", "metadata": {"k": "v"}},
    )
    assert made.status_code == 200, made.text
    read = call(client, "GET", "identity/entity/name/svc-a")
    assert read.json()["data"]["metadata"] == {"k": "v"}
    assert (
        call(client, "POST", "identity/entity", named, json={"name": "x"}).status_code
        == 403
    )


def test_disabled_entity_and_policy_changes(app: MockApp, client: TestClient) -> None:
    call(client, "POST", "sys/auth/userpass", json={"type": "userpass"})
    call(client, "POST", "auth/userpass/users/ann", json={"password": "pw"})
    login = client.post("/v1/auth/userpass/login/ann", json={"password": "pw"})
    ann = login.json()["auth"]["client_token"]
    entity_id = login.json()["auth"]["entity_id"]
    policy(client, "groups", 'path "identity/group/name/*" { capabilities = ["read"] }')
    assert call(client, "GET", "identity/group/name/g", ann).status_code == 403
    call(
        client, "POST", f"identity/entity/id/{entity_id}", json={"policies": ["groups"]}
    )
    assert call(client, "GET", "identity/group/name/g", ann).status_code == 404
    me = call(client, "GET", "auth/token/lookup-self", ann).json()["data"]
    assert me["identity_policies"] == ["groups"]

    call(client, "POST", f"identity/entity/id/{entity_id}", json={"disabled": True})
    refused = call(client, "GET", "auth/token/lookup-self", ann)
    assert (refused.status_code, refused.json()) == (
        403,
        {"errors": ["permission denied"]},
    )


def test_template_with_a_forbidden_value_breaks_every_request(
    client: TestClient,
) -> None:
    call(client, "POST", "sys/auth/userpass", json={"type": "userpass"})
    policy(
        client,
        "meta",
        'path "x/{{identity.entity.metadata.team}}" { capabilities = ["read"] }',
    )
    call(
        client,
        "POST",
        "auth/userpass/users/bo",
        json={"password": "pw", "token_policies": "meta"},
    )
    login = client.post("/v1/auth/userpass/login/bo", json={"password": "pw"}).json()
    bo, entity_id = login["auth"]["client_token"], login["auth"]["entity_id"]
    call(
        client,
        "POST",
        f"identity/entity/id/{entity_id}",
        json={"metadata": {"team": "a/b"}},
    )
    broken = call(client, "GET", "auth/token/lookup-self", bo)
    assert (broken.status_code, broken.json()) == (400, {"errors": ["Forbidden"]})


def test_policy_write_refused_with_the_reason(client: TestClient) -> None:
    answer = call(
        client,
        "POST",
        "sys/policy/bad",
        json={"policy": 'path "x" { capabilities = ["reed"] }'},
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "errors": [
            'failed to parse policy: path "x": path "x": invalid capability "reed"'
        ]
    }


def test_capabilities_self(client: TestClient) -> None:
    policy(client, "p", 'path "identity/entity/*" { capabilities = ["read", "list"] }')
    holder = token(client, "p")
    one = call(
        client,
        "POST",
        "sys/capabilities-self",
        holder,
        json={"path": "identity/entity/x"},
    )
    assert one.json()["data"] == {
        "capabilities": ["list", "read"],
        "identity/entity/x": ["list", "read"],
    }
    assert one.json()["capabilities"] == ["list", "read"]
    many = call(
        client,
        "POST",
        "sys/capabilities-self",
        holder,
        json={"paths": ["identity/entity/x", "sys/auth"]},
    ).json()["data"]
    assert many == {"identity/entity/x": ["list", "read"], "sys/auth": ["deny"]}
    root = call(client, "POST", "sys/capabilities-self", json={"paths": ["a"]})
    assert root.json()["data"]["a"] == ["root"]
    missing = call(client, "POST", "sys/capabilities-self", holder, json={})
    assert (missing.status_code, missing.json()) == (
        400,
        {"errors": ["paths must be supplied"]},
    )


def test_capabilities_of_another_token(client: TestClient) -> None:
    policy(client, "p", 'path "a" { capabilities = ["update"] }')
    other = token(client, "p")
    answer = call(
        client, "POST", "sys/capabilities", json={"token": other, "paths": ["a"]}
    )
    assert answer.json()["data"] == {"a": ["update"], "capabilities": ["update"]}
    assert (
        call(
            client,
            "POST",
            "sys/capabilities",
            other,
            json={"token": other, "paths": ["a"]},
        ).status_code
        == 403
    )
    for body, message in (
        ({"paths": ["a"]}, "no token found"),
        ({"paths": ["a"], "token": "nope"}, "invalid token"),
    ):
        refused = call(client, "POST", "sys/capabilities", json=body)
        assert refused.status_code == 400
        assert refused.json() == {"errors": [f"1 error occurred:\n\t* {message}\n\n"]}


@pytest.mark.parametrize(
    ("method", "path", "listing", "capability"),
    [
        ("GET", "identity/entity/id/x", False, "read"),
        ("GET", "identity/entity/id/", True, "list"),
        ("DELETE", "identity/entity/id/x", False, "delete"),
        ("PATCH", "identity/entity/id/x", False, "patch"),
        ("POST", "identity/entity", False, "update"),
        ("POST", "identity/oidc/key/new", False, "create"),
        ("POST", "identity/oidc/key/default", False, "update"),
        ("POST", "auth/token/roles/r", False, "create"),
        ("POST", "auth/userpass/users/u", False, "create"),
    ],
)
def test_capability_for(method: str, path: str, listing: bool, capability: str) -> None:
    store = Store(seed=2)
    assert capability_for(store, method, path, listing) == capability


def test_existence_checks_follow_the_store() -> None:
    store = Store(seed=2)
    store.mounts.sys_auth_enable("userpass", "userpass")
    accessor = store.mounts.mounts["userpass/"].accessor
    store.userpass.user_write(accessor, "Ann", {"password": "pw"})
    assert capability_for(store, "POST", "auth/userpass/users/ann", False) == "update"
    assert capability_for(store, "POST", "auth/userpass/users/bob", False) == "create"
    store.tokens.role_write("r", {})
    assert capability_for(store, "POST", "auth/token/roles/r", False) == "update"


def test_sudo_paths() -> None:
    assert needs_sudo("sys/auth/userpass")
    assert not needs_sudo("sys/auth")
    assert not needs_sudo("sys/policies/acl/x")
