"""The OIDC provider: scopes, clients, assignments, providers, and an
authorization-code flow with PKCE whose ID token a standard library validates."""

from __future__ import annotations

import secrets
import warnings
from typing import Any

import pytest

from mockserver.backends import Store
from mockserver.backends.oidc_provider import OAuthError, ProviderBackend, s256
from mockserver.errors import InvalidRequest, NotFound

BASE = "http://127.0.0.1:8200"
REDIRECT = "http://127.0.0.1:9999/cb"

# authlib announces its move of the jose package on import, after installing an
# "always" filter for that warning; import that module first so the filter below
# comes before it.
import authlib.deprecate  # noqa: E402, F401

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from authlib.jose import JsonWebKey, jwt
    from authlib.oidc.core import CodeIDToken


@pytest.fixture
def store() -> Store:
    return Store(seed=11)


@pytest.fixture
def provider(store: Store) -> ProviderBackend:
    return store.oidc_provider


@pytest.fixture
def entity_id(store: Store) -> str:
    entity, _ = store.entities.entity_create(name="alice", metadata={"team": "ops"})
    return entity.id


def _setup(provider: ProviderBackend, **client: Any) -> tuple[str, str]:
    provider.oidc_write_scope(
        "user", template='{"username": {{identity.entity.name}} }'
    )
    made = provider.oidc_write_client(
        "app", redirect_uris=[REDIRECT], assignments=["allow_all"], **client
    )
    provider.oidc_write_provider(
        "p1", scopes_supported=["user"], allowed_client_ids=["*"]
    )
    return made.client_id, made.client_secret


def test_ever_present_objects(provider: ProviderBackend) -> None:
    assert provider.oidc_list_assignments() == ["allow_all"]
    assert provider.oidc_read_assignment("allow_all").entity_ids == ["*"]
    with pytest.raises(InvalidRequest, match="modification"):
        provider.oidc_write_assignment("allow_all", entity_ids=[])
    with pytest.raises(InvalidRequest, match="deletion"):
        provider.oidc_delete_assignment("allow_all")
    assert [p.name for p in provider.oidc_list_providers()] == ["default"]
    assert provider.view(provider.oidc_read_provider("default"), BASE) == {
        "allowed_client_ids": ["*"],
        "issuer": BASE + "/v1/identity/oidc/provider/default",
        "scopes_supported": [],
    }
    with pytest.raises(NotFound):
        provider.oidc_list_scopes()
    with pytest.raises(NotFound):
        provider.oidc_list_clients()


def test_references_are_checked(provider: ProviderBackend) -> None:
    with pytest.raises(InvalidRequest, match="reserved"):
        provider.oidc_write_scope("openid")
    with pytest.raises(InvalidRequest, match='key "nokey" does not exist'):
        provider.oidc_write_client("c", key="nokey")
    with pytest.raises(InvalidRequest, match='assignment "nope" does not exist'):
        provider.oidc_write_client("c", assignments=["nope"])
    with pytest.raises(InvalidRequest, match='scope "nope" does not exist'):
        provider.oidc_write_provider("p", scopes_supported=["nope"])
    _setup(provider)
    with pytest.raises(InvalidRequest, match="referenced by these providers: p1"):
        provider.oidc_delete_scope("user")
    provider.oidc_write_assignment("a")
    provider.oidc_write_client("app", assignments=["a"])
    with pytest.raises(InvalidRequest, match="referenced by these clients: app"):
        provider.oidc_delete_assignment("a")


def test_client_view(provider: ProviderBackend) -> None:
    client_id, secret = _setup(provider)
    view = provider.oidc_read_client("app").view()
    assert len(client_id) == 32
    assert secret.startswith("hvo_secret_")
    assert len(secret) == len("hvo_secret_") + 64
    assert view["client_secret"] == secret
    assert "client_secret" not in provider.oidc_read_client("app").view(secret=False)
    assert view["key"] == "default"
    assert view["redirect_uris"] == [REDIRECT]


def _authorize(
    provider: ProviderBackend, entity_id: str, client_id: str, **extra: str
) -> dict[str, str]:
    params = {
        "client_id": client_id,
        "scope": "openid user",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "state": "st",
        **extra,
    }
    return provider.authorize("p1", entity_id, params)


