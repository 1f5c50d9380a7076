"""The jwt auth backend without HTTP: roles, the checks of a login token, and
the external group memberships a login sets."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from mockserver.backends import Store
from mockserver.backends.groups import EXTERNAL
from mockserver.errors import InvalidRequest, NotFound

MOUNT = "auth_jwt_1"
NOW = 1_800_000_000
KEY = ECKey.generate_key("P-256")


def sign(key: Any = KEY, alg: str = "ES256", **claims: Any) -> str:
    body = {"sub": "alice", "aud": "app", "iat": NOW, "exp": NOW + 300}
    body.update(claims)
    return jwt.encode(
        {"alg": alg}, {k: v for k, v in body.items() if v is not None}, key
    )


@pytest.fixture
def store() -> Store:
    store = Store(seed=9)
    rsa = RSAKey.generate_key(2048)
    store.jwt.config_write(
        MOUNT,
        {
            "jwt_validation_pubkeys": [
                rsa.as_pem(private=False).decode(),
                KEY.as_pem(private=False).decode(),
            ]
        },
    )
    store.jwt.role_write(
        MOUNT,
        "Dev",
        {
            "role_type": "jwt",
            "user_claim": "email",
            "groups_claim": "/realm/groups",
            "bound_audiences": "app,other",
            "bound_claims": {"team": ["blue", "green"]},
            "claim_mappings": {"team": "team_name"},
            "token_policies": ["p"],
        },
    )
    return store


def test_roles(store: Store) -> None:
    jwt_ = store.jwt
    role = jwt_.role_read(MOUNT, "dev")
    assert (role.name, role.bound_audiences) == ("dev", ["app", "other"])
    jwt_.role_write(MOUNT, "dev", {"bound_subject": "alice"})
    view = jwt_.role_read(MOUNT, "DEV").view()
    assert (view["bound_subject"], view["user_claim"]) == ("alice", "email")
    assert view["token_policies"] == ["p"]
    with pytest.raises(InvalidRequest, match="invalid 'role_type': x"):
        jwt_.role_write(MOUNT, "x", {"role_type": "x"})
    with pytest.raises(InvalidRequest, match="a user claim must be defined"):
        jwt_.role_write(MOUNT, "y", {"role_type": "jwt", "bound_subject": "s"})
    assert jwt_.role_list(MOUNT) == ["dev"]
    jwt_.role_delete(MOUNT, "dev")
    with pytest.raises(NotFound):
        jwt_.role_list(MOUNT)


def test_login_reads_claims(store: Store) -> None:
    token = sign(email="a@b", team="green", realm={"groups": ["g1", "g1", "g2"]})
    login = store.jwt.check_login(MOUNT, "dev", token, now=NOW)
    assert (login.alias_name, login.group_names) == ("a@b", ["g1", "g2"])
    assert login.metadata == {"role": "dev", "team_name": "green"}


@pytest.mark.parametrize(
    ("claims", "now", "message"),
    [
        ({"team": "red"}, NOW, 'claim "team" does not match'),
        ({"team": None}, NOW, 'claim "team" is missing'),
        ({}, NOW + 300 + 61, "token is expired"),
        ({}, NOW - 61, "token not yet valid"),
        ({"aud": ["x", "y"]}, NOW, "invalid audience"),
        ({"email": ["a"]}, NOW, 'claim "email" could not be converted to string'),
        ({"realm": {"groups": [1]}}, NOW, "value 1 in groups claim"),
    ],
)
def test_login_refusals(
    store: Store, claims: dict[str, Any], now: int, message: str
) -> None:
    body = {"email": "a@b", "team": "blue", "realm": {"groups": []}, **claims}
    with pytest.raises(InvalidRequest, match=message):
        store.jwt.check_login(MOUNT, "dev", sign(**body), now=now)


def test_leeways(store: Store) -> None:
    store.jwt.role_write(MOUNT, "dev", {"expiration_leeway": -1})
    body = {"email": "a@b", "team": "blue", "realm": {"groups": []}}
    with pytest.raises(InvalidRequest, match="token is expired"):
        store.jwt.check_login(MOUNT, "dev", sign(**body), now=NOW + 301)
    store.jwt.role_write(MOUNT, "dev", {"expiration_leeway": "10m"})
    assert store.jwt.check_login(MOUNT, "dev", sign(**body), now=NOW + 800)


def test_snapshot_restores(store: Store) -> None:
    data = store.snapshot()
    store.reset()
    with pytest.raises(NotFound):
        store.jwt.config_read(MOUNT)
    store.restore(data)
    assert store.jwt.role_read(MOUNT, "dev").token.token_policies == ["p"]
    assert store.jwt.config_read(MOUNT).view()["status"] == "valid"


def test_external_memberships_follow_the_mount(store: Store) -> None:
    groups = store.groups
    jwt_mount = store.mounts.sys_auth_enable("jwt", "jwt")
    other = store.mounts.sys_auth_enable("other", "jwt")
    entity = store.entities.login_alias(jwt_mount.accessor, "alice").canonical_id
    made = {}
    for name, accessor in (("a", jwt_mount), ("b", jwt_mount), ("c", other)):
        group, _ = groups.group_create(name=name, type=EXTERNAL)
        groups.group_create_alias(
            name=name, mount_accessor=accessor.accessor, canonical_id=group.id
        )
        made[name] = group
    groups.set_external_memberships(entity, other.accessor, [made["c"].id])
    groups.set_external_memberships(entity, jwt_mount.accessor, [made["a"].id])
    assert groups.groups_of(entity)[0] == sorted([made["a"].id, made["c"].id])
    groups.set_external_memberships(entity, jwt_mount.accessor, [made["b"].id])
    assert groups.groups_of(entity)[0] == sorted([made["b"].id, made["c"].id])
    assert made["a"].member_entity_ids == []
    assert made["b"].member_entity_ids == [entity]
