"""The OIDC family over HTTP, against the mock and against a real ``bao server -dev``.

Every scenario runs twice: ``[mock]`` on an in-process mock server and ``[real]``
on a real OpenBao dev server started for this module. Tokens are checked with a
standard JWT library (joserfc) against the published key set, and the provider's
authorization-code flow is driven by a standard OAuth 2.0 / OIDC client
(authlib), which also validates the ID token it receives. hvac's OIDC methods of
``Identity`` are called once each (the hvac suite of the other families leaves
them to this module).

Deliberate differences are named where they apply: the mock's clock can be moved
to expire a token, the real server's cannot (see
:func:`test_introspect_expired_token`).
"""

from __future__ import annotations

import base64
import json
import secrets
import warnings
from typing import Any

# authlib announces the move of its jose package (and its httpx fallback) on
# import, after installing an "always" filter for those warnings; import that
# module first so the filter below comes before it.
import authlib.deprecate  # noqa: F401
import httpx
import hvac
import pytest
from identity_targets import Login, Target, body, check
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet
from joserfc.jwt import JWTClaimsRegistry

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from authlib.common.security import generate_token
    from authlib.integrations.httpx_client import OAuth2Client
    from authlib.jose import JsonWebKey
    from authlib.jose import jwt as authlib_jwt
    from authlib.oidc.core import CodeIDToken

REDIRECT = "http://127.0.0.1:9/callback"
ALGORITHMS = ["RS256", "ES256"]


# -- helpers ------------------------------------------------------------------


def issue(target: Target, login: Login, role: str) -> str:
    """An ID token of ``role`` for the logged-in user."""
    answer = check(
        target.http.get(
            f"identity/oidc/token/{role}", headers={"X-Vault-Token": login.token}
        )
    )
    data = answer.json()["data"]
    assert set(data) == {"client_id", "token", "ttl"}
    return str(data["token"])


def published(target: Target, path: str = "identity/oidc") -> dict[str, Any]:
    """The discovery document and key set under ``path``, fetched with no token."""
    with target.anonymous() as anonymous:
        discovery = check(anonymous.get(f"{path}/.well-known/openid-configuration"))
        keyset = check(httpx.get(discovery.json()["jwks_uri"]))
    return {"discovery": discovery.json(), "keys": keyset.json()}


def verify(token: str, keys: dict[str, Any], **expected: Any) -> dict[str, Any]:
    """The claims of ``token`` as joserfc verifies them against ``keys``.

    Raises a :class:`JoseError` (or :class:`ValueError` for an unknown key id)
    when the signature or the claims do not check out.
    """
    decoded = jwt.decode(token, KeySet.import_key_set(keys), algorithms=ALGORITHMS)
    options = {name: {"essential": True, "value": v} for name, v in expected.items()}
    registry = JWTClaimsRegistry(
        leeway=60, exp={"essential": True}, iat={"essential": True}, **options
    )
    registry.validate(decoded.claims)
    return dict(decoded.claims)


def verifies(token: str, keys: dict[str, Any]) -> bool:
    try:
        verify(token, keys)
    except (JoseError, ValueError):
        return False
    return True


def introspect(target: Target, token: str, **extra: str) -> Any:
    answer = check(
        target.http.post("identity/oidc/introspect", json={"token": token, **extra})
    )
    return answer.json()


def answer_of(response: httpx.Response) -> tuple[int, Any]:
    return response.status_code, body(response)


def header(token: str) -> dict[str, Any]:
    encoded = token.split(".")[0]
    return dict(
        json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    )


def signing_key(target: Target, name: str = "k1", ttl: str = "30m") -> None:
    """An ES256 key ``name`` and a role ``r1`` that signs with it."""
    check(
        target.http.post(
            f"identity/oidc/key/{name}",
            json={
                "algorithm": "ES256",
                "allowed_client_ids": "*",
                "rotation_period": "1h",
                "verification_ttl": "1h",
            },
        )
    )
    template = '{"name": {{identity.entity.name}}, "groups": {{identity.entity.groups.names}} }'
    check(
        target.http.post(
            "identity/oidc/role/r1",
            json={"key": name, "ttl": ttl, "template": template},
        )
    )


# -- identity tokens ------------------------------------------------------------


