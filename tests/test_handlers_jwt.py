"""The jwt auth method over HTTP: configuration, roles on the path approle also
uses, logins, and external groups joined through group aliases."""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey
from starlette.testclient import TestClient
from vaulthttp import call

KEY = ECKey.generate_key("P-256")
PEM = KEY.as_pem(private=False).decode()
ISSUER = "https://issuer.test"


def sign(**claims: Any) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "sub": "alice", "aud": "vaultmock", "iat": now}
    body["exp"] = now + 300
    body.update(claims)
    return jwt.encode({"alg": "ES256"}, {k: v for k, v in body.items() if v}, KEY)


def setup_jwt(client: TestClient) -> str:
    """A configured jwt mount with role ``dev``; returns its accessor."""
    assert (
        call(client, "POST", "/sys/auth/jwt", json={"type": "jwt"}).status_code == 204
    )
    config = {"jwt_validation_pubkeys": [PEM], "bound_issuer": ISSUER}
    assert call(client, "POST", "/auth/jwt/config", json=config).status_code == 204
    role = {
        "role_type": "jwt",
        "user_claim": "sub",
        "groups_claim": "groups",
        "bound_audiences": "vaultmock",
        "token_policies": "p-role",
        "token_ttl": "1h",
    }
    assert call(client, "POST", "/auth/jwt/role/dev", json=role).status_code == 204
    return str(call(client, "GET", "/sys/auth").json()["data"]["jwt/"]["accessor"])


def login(client: TestClient, token: str, role: str | None = "dev") -> Any:
    body = {"jwt": token} if role is None else {"role": role, "jwt": token}
    return call(client, "POST", "/auth/jwt/login", json=body, headers={})


def test_config(client: TestClient) -> None:
    call(client, "POST", "/sys/auth/jwt", json={"type": "jwt"})
    missing = call(client, "GET", "/auth/jwt/config")
    assert (missing.status_code, missing.json()) == (404, {"errors": []})
    bad = call(client, "POST", "/auth/jwt/config", json={"jwt_validation_pubkeys": "x"})
    assert bad.json() == {
        "errors": [
            "error parsing public key: data does not contain any valid public keys"
        ]
    }
    none = call(client, "POST", "/auth/jwt/config", json={"bound_issuer": "x"})
    assert none.status_code == 400
    assert "exactly one of 'jwt_validation_pubkeys'" in none.json()["errors"][0]
    remote = call(client, "POST", "/auth/jwt/config", json={"jwks_url": "https://x"})
    assert "local keys only" in remote.json()["errors"][0]
    written = call(
        client,
        "POST",
        "/auth/jwt/config",
        json={"jwt_validation_pubkeys": PEM, "default_role": "dev"},
    )
    assert written.status_code == 204
    data = call(client, "GET", "/auth/jwt/config").json()["data"]
    assert (data["jwt_validation_pubkeys"], data["default_role"]) == (
        [PEM.strip()],
        "dev",
    )
    assert (data["bound_issuer"], data["status"]) == ("", "valid")


def test_config_paths_of_missing_or_other_mounts(client: TestClient) -> None:
    nowhere = call(client, "GET", "/auth/nomount/config")
    assert nowhere.json() == {
        "errors": ['no handler for route "auth/nomount/config". route entry not found.']
    }
    call(client, "POST", "/sys/auth/ar", json={"type": "approle"})
    other = call(client, "GET", "/auth/ar/config")
    assert (other.status_code, other.json()) == (
        404,
        {"errors": ["1 error occurred:\n\t* unsupported path\n\n"]},
    )


def test_roles_share_approle_paths(client: TestClient) -> None:
    setup_jwt(client)
    view = call(client, "GET", "/auth/jwt/role/dev").json()["data"]
    assert view["role_type"] == "jwt"
    assert (view["bound_audiences"], view["token_policies"]) == (
        ["vaultmock"],
        ["p-role"],
    )
    assert (view["token_ttl"], view["groups_claim"]) == (3600, "groups")
    assert "bind_secret_id" not in view
    keys = call(client, "LIST", "/auth/jwt/role").json()["data"]["keys"]
    assert keys == ["dev"]
    unbound = call(
        client, "POST", "/auth/jwt/role/x", json={"role_type": "jwt", "user_claim": "s"}
    )
    assert unbound.json() == {
        "errors": [
            "must have at least one bound constraint when creating/updating a role"
        ]
    }
    oidc = call(client, "POST", "/auth/jwt/role/y", json={"user_claim": "s"})
    assert oidc.json()["errors"] == [
        "'allowed_redirect_uris' must be set if 'role_type' is 'oidc' or unspecified."
    ]
    assert call(client, "DELETE", "/auth/jwt/role/dev").status_code == 204
    assert call(client, "GET", "/auth/jwt/role/dev").status_code == 404
    assert call(client, "LIST", "/auth/jwt/role").status_code == 404
    # The same paths on an approle mount still serve approle.
    call(client, "POST", "/sys/auth/approle", json={"type": "approle"})
    call(client, "POST", "/auth/approle/role/web", json={})
    approle = call(client, "GET", "/auth/approle/role/web").json()["data"]
    assert approle["bind_secret_id"] is True


