"""Roles and secret ids of approle auth mounts: enough for a machine to log in.

Each approle mount keeps its own roles, keyed by the mount's accessor. Role names
are stored in lower case, as on the real server. A role id is unique across the
roles of a mount. Secret ids expire on the wall clock and are spent by logins when they
carry a use count.

Deliberate differences from OpenBao 2.7: a taken ``role_id`` and a role with no
constraint at all (``bind_secret_id=false`` and no CIDR list) answer ``400`` with
the real server's wording, where it answers ``500``. Not modelled: CIDR bindings
(stored, not enforced), wrapped secret ids and tidying.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from mockserver.backends._base import Randomness, by_mount, load_records
from mockserver.backends.tokens import parse_ttl, rfc3339, same_secret
from mockserver.backends.userpass import TokenSettings
from mockserver.errors import InvalidRequest, NotFound, RequestError, multierror


@dataclass(slots=True)
class SecretId:
    """One secret id of a role."""

    secret_id: str
    accessor: str
    metadata: dict[str, str]
    num_uses: int
    ttl: int
    created_at: float
    cidr_list: list[str] = field(default_factory=list)

    def expired(self, now: float) -> bool:
        """True once the secret id's TTL has run out."""
        return self.ttl > 0 and now >= self.created_at + self.ttl


@dataclass(slots=True)
class Role:
    """One approle role."""

    name: str
    role_id: str
    bind_secret_id: bool = True
    secret_id_ttl: int = 0
    secret_id_num_uses: int = 0
    secret_id_bound_cidrs: list[str] | None = None
    local_secret_ids: bool = False
    token: TokenSettings = field(default_factory=TokenSettings)
    secret_ids: dict[str, SecretId] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        """The role as the real server's read answers it."""
        view = self.token.view()
        view.update(
            bind_secret_id=self.bind_secret_id,
            local_secret_ids=self.local_secret_ids,
            secret_id_bound_cidrs=self.secret_id_bound_cidrs,
            secret_id_num_uses=self.secret_id_num_uses,
            secret_id_ttl=self.secret_id_ttl,
        )
        return view


_ROLE_FIELDS = (
    "bind_secret_id",
    "secret_id_ttl",
    "secret_id_num_uses",
    "secret_id_bound_cidrs",
    "local_secret_ids",
)