def test_token_verifies_with_the_published_keys_across_rotations(
    target: Target,
) -> None:
    user = target.login()
    group = check(
        target.http.post(
            "identity/group",
            json={"name": "devs", "member_entity_ids": [user.entity_id]},
        )
    )
    signing_key(target)
    before = published(target)
    issuer = before["discovery"]["issuer"]
    assert issuer == f"{target.url}/v1/identity/oidc"
    first = issue(target, user, "r1")
    claims = verify(first, before["keys"], iss=issuer, sub=user.entity_id)
    entity = check(target.http.get(f"identity/entity/id/{user.entity_id}")).json()
    assert claims["name"] == entity["data"]["name"]
    assert claims["groups"] == ["devs"]
    assert claims["namespace"] == "root"
    assert claims["exp"] - claims["iat"] == 1800
    assert group.status_code == 200

    assert check(target.http.post("identity/oidc/key/k1/rotate")).status_code == 204
    after = published(target)
    # The rotated-out key stays published for its verification_ttl.
    assert verifies(first, after["keys"])
    second = issue(target, user, "r1")
    assert header(second)["kid"] != header(first)["kid"]
    assert verifies(second, after["keys"])
    assert introspect(target, first) == {"active": True}
    assert introspect(target, second) == {"active": True}

    # A rotation with no verification time drops the key it rotates out at once.
    check(target.http.post("identity/oidc/key/k1/rotate", json={"verification_ttl": 0}))
    last = published(target)
    assert verifies(first, last["keys"])
    assert not verifies(second, last["keys"])
    assert introspect(target, second) == {
        "active": False,
        "error": "unable to validate the token signature",
    }


def test_introspect_agrees_with_a_jwt_library(target: Target) -> None:
    user = target.login()
    signing_key(target)
    token = issue(target, user, "r1")
    keys = published(target)["keys"]
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(
        json.dumps({**claims, "sub": "someone-else"}).encode()
    )
    stranger = ECKey.generate_key("P-256", parameters={"kid": header(token)["kid"]})
    cases = {
        "valid": token,
        "tampered payload": f"{head}.{forged.decode().rstrip('=')}.{signature}",
        "tampered signature": f"{head}.{payload}.{signature[:-6]}AAAAAA",
        "foreign key": jwt.encode(
            {"alg": "ES256", "kid": stranger.kid}, claims, stranger
        ),
    }
    for name, candidate in cases.items():
        answer = introspect(target, candidate)
        assert answer["active"] is verifies(candidate, keys), name
        if name != "valid":
            assert answer == {
                "active": False,
                "error": "unable to validate the token signature",
            }, name
    client_id = str(claims["aud"])
    assert introspect(target, token, client_id=client_id) == {"active": True}
    assert introspect(target, token, client_id="someone-else") == {
        "active": False,
        "error": "error validating claims: go-jose/go-jose/jwt: validation failed, "
        "invalid audience claim (aud)",
    }
    assert introspect(target, "not-a-jwt") == {
        "active": False,
        "error": "error parsing token: go-jose/go-jose: compact JWS format must "
        "have three parts",
    }


def test_introspect_expired_token(target: Target) -> None:
    if not target.is_mock:
        pytest.skip(
            "deliberate difference: the real server's clock cannot be moved, and "
            "introspection allows 60 s of clock skew past a role's ttl, so an "
            "expired token would take over a minute to make; the mock's OIDC clock "
            "(store.oidc.clock) can be moved"
        )
    user = target.login()
    signing_key(target, ttl="1m")
    token = issue(target, user, "r1")
    keys = published(target)["keys"]
    claims = verify(token, keys)
    for offset, active in ((119, True), (121, False)):
        # Just inside and just past exp plus the minute of leeway.
        now = int(claims["iat"]) + offset
        target.store.oidc.clock = lambda now=now: float(now)
        answer = introspect(target, token)
        assert answer["active"] is active, offset
        registry = JWTClaimsRegistry(now=now, leeway=60, exp={"essential": True})
        if active:
            registry.validate(claims)
        else:
            assert answer["error"].endswith("token is expired (exp)")
            with pytest.raises(JoseError):
                registry.validate(claims)


