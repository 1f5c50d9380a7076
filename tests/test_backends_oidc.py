"""The OIDC token backend: keys, rotation, roles, signed tokens, introspection."""

from __future__ import annotations

import json

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from mockserver.backends import Store
from mockserver.backends.oidc import OIDCBackend, check_template
from mockserver.errors import InvalidRequest, NotFound

BASE = "http://127.0.0.1:8200"


@pytest.fixture
def store() -> Store:
    return Store(seed=7)


@pytest.fixture
def oidc(store: Store) -> OIDCBackend:
    return store.oidc


@pytest.fixture
def entity_id(store: Store) -> str:
    entity, _ = store.entities.entity_create(name="alice", metadata={"team": "ops"})
    return entity.id


def decode(token: str, oidc: OIDCBackend) -> dict[str, object]:
    keys = KeySet.import_key_set({"keys": oidc.public_keys()})
    algorithms = ["RS256", "ES256", "ES384", "ES512", "RS384", "RS512"]
    return dict(jwt.decode(token, keys, algorithms=algorithms).claims)


def test_default_key_always_exists_and_is_not_deletable(oidc: OIDCBackend) -> None:
    assert oidc.oidc_list_keys() == ["default"]
    assert oidc.oidc_read_key("default").view() == {
        "algorithm": "RS256",
        "allowed_client_ids": ["*"],
        "rotation_period": 86400,
        "verification_ttl": 86400,
    }
    with pytest.raises(InvalidRequest, match='deletion of key "default" not allowed'):
        oidc.oidc_delete_key("default")
    oidc.reset()
    assert oidc.oidc_list_keys() == ["default"]


def test_key_validation(oidc: OIDCBackend) -> None:
    with pytest.raises(InvalidRequest, match='unknown signing algorithm "XX"'):
        oidc.oidc_write_key("k", algorithm="XX")
    with pytest.raises(InvalidRequest, match="at least one minute"):
        oidc.oidc_write_key("k", rotation_period="10s")
    with pytest.raises(InvalidRequest, match="10x rotation_period"):
        oidc.oidc_write_key("k", verification_ttl="100d")
    with pytest.raises(
        InvalidRequest,
        match=r'^error converting input for field "rotation_period": '
        r'time: invalid duration "abc"$',
    ):
        oidc.oidc_write_key("k", rotation_period="abc")
    with pytest.raises(InvalidRequest, match="cannot provide negative value '-5'"):
        oidc.oidc_write_key("k", verification_ttl=-5)
    key = oidc.oidc_write_key(
        "k", algorithm="ES256", rotation_period="1h", verification_ttl="2h"
    )
    assert key.view()["rotation_period"] == 3600
    assert key.allowed_client_ids == []
    with pytest.raises(NotFound):
        oidc.oidc_read_key("nope")


def test_key_pairs_are_made_when_a_role_refers_to_the_key(oidc: OIDCBackend) -> None:
    oidc.oidc_write_key("k", algorithm="ES256")
    assert oidc.public_keys() == []
    oidc.oidc_write_role("r", key="k")
    published = oidc.public_keys()
    assert [k["kty"] for k in published] == ["EC", "EC"]
    assert all("d" not in k for k in published)


def test_role_validation(oidc: OIDCBackend) -> None:
    with pytest.raises(InvalidRequest, match="the key parameter is required"):
        oidc.oidc_write_role("r")
    with pytest.raises(InvalidRequest, match='cannot find key "nokey"'):
        oidc.oidc_write_role("r", key="nokey")
    with pytest.raises(InvalidRequest, match="error parsing template JSON"):
        oidc.oidc_write_role("r", key="default", template="not json")
    with pytest.raises(InvalidRequest, match='top level key "sub" not allowed'):
        oidc.oidc_write_role("r", key="default", template='{"sub": 1}')
    with pytest.raises(InvalidRequest, match="no value could be found"):
        check_template('{"x": {{identity.nope}} }')
    oidc.oidc_write_key("short", verification_ttl="1h", rotation_period="1h")
    with pytest.raises(InvalidRequest, match="cannot be longer than the verification"):
        oidc.oidc_write_role("r", key="short", ttl="2h")
    role = oidc.oidc_write_role("r", key="short", ttl="30m")
    assert len(role.client_id) == 26
    with pytest.raises(InvalidRequest, match="roles with a token ttl greater"):
        oidc.oidc_write_key("short", verification_ttl="10m")
    with pytest.raises(InvalidRequest, match="referenced by these roles: r"):
        oidc.oidc_delete_key("short")
    oidc.oidc_write_role("r", ttl="20m")
    assert oidc.oidc_read_role("r").view()["key"] == "short"
    oidc.oidc_delete_role("r")
    with pytest.raises(NotFound):
        oidc.oidc_list_roles()