class ApproleBackend:
    """Roles of every approle mount, keyed by mount path then role name."""

    def __init__(self, randomness: Randomness) -> None:
        self._random = randomness
        self.roles: dict[str, dict[str, Role]] = {}

    def reset(self) -> None:
        """Forget every role."""
        self.roles = {}

    def snapshot(self) -> dict[str, Any]:
        """Every role and secret id as plain data."""
        return {
            "roles": {
                mount: [asdict(r) for r in roles.values()]
                for mount, roles in self.roles.items()
            }
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the roles with a snapshot's."""
        self.roles = {}
        for mount, roles in by_mount(data, "roles", "approle"):
            table = self.roles.setdefault(mount, {})
            for role in load_records(
                Role, {mount: roles}, mount, f"approle: mount {mount!r}: role {{}}"
            ):
                # Secret ids are keyed by their accessor.
                role.secret_ids = {s.accessor: s for s in role.secret_ids.values()}
                table[role.name] = role

    def check(self) -> None:
        """Nothing holds across roles beyond their shapes."""

    # -- roles ----------------------------------------------------------------

    def role_write(self, mount: str, name: str, fields: dict[str, Any]) -> Role:
        """Create or update a role."""
        table = self.roles.setdefault(mount, {})
        key = name.lower()
        role = table.get(key)
        bind = fields.get("bind_secret_id", role.bind_secret_id if role else True)
        cidrs = fields.get(
            "secret_id_bound_cidrs", role.secret_id_bound_cidrs if role else None
        )
        if not bind and not cidrs:
            raise InvalidRequest(
                multierror(["at least one constraint should be enabled on the role"])
            )
        if fields.get("role_id"):
            self._check_role_id(mount, fields["role_id"], role)
        if role is None:
            role = Role(name=key, role_id=fields.get("role_id") or self._random.uuid())
        elif fields.get("role_id"):
            role.role_id = fields["role_id"]
        for field_name in _ROLE_FIELDS:
            if field_name in fields:
                value = fields[field_name]
                if field_name == "secret_id_ttl":
                    value = parse_ttl(value, field_name)
                setattr(role, field_name, value)
        role.token.apply(fields)
        table[key] = role
        return role

    def role_read(self, mount: str, name: str) -> Role:
        """The role, or :class:`NotFound`."""
        role = self.roles.get(mount, {}).get(name.lower())
        if role is None:
            raise NotFound()
        return role

    def role_delete(self, mount: str, name: str) -> None:
        """Delete a role and its secret ids; a missing one is not an error."""
        self.roles.get(mount, {}).pop(name.lower(), None)

    def role_list(self, mount: str) -> list[str]:
        """Every role name of the mount, sorted; none is :class:`NotFound`."""
        names = sorted(self.roles.get(mount, {}))
        if not names:
            raise NotFound()
        return names

    def role_id_write(self, mount: str, name: str, role_id: str | None) -> None:
        """Set a role's role id."""
        role = self._existing(mount, name, status=400)
        if not role_id:
            raise InvalidRequest("missing role_id")
        self._check_role_id(mount, role_id, role)
        role.role_id = role_id

    # -- secret ids -----------------------------------------------------------

    def secret_id_generate(
        self,
        mount: str,
        name: str,
        *,
        metadata: str | None = None,
        cidr_list: list[str] | None = None,
        num_uses: int | None = None,
        ttl: int | None = None,
    ) -> SecretId:
        """Make a new secret id for the role."""
        role = self._existing(mount, name, status=404)
        pairs: dict[str, str] = {}
        if metadata:
            try:
                parsed = json.loads(metadata)
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict) or not all(
                isinstance(v, str) for v in parsed.values()
            ):
                raise InvalidRequest(
                    "failed to parse metadata: failed to parse the input: invalid "
                    "<key,value> format"
                )
            pairs = parsed
        if num_uses is not None and num_uses < 0:
            raise InvalidRequest("num_uses cannot be negative")
        secret = SecretId(
            secret_id=self._random.uuid(),
            accessor=self._random.uuid(),
            metadata=pairs,
            num_uses=role.secret_id_num_uses if num_uses is None else num_uses,
            ttl=ttl or role.secret_id_ttl,
            created_at=time.time(),
            cidr_list=list(cidr_list or []),
        )
        role.secret_ids[secret.accessor] = secret
        return secret

    def secret_id_list(self, mount: str, name: str) -> list[str]:
        """Accessors of the role's live secret ids; none is :class:`NotFound`."""
        role = self._existing(mount, name, status=400)
        self._expire(role)
        if not role.secret_ids:
            raise NotFound()
        return sorted(role.secret_ids)

    def secret_id_lookup(
        self, mount: str, name: str, secret_id: str
    ) -> SecretId | None:
        """The live secret id, or None."""
        role = self._existing(mount, name, status=400)
        self._expire(role)
        return _find_secret(role, secret_id)

    def secret_id_destroy(self, mount: str, name: str, secret_id: str) -> None:
        """Delete a secret id; a missing one is not an error."""
        role = self._existing(mount, name, status=400)
        found = _find_secret(role, secret_id)
        if found is not None:
            del role.secret_ids[found.accessor]

    def secret_id_view(self, secret: SecretId) -> dict[str, Any]:
        """A secret id as the real server's lookup answers it (never the secret)."""
        created = rfc3339(secret.created_at)
        return {
            "cidr_list": list(secret.cidr_list),
            "creation_time": created,
            "expiration_time": (
                rfc3339(secret.created_at + secret.ttl)
                if secret.ttl
                else "0001-01-01T00:00:00Z"
            ),
            "last_updated_time": created,
            "metadata": dict(secret.metadata),
            "secret_id_accessor": secret.accessor,
            "secret_id_num_uses": secret.num_uses,
            "secret_id_ttl": secret.ttl,
            "token_bound_cidrs": [],
        }

    # -- login ----------------------------------------------------------------

    def check_login(
        self, mount: str, role_id: str | None, secret_id: str | None
    ) -> tuple[Role, dict[str, str]]:
        """The role these credentials open, and the login's metadata.

        Spends one use of a secret id that has a use count.
        """
        if not role_id:
            raise InvalidRequest("missing role_id")
        role = next(
            (
                r
                for r in self.roles.get(mount, {}).values()
                if same_secret(r.role_id, role_id)
            ),
            None,
        )
        if role is None:
            raise InvalidRequest("invalid role or secret ID")
        metadata: dict[str, str] = {}
        if role.bind_secret_id:
            if not secret_id:
                raise InvalidRequest("missing secret_id")
            self._expire(role)
            secret = _find_secret(role, secret_id)
            if secret is None:
                raise InvalidRequest("invalid role or secret ID")
            if secret.num_uses:
                secret.num_uses -= 1
                if secret.num_uses == 0:
                    del role.secret_ids[secret.accessor]
            metadata.update(secret.metadata)
        metadata["role_name"] = role.name
        return role, metadata

    def forget_mount(self, mount: str) -> None:
        """Drop the roles of a disabled mount."""
        self.roles.pop(mount, None)

    # -- internals ------------------------------------------------------------

    def _existing(self, mount: str, name: str, *, status: int) -> Role:
        role = self.roles.get(mount, {}).get(name.lower())
        if role is None:
            raise RequestError(f'role "{name}" does not exist', status=status)
        return role

    def _check_role_id(self, mount: str, role_id: str, owner: Role | None) -> None:
        for role in self.roles.get(mount, {}).values():
            if role is not owner and role.role_id == role_id:
                raise InvalidRequest(multierror(["role_id already in use"]))

    @staticmethod
    def _expire(role: Role) -> None:
        now = time.time()
        for accessor in [a for a, s in role.secret_ids.items() if s.expired(now)]:
            del role.secret_ids[accessor]


def _find_secret(role: Role, secret_id: str) -> SecretId | None:
    for secret in role.secret_ids.values():
        if same_secret(secret.secret_id, secret_id):
            return secret
    return None
