from __future__ import annotations

import pytest

from mockserver.backends import Store
from mockserver.backends.tokens import DEFAULT_TTL, Token
from mockserver.errors import InvalidRequest, PermissionDenied, RequestError


@pytest.fixture
def store() -> Store:
    return Store(seed=7)


@pytest.fixture
def root(store: Store) -> Token:
    return store.tokens.tokens["root"]


def test_create_defaults(store: Store, root: Token) -> None:
    token, warnings = store.auth.token_create(root, {})
    assert (token.policies, token.ttl, token.renewable) == (["root"], 0, False)
    assert warnings == []
    token, warnings = store.auth.token_create(
        root, {"policies": ["b", "a"], "display_name": "My App!", "ttl": "1h"}
    )
    assert token.policies == ["a", "b", "default"]
    assert token.display_name == "token-My-App"
    assert token.ttl == 3600
    assert warnings == ['Policy "a" does not exist', 'Policy "b" does not exist']
    child, _ = store.auth.token_create(token, {})
    assert child.policies == ["a", "b", "default"]
    assert child.ttl == DEFAULT_TTL
    assert child.parent == token.id


def test_create_refusals(store: Store, root: Token) -> None:
    with pytest.raises(InvalidRequest, match="only allowed in combination"):
        store.auth.token_create(root, {"entity_alias": "x"})
    with pytest.raises(InvalidRequest, match="unknown role nope"):
        store.auth.token_create(root, {}, role_name="nope")
    with pytest.raises(InvalidRequest, match="batch tokens"):
        store.auth.token_create(root, {"type": "batch"})


def test_role_binds_an_entity(store: Store, root: Token) -> None:
    store.tokens.role_write(
        "svc", {"allowed_entity_aliases": ["svc-*"], "allowed_policies": ["p"]}
    )
    token, _ = store.auth.token_create(root, {"entity_alias": "svc-a"}, role_name="svc")
    assert token.policies == ["default", "p"]
    assert token.path == "auth/token/create/svc"
    accessor = store.mounts.mounts["token/"].accessor
    alias = store.entities.alias_by_mount_and_name(accessor, "svc-a")
    assert alias is not None
    assert alias.canonical_id == token.entity_id
    again, _ = store.auth.token_create(root, {"entity_alias": "svc-a"}, role_name="svc")
    assert again.entity_id == token.entity_id
    with pytest.raises(InvalidRequest, match="invalid 'entity_alias' value"):
        store.auth.token_create(root, {"entity_alias": "x"}, role_name="svc")
    with pytest.raises(InvalidRequest, match="must be subset of the role's allowed"):
        store.auth.token_create(root, {"policies": ["q"]}, role_name="svc")


def test_lookup_and_revoke(store: Store, root: Token) -> None:
    token, _ = store.auth.token_create(root, {"ttl": 60})
    assert store.auth.token_lookup(root, token.id) is token
    assert store.auth.token_lookup(token, None) is token
    view = store.auth.token_view(token)
    assert view["id"] == token.id
    assert 58 <= view["ttl"] <= 60
    store.auth.token_revoke(token.id)
    with pytest.raises(RequestError, match="bad token") as caught:
        store.auth.token_lookup(root, token.id)
    assert caught.value.status == 403
    with pytest.raises(InvalidRequest, match="missing token ID"):
        store.auth.token_revoke("")


def test_userpass_login_creates_then_finds_the_entity(store: Store) -> None:
    mount = store.mounts.sys_auth_enable("userpass", "userpass")
    store.userpass.user_write(
        mount.accessor, "alice", {"password": "pw", "token_policies": ["dev"]}
    )
    token = store.auth.userpass_login("userpass", "alice", "pw")
    assert token.display_name == "userpass-alice"
    assert token.path == "auth/userpass/login/alice"
    assert token.meta == {"username": "alice"}
    assert token.policies == ["default", "dev"]
    alias = store.entities.alias_by_mount_and_name(mount.accessor, "alice")
    assert alias is not None
    assert alias.canonical_id == token.entity_id
    again = store.auth.userpass_login("userpass", "ALICE", "pw")
    assert again.entity_id == token.entity_id
    store.entities.entity_update_by_id(token.entity_id, policies=["own"])
    store.groups.group_create(
        name="g", policies=["shared"], member_entity_ids=[token.entity_id]
    )
    auth = store.auth.auth_view(again)
    assert auth["identity_policies"] == ["own", "shared"]
    assert auth["policies"] == ["default", "dev", "own", "shared"]
    store.entities.entity_update_by_id(token.entity_id, disabled=True)
    with pytest.raises(PermissionDenied):
        store.auth.userpass_login("userpass", "alice", "pw")


def test_approle_login(store: Store) -> None:
    mount = store.mounts.sys_auth_enable("approle", "approle")
    role = store.approle.role_write(mount.accessor, "web", {"token_ttl": 1200})
    secret = store.approle.secret_id_generate(mount.accessor, "web")
    token = store.auth.approle_login("approle", role.role_id, secret.secret_id)
    assert (token.display_name, token.path, token.ttl) == (
        "approle",
        "auth/approle/login",
        1200,
    )
    alias = store.entities.alias_by_mount_and_name(mount.accessor, role.role_id)
    assert alias is not None
    assert alias.canonical_id == token.entity_id


def test_mount_checks(store: Store) -> None:
    store.mounts.sys_auth_enable("approle", "approle")
    with pytest.raises(PermissionDenied):
        store.auth.userpass_login("nowhere", "a", "b")
    with pytest.raises(RequestError, match="unsupported path") as caught:
        store.auth.userpass_login("approle", "a", "b")
    assert caught.value.status == 404