def test_discovery_documents_need_no_token(target: Target) -> None:
    with target.anonymous() as anonymous:
        discovery = check(
            anonymous.get("identity/oidc/.well-known/openid-configuration")
        )
        keyset = check(anonymous.get("identity/oidc/.well-known/keys"))
        config = anonymous.get("identity/oidc/config")
    issuer = f"{target.url}/v1/identity/oidc"
    assert discovery.json() == {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/.well-known/keys",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [
            "RS256",
            "RS384",
            "RS512",
            "ES256",
            "ES384",
            "ES512",
            "EdDSA",
        ],
    }
    assert set(keyset.json()) == {"keys"}
    assert (config.status_code, config.json()) == (
        403,
        {"errors": ["permission denied"]},
    )


def test_keys_and_roles(target: Target) -> None:
    http = target.http
    answer = http.post("identity/oidc/key/k2", json={"rotation_period": "abc"})
    assert (answer.status_code, answer.json()) == (
        400,
        {
            "errors": [
                'error converting input for field "rotation_period": time: invalid duration "abc"'
            ]
        },
    )
    written = http.post(
        "identity/oidc/key/k2",
        json={"algorithm": "ES256", "rotation_period": "2h", "verification_ttl": "1h"},
    )
    assert written.status_code == 204
    assert check(http.get("identity/oidc/key/k2")).json()["data"] == {
        "algorithm": "ES256",
        "allowed_client_ids": [],
        "rotation_period": 7200,
        "verification_ttl": 3600,
    }
    too_long = http.post("identity/oidc/role/r2", json={"key": "k2", "ttl": "2h"})
    assert (too_long.status_code, too_long.json()) == (
        400,
        {
            "errors": [
                "a role's token ttl cannot be longer than the verification_ttl of "
                "the key it references"
            ]
        },
    )
    assert (
        http.post("identity/oidc/role/r2", json={"key": "k2", "ttl": "30m"}).status_code
        == 204
    )
    role = check(http.get("identity/oidc/role/r2")).json()["data"]
    assert {k: v for k, v in role.items() if k != "client_id"} == {
        "key": "k2",
        "template": "",
        "ttl": 1800,
    }
    assert len(role["client_id"]) == 26
    assert check(http.request("LIST", "identity/oidc/role")).json()["data"] == {
        "keys": ["r2"]
    }
    assert check(http.request("LIST", "identity/oidc/key")).json()["data"] == {
        "keys": ["default", "k2"]
    }
    refused = http.delete("identity/oidc/key/k2")
    assert (refused.status_code, refused.json()) == (
        400,
        {
            "errors": [
                'unable to delete key "k2" because it is currently referenced by these roles: r2'
            ]
        },
    )
    default = http.delete("identity/oidc/key/default")
    assert (default.status_code, default.json()) == (
        400,
        {"errors": ['deletion of key "default" not allowed']},
    )
    assert http.delete("identity/oidc/role/r2").status_code == 204
    assert http.delete("identity/oidc/role/r2").status_code == 204
    assert http.delete("identity/oidc/key/k2").status_code == 204
    missing = http.get("identity/oidc/role/r2")
    assert (missing.status_code, missing.json()) == (404, {"errors": []})
    assert http.request("LIST", "identity/oidc/role").status_code == 404


def test_token_needs_a_role_and_an_entity(target: Target) -> None:
    user = target.login()
    signing_key(target)
    no_entity = target.http.get("identity/oidc/token/r1")
    assert (no_entity.status_code, no_entity.json()) == (
        400,
        {"errors": ["no entity associated with the request's token"]},
    )
    no_role = target.http.get(
        "identity/oidc/token/nope", headers={"X-Vault-Token": user.token}
    )
    assert (no_role.status_code, no_role.json()) == (
        400,
        {"errors": ['role "nope" not found']},
    )
    with target.anonymous() as anonymous:
        denied = anonymous.get("identity/oidc/token/r1")
    assert (denied.status_code, denied.json()) == (
        403,
        {"errors": ["permission denied"]},
    )


# -- the provider ---------------------------------------------------------------


