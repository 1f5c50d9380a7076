from __future__ import annotations

import pytest

from mockserver.backends._base import Randomness
from mockserver.backends.mounts import MountBackend
from mockserver.errors import InvalidRequest


@pytest.fixture
def mounts() -> MountBackend:
    return MountBackend(Randomness(7))


def test_token_mount_always_exists(mounts: MountBackend) -> None:
    (token,) = mounts.sys_auth_list()
    assert (token.path, token.type) == ("token/", "token")
    assert token.accessor.startswith("auth_token_")
    mounts.reset()
    assert [m.path for m in mounts.sys_auth_list()] == ["token/"]


def test_enable_find_disable(mounts: MountBackend) -> None:
    made = mounts.sys_auth_enable("/people/", "userpass", description="humans")
    assert made.path == "people/"
    assert made.accessor.startswith("auth_userpass_")
    assert mounts.by_accessor(made.accessor) is made
    assert mounts.sys_auth_disable("people") is made
    assert mounts.by_accessor(made.accessor) is None
    assert mounts.sys_auth_disable("people") is None


@pytest.mark.parametrize(
    ("path", "kind", "message"),
    [
        ("x", "", "backend type must be specified as a string"),
        ("x", "token", "token credential backend cannot be instantiated"),
        ("x", "nosuch", "plugin not found in the catalog: nosuch"),
        ("token/sub", "userpass", "path is already in use at token/"),
        ("", "userpass", "missing path"),
    ],
)
def test_enable_refusals(
    mounts: MountBackend, path: str, kind: str, message: str
) -> None:
    with pytest.raises(InvalidRequest, match=message):
        mounts.sys_auth_enable(path, kind)


def test_token_mount_cannot_be_disabled(mounts: MountBackend) -> None:
    with pytest.raises(InvalidRequest, match="cannot be disabled"):
        mounts.sys_auth_disable("token")


def test_snapshot_restore(mounts: MountBackend) -> None:
    made = mounts.sys_auth_enable("approle", "approle")
    snap = mounts.snapshot()
    mounts.sys_auth_disable("approle")
    mounts.restore(snap)
    assert mounts.by_accessor(made.accessor) == made
