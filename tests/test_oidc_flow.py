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

with warnings.catch_warnings():
    # authlib announces its move of the jose package on import.
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
    cases: list[tuple[dict[str, str], str]] = [
        ({"client_id": "nope"}, "invalid_client_id"),
        ({"scope": "user"}, "invalid_request"),
        ({"redirect_uri": "http://x/cb"}, "invalid_redirect_uri"),
        ({"response_type": "token"}, "unsupported_response_type"),
        (
            {"code_challenge": "abc", "code_challenge_method": "S512"},
            "invalid_request",
        ),
    ]
    for extra, error in cases:
        with pytest.raises(OAuthError) as caught:
            _authorize(provider, entity_id, **{"client_id": client_id, **extra})
        assert caught.value.error == error
        assert caught.value.body()["state"] == "st"
    with pytest.raises(OAuthError, match="entity must be associated"):
        _authorize(provider, "", client_id)
    code = _authorize(provider, entity_id, client_id, code_challenge="plainvalue")
    params = {"grant_type": "authorization_code", "code": code["code"]}
    with pytest.raises(OAuthError) as caught:
        provider.token("p1", params, (client_id, "wrong"), BASE)
    assert (caught.value.status, caught.value.error) == (401, "invalid_client")
    with pytest.raises(OAuthError, match="unsupported grant_type"):
        provider.token("p1", {"grant_type": "password"}, (client_id, secret), BASE)
    with pytest.raises(OAuthError, match="redirect_uri does not match"):
        provider.token("p1", params, (client_id, secret), BASE)
    code = _authorize(provider, entity_id, client_id, code_challenge="plainvalue")
    params = {
        "grant_type": "authorization_code",
        "code": code["code"],
        "redirect_uri": REDIRECT,
        "code_verifier": "other",
    }
    with pytest.raises(OAuthError, match="PKCE"):
        provider.token("p1", params, (client_id, secret), BASE)
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