def provider_setup(target: Target, user: Login, **client: Any) -> dict[str, Any]:
    """A scope, a client and provider ``p1``; the client as read back."""
    http = target.http
    check(
        http.post(
            "identity/group",
            json={"name": "devs", "member_entity_ids": [user.entity_id]},
        )
    )
    template = '{"username": {{identity.entity.name}}, "groups": {{identity.entity.groups.names}} }'
    check(http.post("identity/oidc/scope/user", json={"template": template}))
    check(
        http.post(
            "identity/oidc/client/app",
            json={
                "redirect_uris": [REDIRECT],
                "assignments": ["allow_all"],
                "id_token_ttl": "30m",
                "access_token_ttl": "1h",
                **client,
            },
        )
    )
    check(
        http.post(
            "identity/oidc/provider/p1",
            json={"scopes_supported": ["user"], "allowed_client_ids": ["*"]},
        )
    )
    return dict(check(http.get("identity/oidc/client/app")).json()["data"])


def oauth_client(app: dict[str, Any], method: str) -> OAuth2Client:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return OAuth2Client(
            client_id=app["client_id"],
            client_secret=app.get("client_secret"),
            scope="openid user",
            redirect_uri=REDIRECT,
            code_challenge_method="S256",
            token_endpoint_auth_method=method,
        )


def authorize(target: Target, user: Login, url: str) -> dict[str, Any]:
    """What the provider's authorize endpoint answers the user for ``url``.

    A browser would reach it through the UI's authorization endpoint; the UI
    calls this API endpoint with the user's token, as this does.
    """
    api = url.replace("/ui/vault/", "/v1/", 1)
    answer = httpx.get(api, headers={"X-Vault-Token": user.token})
    return dict(answer.json())


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_authorization_code_flow_with_pkce(target: Target, method: str) -> None:
    user = target.login()
    app = provider_setup(target, user)
    documents = published(target, "identity/oidc/provider/p1")
    discovery = documents["discovery"]
    issuer = f"{target.url}/v1/identity/oidc/provider/p1"
    assert discovery == {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/.well-known/keys",
        "authorization_endpoint": (
            f"{target.url}/ui/vault/identity/oidc/provider/p1/authorize"
        ),
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "id_token_signing_alg_values_supported": [
            "RS256",
            "RS384",
            "RS512",
            "ES256",
            "ES384",
            "ES512",
            "EdDSA",
        ],
        "response_types_supported": ["code"],
        "scopes_supported": ["user", "openid"],
        "claims_supported": [],
        "subject_types_supported": ["public"],
        "grant_types_supported": ["authorization_code"],
        "token_endpoint_auth_methods_supported": [
            "none",
            "client_secret_basic",
            "client_secret_post",
        ],
    }

    client = oauth_client(app, method)
    verifier = generate_token(48)
    nonce = secrets.token_urlsafe(12)
    url, state = client.create_authorization_url(
        discovery["authorization_endpoint"],
        code_verifier=verifier,
        nonce=nonce,
        max_age=600,
    )
    granted = authorize(target, user, url)
    assert set(granted) == {"code", "state"}, granted
    assert granted["state"] == state
    token = client.fetch_token(
        discovery["token_endpoint"], code=granted["code"], code_verifier=verifier
    )
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600

    keys = JsonWebKey.import_key_set(documents["keys"])
    claims = authlib_jwt.decode(
        token["id_token"],
        keys,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"value": issuer}, "aud": {"value": app["client_id"]}},
        claims_params={"nonce": nonce, "access_token": token["access_token"]},
    )
    claims.validate()
    entity = check(target.http.get(f"identity/entity/id/{user.entity_id}")).json()
    name = entity["data"]["name"]
    assert claims["sub"] == user.entity_id
    assert (claims["username"], claims["groups"]) == (name, ["devs"])
    assert claims["exp"] - claims["iat"] == 1800
    # A request with max_age gets the time of the authentication.
    assert claims["iat"] - 5 <= claims["auth_time"] <= claims["iat"]

    info = client.get(discovery["userinfo_endpoint"])
    assert (info.status_code, info.json()) == (
        200,
        {"sub": user.entity_id, "username": name, "groups": ["devs"]},
    )
    with target.anonymous() as anonymous:
        # The access token is for userinfo only, not a Vault token.
        elsewhere = anonymous.get(
            "auth/token/lookup-self", headers={"X-Vault-Token": token["access_token"]}
        )
    assert elsewhere.status_code == 403
    again = httpx.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": granted["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=(app["client_id"], app["client_secret"]),
    )
    assert (again.status_code, again.json()) == (
        400,
        {
            "error": "invalid_grant",
            "error_description": "authorization grant is invalid or expired",
        },
    )
    client.close()