@pytest.mark.parametrize("auth", ["basic", "post"])
def test_code_flow_with_pkce(
    provider: ProviderBackend, entity_id: str, auth: str
) -> None:
    client_id, secret = _setup(provider)
    verifier = secrets.token_urlsafe(48)
    answer = _authorize(
        provider,
        entity_id,
        client_id,
        nonce="n1",
        code_challenge=s256(verifier),
        code_challenge_method="S256",
    )
    assert answer["state"] == "st"
    params = {
        "grant_type": "authorization_code",
        "code": answer["code"],
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    basic = (client_id, secret) if auth == "basic" else None
    if basic is None:
        params.update(client_id=client_id, client_secret=secret)
    tokens = provider.token("p1", params, basic, BASE)
    assert tokens["token_type"] == "Bearer"
    issuer = BASE + "/v1/identity/oidc/provider/p1"
    keys = JsonWebKey.import_key_set({"keys": provider.public_keys("p1")})
    claims = jwt.decode(
        tokens["id_token"],
        keys,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"value": issuer}, "aud": {"value": client_id}},
        claims_params={"nonce": "n1", "access_token": tokens["access_token"]},
    )
    claims.validate()
    assert claims["sub"] == entity_id
    assert claims["username"] == "alice"
    assert provider.userinfo("p1", tokens["access_token"]) == {
        "sub": entity_id,
        "username": "alice",
    }
    with pytest.raises(OAuthError, match="invalid or expired"):
        provider.token("p1", params, basic or (client_id, secret), BASE)


def test_flow_errors(provider: ProviderBackend, entity_id: str) -> None:
    client_id, secret = _setup(provider)
    challenge = "c" * 43
    cases: list[tuple[dict[str, str], str, str]] = [
        ({"client_id": ""}, "invalid_client_id", "client_id parameter is required"),
        ({"client_id": "nope"}, "invalid_client_id", "client with client_id not found"),
        ({"redirect_uri": ""}, "invalid_request", "redirect_uri parameter is required"),
        ({"redirect_uri": "http://x/cb"}, "invalid_redirect_uri", "not allowed"),
        ({"scope": "user"}, "invalid_request", 'must contain the "openid" value'),
        ({"response_type": ""}, "invalid_request", "response_type parameter is"),
        ({"response_type": "token"}, "unsupported_response_type", "unsupported"),
        (
            {"code_challenge": challenge, "code_challenge_method": "S512"},
            "invalid_request",
            "invalid code_challenge_method",
        ),
        ({"code_challenge": "c" * 42}, "invalid_request", "invalid code_challenge"),
        ({"code_challenge": "c" * 129}, "invalid_request", "invalid code_challenge"),
        ({"max_age": "0"}, "invalid_request", "max_age must be greater than zero"),
        # Several faults: the first in the real server's order wins.
        ({"client_id": "", "scope": "x"}, "invalid_client_id", "client_id"),
        ({"redirect_uri": "", "scope": "x"}, "invalid_request", "redirect_uri"),
        ({"scope": "x", "response_type": ""}, "invalid_request", "openid"),
        ({"max_age": "-1", "code_challenge": "c"}, "invalid_request", "challenge"),
    ]
    for extra, error, description in cases:
        with pytest.raises(OAuthError) as caught:
            _authorize(provider, entity_id, **{"client_id": client_id, **extra})
        assert caught.value.error == error, extra
        assert description in caught.value.description, extra
        assert caught.value.body()["state"] == "st"
    with pytest.raises(OAuthError, match="provider not found"):
        provider.authorize(
            "nope", entity_id, {"client_id": client_id, "redirect_uri": REDIRECT}
        )
    with pytest.raises(OAuthError, match="entity must be associated"):
        _authorize(provider, "", client_id)
    with pytest.raises(InvalidRequest, match='field "max_age"'):
        _authorize(provider, entity_id, client_id, max_age="1h")
    provider.oidc_write_provider("only", allowed_client_ids=["someone-else"])
    with pytest.raises(OAuthError) as caught:
        provider.authorize(
            "only", entity_id, {"client_id": client_id, "redirect_uri": REDIRECT}
        )
    assert caught.value.error == "unauthorized_client"

    code = _authorize(provider, entity_id, client_id, code_challenge=challenge)
    params = {"grant_type": "authorization_code", "code": code["code"]}
    with pytest.raises(OAuthError) as caught:
        provider.token("p1", params, (client_id, "wrong"), BASE)
    assert (caught.value.status, caught.value.error) == (401, "invalid_client")
    with pytest.raises(OAuthError) as caught:
        provider.token("only", params, (client_id, secret), BASE)
    assert (caught.value.status, caught.value.description) == (
        401,
        "client is not authorized to use the provider",
    )
    with pytest.raises(OAuthError, match="provider not found"):
        provider.token("nope", {}, None, BASE)
    with pytest.raises(OAuthError, match="client_id parameter is required"):
        provider.token("p1", {}, None, BASE)
    with pytest.raises(OAuthError, match="unsupported grant_type"):
        provider.token("p1", {"grant_type": "password"}, (client_id, secret), BASE)
    with pytest.raises(OAuthError, match="code parameter is required"):
        provider.token(
            "p1", {"grant_type": "authorization_code"}, (client_id, secret), BASE
        )
    # Looking the code up spends it: the failed exchange cannot be retried.
    with pytest.raises(OAuthError, match="redirect_uri parameter is required"):
        provider.token("p1", params, (client_id, secret), BASE)
    with pytest.raises(OAuthError, match="invalid or expired"):
        provider.token(
            "p1", {**params, "redirect_uri": REDIRECT}, (client_id, secret), BASE
        )

    def exchange(extra: dict[str, str], **authorize: str) -> None:
        code = _authorize(provider, entity_id, client_id, **authorize)["code"]
        params = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
        }
        provider.token("p1", {**params, **extra}, (client_id, secret), BASE)

    with pytest.raises(OAuthError, match="redirect_uri does not match"):
        exchange({"redirect_uri": "http://x/cb"})
    with pytest.raises(OAuthError, match=r"^expected code_verifier"):
        exchange({}, code_challenge=challenge)
    with pytest.raises(OAuthError, match=r"^invalid code_verifier"):
        exchange({"code_verifier": "other"}, code_challenge=challenge)
    with pytest.raises(OAuthError, match=r"^unexpected code_verifier"):
        exchange({"code_verifier": challenge})
    with pytest.raises(OAuthError) as caught:
        provider.userinfo("p1", "nope")
    assert (caught.value.status, caught.value.error) == (401, "invalid_token")


