from __future__ import annotations

import json

import pytest

from mockserver.backends import Store
from mockserver.errors import InvalidRequest, NotFound, RequestError

MOUNT = "auth_approle_1"


@pytest.fixture
def store() -> Store:
    return Store(seed=6)


def test_roles(store: Store) -> None:
    roles = store.approle
    with pytest.raises(NotFound):
        roles.role_list(MOUNT)
    role = roles.role_write(
        MOUNT, "Web", {"token_policies": ["p"], "secret_id_ttl": "10m"}
    )
    assert role.name == "web"
    view = roles.role_read(MOUNT, "WEB").view()
    assert (view["bind_secret_id"], view["secret_id_ttl"], view["token_policies"]) == (
        True,
        600,
        ["p"],
    )
    assert roles.role_list(MOUNT) == ["web"]
    roles.role_delete(MOUNT, "web")
    with pytest.raises(NotFound):
        roles.role_read(MOUNT, "web")


def test_role_ids(store: Store) -> None:
    roles = store.approle
    roles.role_write(MOUNT, "a", {"role_id": "fixed"})
    roles.role_write(MOUNT, "b", {})
    assert roles.role_read(MOUNT, "a").role_id == "fixed"
    with pytest.raises(InvalidRequest, match="role_id already in use"):
        roles.role_id_write(MOUNT, "b", "fixed")
    roles.role_id_write(MOUNT, "b", "other")
    with pytest.raises(RequestError, match='role "nope" does not exist') as caught:
        roles.role_id_write(MOUNT, "nope", "x")
    assert caught.value.status == 400


def test_a_role_needs_a_constraint(store: Store) -> None:
    with pytest.raises(InvalidRequest, match="at least one constraint"):
        store.approle.role_write(MOUNT, "open", {"bind_secret_id": False})
    assert store.approle.roles.get(MOUNT, {}) == {}
    store.approle.role_write(
        MOUNT,
        "cidr",
        {"bind_secret_id": False, "secret_id_bound_cidrs": ["10.0.0.0/8"]},
    )


def test_secret_ids_and_login(store: Store) -> None:
    roles = store.approle
    role = roles.role_write(MOUNT, "web", {})
    secret = roles.secret_id_generate(
        MOUNT, "web", metadata=json.dumps({"env": "ci"}), num_uses=2
    )
    assert roles.secret_id_list(MOUNT, "web") == [secret.accessor]
    found = roles.secret_id_lookup(MOUNT, "web", secret.secret_id)
    assert found is not None
    assert roles.secret_id_view(found)["metadata"] == {"env": "ci"}
    used, metadata = roles.check_login(MOUNT, role.role_id, secret.secret_id)
    assert used is role
    assert metadata == {"env": "ci", "role_name": "web"}
    roles.check_login(MOUNT, role.role_id, secret.secret_id)
    with pytest.raises(InvalidRequest, match="invalid role or secret ID"):
        roles.check_login(MOUNT, role.role_id, secret.secret_id)
    with pytest.raises(InvalidRequest, match="missing role_id"):
        roles.check_login(MOUNT, None, "x")
    with pytest.raises(InvalidRequest, match="missing secret_id"):
        roles.check_login(MOUNT, role.role_id, None)
    with pytest.raises(InvalidRequest, match="invalid role or secret ID"):
        roles.check_login(MOUNT, "nope", "x")


def test_secret_id_refusals(store: Store) -> None:
    roles = store.approle
    roles.role_write(MOUNT, "web", {})
    with pytest.raises(InvalidRequest, match="failed to parse metadata"):
        roles.secret_id_generate(MOUNT, "web", metadata="not json")
    with pytest.raises(RequestError, match='role "nope" does not exist') as caught:
        roles.secret_id_generate(MOUNT, "nope")
    assert caught.value.status == 404
    with pytest.raises(NotFound):
        roles.secret_id_list(MOUNT, "web")
    secret = roles.secret_id_generate(MOUNT, "web", ttl=1)
    secret.created_at -= 2
    assert roles.secret_id_lookup(MOUNT, "web", secret.secret_id) is None
    roles.secret_id_destroy(MOUNT, "web", "unknown")


def test_snapshot_round_trip(store: Store) -> None:
    role = store.approle.role_write(MOUNT, "web", {})
    secret = store.approle.secret_id_generate(MOUNT, "web")
    copy = Store(seed=6)
    copy.restore(store.snapshot())
    copy.approle.check_login(MOUNT, role.role_id, secret.secret_id)