def test_public_client(target: Target) -> None:
    user = target.login()
    app = provider_setup(target, user, client_type="public")
    assert "client_secret" not in app
    base = {
        "client_id": app["client_id"],
        "scope": "openid",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "state": "s1",
    }
    with target.anonymous() as anonymous:
        answer = anonymous.get(
            "identity/oidc/provider/p1/authorize",
            params=base,
            headers={"X-Vault-Token": user.token},
        )
    assert (answer.status_code, answer.json()) == (
        400,
        {
            "error": "invalid_request",
            "error_description": "PKCE is required for public clients",
            "state": "s1",
        },
    )
    client = oauth_client(app, "none")
    verifier = generate_token(48)
    url, _ = client.create_authorization_url(
        f"{target.url}/v1/identity/oidc/provider/p1/authorize", code_verifier=verifier
    )
    granted = authorize(target, user, url)
    token = client.fetch_token(
        f"{target.url}/v1/identity/oidc/provider/p1/token",
        code=granted["code"],
        code_verifier=verifier,
    )
    assert set(token) >= {"access_token", "id_token", "expires_in", "token_type"}
    client.close()


def test_flow_errors_are_oauth_errors(target: Target) -> None:
    user = target.login()
    app = provider_setup(target, user)
    anonymous = target.anonymous()
    good = {
        "client_id": app["client_id"],
        "scope": "openid user",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "state": "st",
    }

    def authorize_with(provider: str = "p1", **changes: str | None) -> tuple[int, Any]:
        params = {k: v for k, v in {**good, **changes}.items() if v is not None}
        answer = anonymous.get(
            f"identity/oidc/provider/{provider}/authorize",
            params=params,
            headers={"X-Vault-Token": user.token},
        )
        return answer.status_code, body(answer)

    def oauth(error: str, description: str, state: str = "st") -> tuple[int, Any]:
        return 400, {"error": error, "error_description": description, "state": state}

    assert authorize_with(client_id=None, scope="x") == oauth(
        "invalid_client_id", "client_id parameter is required"
    )
    assert authorize_with(client_id="nope") == oauth(
        "invalid_client_id", "client with client_id not found"
    )
    assert authorize_with(redirect_uri=None, provider="nope") == oauth(
        "invalid_request", "redirect_uri parameter is required"
    )
    assert authorize_with(provider="nope") == oauth(
        "invalid_request", "provider not found"
    )
    assert authorize_with(scope="user", response_type=None) == oauth(
        "invalid_request", 'scope parameter must contain the "openid" value'
    )
    assert authorize_with(response_type="token") == oauth(
        "unsupported_response_type", "unsupported response_type value"
    )
    assert authorize_with(code_challenge="short", max_age="-1") == oauth(
        "invalid_request", "invalid code_challenge"
    )
    assert authorize_with(max_age="0") == oauth(
        "invalid_request", "max_age must be greater than zero"
    )
    assert authorize_with(state=None, client_id=None) == oauth(
        "invalid_client_id", "client_id parameter is required", state=""
    )
    root = anonymous.get(
        "identity/oidc/provider/p1/authorize",
        params=good,
        headers={"X-Vault-Token": "root"},
    )
    assert (root.status_code, root.json()) == oauth(
        "access_denied", "identity entity must be associated with the request"
    )

    def exchange(provider: str = "p1", **changes: str | None) -> tuple[int, Any]:
        code = authorize_with()[1]["code"]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        }
        data = {k: v for k, v in {**form, **changes}.items() if v is not None}
        answer = anonymous.post(f"identity/oidc/provider/{provider}/token", data=data)
        return answer.status_code, body(answer)

    def error(status: int, error: str, description: str) -> tuple[int, Any]:
        return status, {"error": error, "error_description": description}

    assert exchange(provider="nope", client_id=None) == error(
        400, "invalid_request", "provider not found"
    )
    assert exchange(client_id=None, grant_type=None) == error(
        400, "invalid_request", "client_id parameter is required"
    )
    assert exchange(client_secret="wrong", grant_type=None) == error(
        401, "invalid_client", "client failed to authenticate"
    )
    assert exchange(grant_type=None, code=None) == error(
        400,
        "unsupported_grant_type",
        "unsupported grant_type or parameter is empty value",
    )
    assert exchange(code=None) == error(
        400, "invalid_request", "code parameter is required"
    )
    assert exchange(code="nope") == error(
        400, "invalid_grant", "authorization grant is invalid or expired"
    )
    assert exchange(redirect_uri=None) == error(
        400, "invalid_request", "redirect_uri parameter is required"
    )
    assert exchange(redirect_uri="http://127.0.0.1:9/other") == error(
        400,
        "invalid_grant",
        "redirect_uri does not match the redirect_uri used in the authorization request",
    )
    assert exchange(code_verifier="x" * 43) == error(
        400, "invalid_request", "unexpected code_verifier for token exchange"
    )
    # A body with no content type is read as JSON.
    for raw in (b"", b'{"grant_type": "authorization_code"}'):
        plain = anonymous.post("identity/oidc/provider/p1/token", content=raw)
        assert answer_of(plain) == error(
            400, "invalid_request", "client_id parameter is required"
        )
    broken = anonymous.post("identity/oidc/provider/p1/token", content=b"{bad")
    assert broken.status_code == 400
    assert broken.json()["errors"][0].startswith("failed to decode JSON input: ")
    for headers in ({}, {"Authorization": "Bearer nope"}):
        info = anonymous.get("identity/oidc/provider/p1/userinfo", headers=headers)
        assert (info.status_code, info.json()) == error(
            401, "invalid_token", "permission denied"
        )
    anonymous.close()