def test_snapshot_restore(store: Store, entity_id: str) -> None:
    client_id, _ = _setup(store.oidc_provider)
    data = store.snapshot()
    other = Store(seed=11)
    other.restore(data)
    assert other.oidc_provider.client_by_id(client_id) is not None
    assert other.oidc_provider.public_keys("p1") == store.oidc_provider.public_keys(
        "p1"
    )


def test_assignment_by_group(store: Store, entity_id: str) -> None:
    provider = store.oidc_provider
    client_id, _ = _setup(provider)
    group, _ = store.groups.group_create(name="devs")
    provider.oidc_write_assignment("devs", group_ids=[group.id])
    provider.oidc_write_client("app", assignments=["devs"])
    with pytest.raises(OAuthError, match="not authorized by client assignment"):
        _authorize(provider, entity_id, client_id)
    store.groups.group_create(id=group.id, member_entity_ids=[entity_id])
    assert _authorize(provider, entity_id, client_id)["state"] == "st"


def test_access_tokens_and_auth_time(store: Store, entity_id: str) -> None:
    provider = store.oidc_provider
    client_id, secret = _setup(provider)
    code = _authorize(provider, entity_id, client_id, max_age="600")["code"]
    params = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
    }
    tokens = provider.token("p1", params, (client_id, secret), BASE)
    keys = JsonWebKey.import_key_set({"keys": provider.public_keys("p1")})
    claims = jwt.decode(tokens["id_token"], keys)
    # A request with max_age gets the time of the authentication.
    assert claims["auth_time"] <= claims["iat"]
    access = tokens["access_token"]
    # Good for userinfo only: the access token is not a Vault token.
    assert store.tokens.authenticate(access) is None
    assert provider.userinfo("p1", access)["sub"] == entity_id
    store.oidc.clock = lambda: claims["iat"] + 86400 + 1.0
    with pytest.raises(OAuthError, match="permission denied"):
        provider.userinfo("p1", access)


def test_non_ascii_secrets_are_refused_not_crashed(
    provider: ProviderBackend, entity_id: str
) -> None:
    client_id, _ = _setup(provider)
    answer = _authorize(
        provider,
        entity_id,
        client_id,
        code_challenge="ç" * 43,
        code_challenge_method="plain",
    )
    params = {
        "grant_type": "authorization_code",
        "code": answer["code"],
        "redirect_uri": REDIRECT,
        "code_verifier": "é" * 43,
    }
    with pytest.raises(OAuthError, match="client failed to authenticate"):
        provider.token("p1", params, (client_id, "sécret"), BASE)
