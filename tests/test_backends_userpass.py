from __future__ import annotations

import pytest

from mockserver.backends import Store
from mockserver.errors import InvalidRequest, NotFound

MOUNT = "auth_userpass_1"


@pytest.fixture
def store() -> Store:
    return Store(seed=5)


def test_users(store: Store) -> None:
    users = store.userpass
    with pytest.raises(NotFound):
        users.user_list(MOUNT)
    with pytest.raises(InvalidRequest, match="must provide either password"):
        users.user_write(MOUNT, "alice", {})
    users.user_write(MOUNT, "Alice", {"password": "pw", "token_ttl": "1h"})
    users.user_write(MOUNT, "alice", {"token_policies": ["b", "a", "b"]})
    user = users.user_read(MOUNT, "ALICE")
    assert users.user_view(user)["token_policies"] == ["b", "a"]
    assert users.user_view(user)["token_ttl"] == 3600
    assert "password" not in users.user_view(user)
    assert users.user_list(MOUNT) == ["alice"]
    users.user_delete(MOUNT, "alice")
    users.user_delete(MOUNT, "alice")
    with pytest.raises(NotFound):
        users.user_read(MOUNT, "alice")


def test_deprecated_fields_are_shown_back(store: Store) -> None:
    user = store.userpass.user_write(
        MOUNT, "dep", {"password": "x", "policies": ["a"], "ttl": 300}
    )
    view = store.userpass.user_view(user)
    assert (view["policies"], view["token_policies"], view["ttl"]) == (
        ["a"],
        ["a"],
        300,
    )
    assert "max_ttl" not in view


def test_login_checks(store: Store) -> None:
    users = store.userpass
    users.user_write(MOUNT, "bob", {"password": "right"})
    assert users.check_login(MOUNT, "BOB", "right").name == "bob"
    with pytest.raises(InvalidRequest, match="invalid username or password"):
        users.check_login(MOUNT, "bob", "wrong")
    with pytest.raises(InvalidRequest, match="invalid username or password"):
        users.check_login(MOUNT, "nobody", "x")
    with pytest.raises(InvalidRequest, match="missing password"):
        users.check_login(MOUNT, "bob", None)
    with pytest.raises(InvalidRequest, match="invalid username or password"):
        users.check_login("another_mount", "bob", "right")


def test_password_change(store: Store) -> None:
    users = store.userpass
    users.user_write(MOUNT, "bob", {"password": "old"})
    users.user_password(MOUNT, "bob", "new")
    users.check_login(MOUNT, "bob", "new")
    with pytest.raises(InvalidRequest, match="username does not exist"):
        users.user_password(MOUNT, "nobody", "x")
    with pytest.raises(InvalidRequest, match="must provide either password"):
        users.user_password(MOUNT, "bob", "")


def test_snapshot_keeps_no_clear_password(store: Store) -> None:
    store.userpass.user_write(MOUNT, "bob", {"password": "hunter2"})
    snapshot = store.snapshot()
    assert "hunter2" not in repr(snapshot)
    copy = Store(seed=5)
    copy.restore(snapshot)
    copy.userpass.check_login(MOUNT, "bob", "hunter2")
