"""Tokens, userpass, approle and named policies over HTTP, through the whole stack."""

from __future__ import annotations

import pytest
from badinput import sweep
from starlette.testclient import TestClient
from vaulthttp import call

from mockserver.app import MockApp


def enable(client: TestClient, kind: str, path: str | None = None) -> None:
    answer = call(client, "POST", f"/sys/auth/{path or kind}", json={"type": kind})
    assert answer.status_code == 204


def test_token_create_answers_auth(client: TestClient) -> None:
    made = call(client, "POST", "/auth/token/create", json={"policies": ["p"]}).json()
    assert made["data"] is None
    assert made["warnings"] == ['Policy "p" does not exist']
    token = made["auth"]["client_token"]
    me = call(
        client, "GET", "/auth/token/lookup-self", headers={"X-Vault-Token": token}
    )
    assert me.json()["data"]["id"] == token
    bearer = {"Authorization": f"Bearer {token}"}
    assert (
        call(client, "GET", "/auth/token/lookup-self", headers=bearer).status_code
        == 200
    )
    revoke = call(client, "POST", "/auth/token/revoke-self", headers=bearer)
    assert revoke.status_code == 204
    assert (
        call(client, "GET", "/auth/token/lookup-self", headers=bearer).status_code
        == 403
    )


def test_logins_need_no_token_and_other_calls_do(client: TestClient) -> None:
    enable(client, "userpass", "people")
    call(client, "POST", "/auth/people/users/ann", json={"password": "pw"})
    login = call(
        client, "POST", "/auth/people/login/ann", json={"password": "pw"}, headers={}
    )
    assert login.status_code == 200
    assert login.json()["auth"]["metadata"] == {"username": "ann"}
    token = {"X-Vault-Token": login.json()["auth"]["client_token"]}
    me = call(client, "GET", "/auth/token/lookup-self", headers=token).json()["data"]
    assert (me["display_name"], me["path"]) == ("people-ann", "auth/people/login/ann")
    assert call(client, "LIST", "/auth/people/users", headers={}).status_code == 403


def test_paths_of_missing_or_other_mounts(client: TestClient) -> None:
    enable(client, "approle")
    missing = call(client, "POST", "/auth/nope/users/x", json={"password": "x"})
    assert missing.status_code == 404
    assert "no handler for route" in missing.json()["errors"][0]
    other = call(client, "POST", "/auth/approle/users/x", json={"password": "x"})
    assert other.json() == {"errors": ["1 error occurred:\n\t* unsupported path\n\n"]}
    login = call(
        client, "POST", "/auth/nope/login/x", json={"password": "x"}, headers={}
    )
    assert login.json() == {"errors": ["permission denied"]}


def test_approle_flow(client: TestClient) -> None:
    enable(client, "approle")
    assert call(client, "POST", "/auth/approle/role/Web", json={}).status_code == 204
    assert call(client, "LIST", "/auth/approle/role").json()["data"]["keys"] == ["web"]
    role_id = call(client, "GET", "/auth/approle/role/web/role-id").json()["data"]
    secret = call(client, "POST", "/auth/approle/role/web/secret-id", json={}).json()
    login = call(
        client,
        "POST",
        "/auth/approle/login",
        json={"role_id": role_id["role_id"], "secret_id": secret["data"]["secret_id"]},
        headers={},
    )
    assert login.json()["auth"]["metadata"] == {"role_name": "web"}
    lookup = call(
        client,
        "POST",
        "/auth/approle/role/web/secret-id/lookup",
        json={"secret_id": "unknown"},
    )
    assert lookup.status_code == 204


def test_policies(client: TestClient) -> None:
    rules = 'path "a" { capabilities = ["read"] }'
    legacy = call(client, "PUT", "/sys/policy/old", json={"rules": rules})
    assert legacy.status_code == 200
    assert legacy.json()["warnings"] == [
        "'rules' is deprecated, please use 'policy' instead"
    ]
    listed = call(client, "GET", "/sys/policy").json()
    assert listed["policies"] == listed["data"]["keys"] == ["default", "old", "root"]
    read = call(client, "GET", "/sys/policy/old").json()
    assert read["rules"] == read["data"]["rules"] == rules
    assert call(client, "GET", "/sys/policies/acl").status_code == 405
    acl = call(client, "GET", "/sys/policies/acl/old").json()["data"]
    assert acl["policy"] == rules


@pytest.mark.parametrize(
    "prefix", ["auth-token", "auth-userpass", "auth-approle", "sys-policy"]
)
def test_bad_input_never_answers_500(
    app_client: tuple[MockApp, TestClient, list[BaseException]],
    client: TestClient,
    prefix: str,
) -> None:
    app, _, errors = app_client
    enable(client, "userpass")
    enable(client, "approle")
    call(client, "POST", "/auth/approle/role/web", json={})
    call(client, "POST", "/auth/userpass/users/bob", json={"password": "x"})
    assert sweep(client, app.document, (prefix,)) == []
    assert errors == []
