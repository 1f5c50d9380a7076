"""Auth mounts (``sys/auth``): the paths and accessors that aliases point at."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from mockserver.backends._base import Randomness, load_records
from mockserver.errors import InvalidRequest


@dataclass(slots=True)
class Mount:
    """One enabled auth method."""

    path: str
    type: str
    accessor: str
    uuid: str
    description: str = ""
    local: bool = False
    seal_wrap: bool = False
    config: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] | None = None


AUTH_TYPES = frozenset(
    {
        # OpenBao's built-in auth methods
        "approle", "cert", "jwt", "kubernetes", "oidc", "userpass",
        # and HashiCorp Vault's, so clients written against either can mount them
        "alicloud", "aws", "azure", "cf", "gcp", "github", "kerberos", "ldap",
        "oci", "okta", "radius",
    }
)  # fmt: skip
"""Auth method types that can be enabled (``token`` exists once, built in)."""


def _normalise(path: str) -> str:
    return path.strip("/") + "/"


class MountBackend:
    """Enabled auth mounts, keyed by path (``userpass/``), found by accessor too.

    The ``token/`` mount always exists, as on the real server.
    """

    def __init__(self, randomness: Randomness) -> None:
        self._random = randomness
        self.mounts: dict[str, Mount] = {}
        self._by_accessor: dict[str, str] = {}
        self.reset()

    def reset(self) -> None:
        """Back to only the ``token/`` mount."""
        self.mounts = {}
        self._by_accessor = {}
        self._add("token/", "token", "token based credentials")

    def sys_auth_list(self) -> list[Mount]:
        """Every mount, in path order."""
        return [self.mounts[p] for p in sorted(self.mounts)]

    def sys_auth_enable(
        self,
        path: str,
        type_: str,
        description: str = "",
        config: dict[str, Any] | None = None,
        local: bool = False,
        seal_wrap: bool = False,
        options: dict[str, Any] | None = None,
    ) -> Mount:
        """Enable an auth method of ``type_`` at ``path``."""
        key = _normalise(path)
        if key == "/":
            raise InvalidRequest("missing path")
        if not type_:
            raise InvalidRequest("backend type must be specified as a string")
        if type_ == "token":
            raise InvalidRequest("token credential backend cannot be instantiated")
        if type_ not in AUTH_TYPES:
            raise InvalidRequest(f"plugin not found in the catalog: {type_}")
        for existing in self.mounts:
            if key.startswith(existing) or existing.startswith(key):
                raise InvalidRequest(f"path is already in use at {existing}")
        return self._add(key, type_, description, config, local, seal_wrap, options)

    def _add(
        self,
        key: str,
        type_: str,
        description: str = "",
        config: dict[str, Any] | None = None,
        local: bool = False,
        seal_wrap: bool = False,
        options: dict[str, Any] | None = None,
    ) -> Mount:
        mount = Mount(
            path=key,
            type=type_,
            accessor=f"auth_{type_}_{self._random.hex(8)}",
            uuid=self._random.uuid(),
            description=description,
            local=local,
            seal_wrap=seal_wrap,
            config={
                "default_lease_ttl": 0,
                "force_no_cache": False,
                "max_lease_ttl": 0,
                "token_type": "default-service",
                **(config or {}),
            },
            options=options
            if options is not None
            else ({} if type_ != "token" else None),
        )
        self.mounts[key] = mount
        self._by_accessor[mount.accessor] = key
        return mount

    def sys_auth_disable(self, path: str) -> Mount | None:
        """Disable the mount at ``path``; a missing one is not an error."""
        key = _normalise(path)
        if key == "token/":
            raise InvalidRequest("token credential backend cannot be disabled")
        mount = self.mounts.pop(key, None)
        if mount is not None:
            del self._by_accessor[mount.accessor]
        return mount

    def by_accessor(self, accessor: str) -> Mount | None:
        """The mount with this accessor, or None."""
        key = self._by_accessor.get(accessor)
        return self.mounts[key] if key is not None else None

    def snapshot(self) -> dict[str, Any]:
        """Every mount as plain data."""
        return {"mounts": [asdict(m) for m in self.mounts.values()]}

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the mounts with a snapshot's."""
        self.mounts = {}
        self._by_accessor = {}
        for mount in load_records(Mount, data, "mounts", "mounts: mount {}"):
            if mount.path in self.mounts or mount.accessor in self._by_accessor:
                raise ValueError(
                    f"mounts: mount {mount.path!r} has the path or accessor of "
                    "another mount"
                )
            self.mounts[mount.path] = mount
            self._by_accessor[mount.accessor] = mount.path

    def check(self) -> None:
        """The ``token/`` mount exists, as on the real server."""
        if "token/" not in self.mounts:
            raise ValueError("mounts: the 'token/' mount is missing")