def test_token_claims_verify_with_the_published_keys(
    oidc: OIDCBackend, entity_id: str
) -> None:
    oidc.oidc_write_role(
        "r",
        key="default",
        template='{"nm": {{identity.entity.name}}, "team": '
        "{{identity.entity.metadata.team}}, "
        '"md": {{identity.entity.metadata}}, "g": {{identity.entity.groups.ids}} }',
    )
    token, role = oidc.oidc_generate_token("r", entity_id, BASE)
    claims = decode(token, oidc)
    assert claims["sub"] == entity_id
    assert claims["aud"] == role.client_id
    assert claims["iss"] == BASE + "/v1/identity/oidc"
    assert claims["namespace"] == "root"
    assert claims["nm"] == "alice"
    assert claims["team"] == "ops"
    assert claims["md"] == {"team": "ops"}
    assert claims["g"] is None
    assert isinstance(claims["exp"], int)
    assert isinstance(claims["iat"], int)
    assert claims["exp"] - claims["iat"] == 86400


def test_token_refusals(oidc: OIDCBackend, entity_id: str) -> None:
    with pytest.raises(InvalidRequest, match='role "nope" not found'):
        oidc.oidc_generate_token("nope", entity_id, BASE)
    oidc.oidc_write_key("k", allowed_client_ids=["a"])
    oidc.oidc_write_role("r", key="k")
    with pytest.raises(InvalidRequest, match="no entity associated"):
        oidc.oidc_generate_token("r", "", BASE)
    with pytest.raises(InvalidRequest, match="as an allowed client ID"):
        oidc.oidc_generate_token("r", entity_id, BASE)


def test_rotation_keeps_old_public_keys_for_the_verification_ttl(
    oidc: OIDCBackend, entity_id: str
) -> None:
    now = [1_800_000_000.0]
    oidc.clock = lambda: now[0]
    oidc.oidc_write_key("k", algorithm="ES384", allowed_client_ids=["*"])
    oidc.oidc_write_role("r", key="k", ttl="1h")
    before, _ = oidc.oidc_generate_token("r", entity_id, BASE)
    oidc.oidc_rotate_key("k", verification_ttl="2h")
    after, _ = oidc.oidc_generate_token("r", entity_id, BASE)
    assert len(oidc.public_keys()) == 3
    assert decode(before, oidc)["sub"] == decode(after, oidc)["sub"] == entity_id
    assert oidc.oidc_introspect(before) == {"active": True}
    now[0] += 2 * 3600 + 1
    assert len(oidc.public_keys()) == 2
    assert oidc.oidc_introspect(before)["error"] == (
        "unable to validate the token signature"
    )
    with pytest.raises(InvalidRequest, match='no named key found at "nope"'):
        oidc.oidc_rotate_key("nope")


def test_introspection(oidc: OIDCBackend, entity_id: str) -> None:
    now = [1_800_000_000.0]
    oidc.clock = lambda: now[0]
    oidc.oidc_write_role("r", key="default", ttl="10m")
    token, role = oidc.oidc_generate_token("r", entity_id, BASE)
    assert oidc.oidc_introspect(token) == {"active": True}
    assert oidc.oidc_introspect(token, role.client_id) == {"active": True}
    assert oidc.oidc_introspect(token, "other")["error"].endswith(
        "invalid audience claim (aud)"
    )
    assert "three parts" in oidc.oidc_introspect("abc")["error"]
    head, body, signature = token.split(".")
    tampered = f"{head}.{body[:-2]}AA.{signature}"
    assert oidc.oidc_introspect(tampered)["active"] is False
    now[0] += 600 + 59
    assert oidc.oidc_introspect(token) == {"active": True}
    now[0] += 2
    assert oidc.oidc_introspect(token)["error"].endswith("token is expired (exp)")


def test_snapshot_restore_keeps_keys(store: Store, entity_id: str) -> None:
    store.oidc.oidc_write_key("k", algorithm="EdDSA", allowed_client_ids=["*"])
    store.oidc.oidc_write_role("r", key="k")
    token, _ = store.oidc.oidc_generate_token("r", entity_id, BASE)
    data = json.loads(json.dumps(store.snapshot()))
    other = Store(seed=7)
    other.restore(data)
    assert other.oidc.oidc_introspect(token) == {"active": True}
    again, _ = other.oidc.oidc_generate_token("r", entity_id, BASE)
    assert token.split(".")[0] == again.split(".")[0]


def test_issuer(oidc: OIDCBackend) -> None:
    assert oidc.oidc_configure("https://example.com:8200") is True
    assert oidc.issuer_for(BASE) == "https://example.com:8200/v1/identity/oidc"
    with pytest.raises(InvalidRequest, match="invalid issuer"):
        oidc.oidc_configure("https://x.com/path")
    assert oidc.oidc_configure("") is False
    assert oidc.oidc_read_configuration() == {"issuer": ""}


def test_group_claims_follow_the_group_family(
    store: Store, oidc: OIDCBackend, entity_id: str
) -> None:
    direct, _ = store.groups.group_create(name="devs", member_entity_ids=[entity_id])
    parent, _ = store.groups.group_create(name="staff", member_group_ids=[direct.id])
    oidc.oidc_write_role(
        "r",
        key="default",
        template='{"ids": {{identity.entity.groups.ids}}, '
        '"names": {{identity.entity.groups.names}} }',
    )
    token, _ = oidc.oidc_generate_token("r", entity_id, BASE)
    claims = decode(token, oidc)
    # Direct groups come before inherited ones, as on the real server.
    assert claims["ids"] == [direct.id, parent.id]
    assert claims["names"] == ["devs", "staff"]