def test_login_joins_aliased_external_groups(client: TestClient) -> None:
    accessor = setup_jwt(client)
    ext = call(
        client,
        "POST",
        "/identity/group",
        json={"name": "ext", "type": "external", "policies": ["p-ext"]},
    ).json()["data"]["id"]
    call(
        client,
        "POST",
        "/identity/group-alias",
        json={"name": "devs", "mount_accessor": accessor, "canonical_id": ext},
    )
    parent = call(
        client,
        "POST",
        "/identity/group",
        json={"name": "parent", "policies": ["p-parent"], "member_group_ids": [ext]},
    ).json()["data"]["id"]
    answer = login(client, sign(groups=["devs", "nogroup"]))
    assert answer.status_code == 200, answer.text
    auth = answer.json()["auth"]
    assert auth["policies"] == ["default", "p-ext", "p-parent", "p-role"]
    assert auth["token_policies"] == ["default", "p-role"]
    assert auth["identity_policies"] == ["p-ext", "p-parent"]
    assert (auth["metadata"], auth["lease_duration"]) == ({"role": "dev"}, 3600)
    entity_id = auth["entity_id"]
    me = call(
        client,
        "GET",
        "/auth/token/lookup-self",
        headers={"X-Vault-Token": auth["client_token"]},
    ).json()["data"]
    assert (me["display_name"], me["path"]) == ("jwt-alice", "auth/jwt/login")
    assert me["identity_policies"] == ["p-ext", "p-parent"]
    entity = call(client, "GET", f"/identity/entity/id/{entity_id}").json()["data"]
    assert entity["direct_group_ids"] == [ext]
    assert entity["inherited_group_ids"] == [parent]
    assert entity["aliases"][0]["name"] == "alice"
    assert entity["aliases"][0]["metadata"] == {"role": "dev"}
    group = call(client, "GET", f"/identity/group/id/{ext}").json()["data"]
    assert group["member_entity_ids"] == [entity_id]
    # A claim without a group alias creates nothing.
    aliases = call(client, "LIST", "/identity/group-alias/id").json()["data"]["keys"]
    assert len(aliases) == 1
    # The next login without the claim leaves the group.
    again = login(client, sign(groups=["nogroup"])).json()["auth"]
    assert again["entity_id"] == entity_id
    assert "identity_policies" not in again
    group = call(client, "GET", f"/identity/group/id/{ext}").json()["data"]
    assert group["member_entity_ids"] == []
    entity = call(client, "GET", f"/identity/entity/id/{entity_id}").json()["data"]
    assert entity["group_ids"] == []


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        (
            {"aud": "other"},
            "error validating token: invalid audience (aud) claim: audience claim "
            "does not match any expected audience",
        ),
        ({"iss": "x"}, "error validating token: invalid issuer (iss) claim"),
        (
            {"exp": int(time.time()) - 400, "iat": int(time.time()) - 1000},
            "error validating token: invalid expiration time (exp) claim: token is "
            "expired",
        ),
        (
            {"nbf": int(time.time()) + 400},
            "error validating token: invalid not before (nbf) claim: token not yet "
            "valid",
        ),
        ({"sub": None}, 'claim "sub" not found in token'),
        ({"groups": None}, 'failed to fetch groups: "groups" claim not found in token'),
    ],
)
def test_login_refusals(
    client: TestClient, claims: dict[str, Any], message: str
) -> None:
    setup_jwt(client)
    answer = login(client, sign(**{"groups": ["a"], **claims}))
    assert (answer.status_code, answer.json()) == (400, {"errors": [message]})


def test_login_refusals_before_the_token(client: TestClient) -> None:
    setup_jwt(client)
    cases = [
        ("nope", sign(), 'role "nope" could not be found'),
        (None, sign(), "missing role"),
        ("dev", "", "missing token"),
        (
            "dev",
            "abc",
            "error validating token: error verifying token signature: "
            "go-jose/go-jose: compact JWS format must have three parts",
        ),
        (
            "dev",
            jwt.encode({"alg": "ES256"}, {"sub": "a"}, ECKey.generate_key("P-256")),
            "error validating token: error verifying token signature: no known key "
            "successfully validated the token signature",
        ),
    ]
    for role, token, message in cases:
        answer = login(client, token, role)
        assert answer.json() == {"errors": [message]}, role
    call(client, "POST", "/sys/auth/bare", json={"type": "jwt"})
    bare = call(client, "POST", "/auth/bare/login", json={"role": "dev", "jwt": sign()})
    assert bare.json() == {"errors": ["could not load configuration"]}
    unmounted = call(
        client, "POST", "/auth/nomount/login", json={"role": "x", "jwt": "y"}
    )
    assert unmounted.status_code == 403