# -- hvac -------------------------------------------------------------------------


def test_hvac_oidc_methods(target: Target) -> None:
    """hvac's OIDC token methods of ``Identity``, each once, as a client calls them."""
    user = target.login()
    admin = hvac.Client(url=target.url, token="root")
    mine = hvac.Client(url=target.url, token=user.token)
    try:
        identity = admin.secrets.identity
        configured = identity.configure_tokens_backend(issuer="http://127.0.0.1:8200")
        # An explicit issuer is answered with a warning about validating tokens.
        assert configured["data"] is None
        assert len(configured["warnings"]) == 1
        assert identity.read_tokens_backend_configuration()["data"] == {
            "issuer": "http://127.0.0.1:8200"
        }
        assert identity.configure_tokens_backend(issuer="").status_code == 204
        created = identity.create_named_key(
            "k1", allowed_client_ids=["*"], algorithm="ES256", verification_ttl="2h"
        )
        assert created.status_code == 204
        assert identity.read_named_key("k1")["data"] == {
            "algorithm": "ES256",
            "allowed_client_ids": ["*"],
            "rotation_period": 86400,
            "verification_ttl": 7200,
        }
        assert identity.list_named_keys()["data"]["keys"] == ["default", "k1"]
        role = identity.create_or_update_role("r1", key="k1", ttl="1h")
        assert role.status_code == 204
        read = identity.read_role("r1")["data"]
        assert (read["key"], read["ttl"], read["template"]) == ("k1", 3600, "")
        assert identity.list_roles()["data"]["keys"] == ["r1"]

        signed = mine.secrets.identity.generate_signed_id_token("r1")["data"]
        assert signed["client_id"] == read["client_id"]
        assert signed["ttl"] == 3600
        keys = identity.read_active_public_keys()
        well_known = identity.read_well_known_configurations()
        assert well_known["jwks_uri"].endswith("/v1/identity/oidc/.well-known/keys")
        verify(signed["token"], keys, iss=well_known["issuer"], sub=user.entity_id)
        assert identity.introspect_signed_id_token(signed["token"]) == {"active": True}
        assert (
            identity.introspect_signed_id_token(signed["token"], client_id="other")[
                "active"
            ]
            is False
        )

        assert identity.rotate_named_key("k1", verification_ttl="1h").status_code == 204
        assert verifies(signed["token"], identity.read_active_public_keys())
        assert identity.delete_role("r1").status_code == 204
        assert identity.delete_named_key("k1").status_code == 204
        with pytest.raises(hvac.exceptions.InvalidPath):
            identity.read_role("r1")
    finally:
        admin.adapter.close()
        mine.adapter.close()
