"""Users of userpass auth mounts: enough for a client to log in.

Each userpass mount keeps its own users, keyed by the mount's accessor (a mount
disabled and enabled again starts empty). Usernames are stored in lower case, as
on the real server. Passwords are kept as salted SHA-256 digests and compared in
constant time; they never appear in a snapshot in clear.

Deliberate differences from OpenBao 2.7: a login without a password and a
password change for an unknown user answer ``400`` with the real server's
wording, where it answers ``500``. Not modelled: ``password_hash`` (bcrypt
input), CIDR bindings and the token's use count (both stored and shown, not
enforced).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import asdict, dataclass, field
from typing import Any

from mockserver.backends._base import Randomness, by_mount, load_records
from mockserver.backends.tokens import parse_ttl
from mockserver.errors import InvalidRequest, NotFound, multierror


@dataclass(slots=True)
class TokenSettings:
    """The ``token_*`` fields an auth method applies to the tokens it issues."""

    token_policies: list[str] = field(default_factory=list)
    token_ttl: int = 0
    token_max_ttl: int = 0
    token_explicit_max_ttl: int = 0
    token_no_default_policy: bool = False
    token_num_uses: int = 0
    token_period: int = 0
    token_type: str = "default"
    token_bound_cidrs: list[str] = field(default_factory=list)

    def apply(self, fields: dict[str, Any]) -> None:
        """Take the token fields of a write, and the deprecated names for them."""
        fields = dict(fields)
        for old, new in LEGACY_FIELDS.items():
            if old in fields and new not in fields:
                fields[new] = fields[old]
        for name in _TOKEN_FIELDS:
            if name in fields:
                value = fields[name]
                if name in ("token_policies", "token_bound_cidrs"):
                    value = list(dict.fromkeys(v.strip() for v in value if v.strip()))
                elif name in _DURATIONS:
                    value = parse_ttl(value, name)
                setattr(self, name, value)

    def view(self) -> dict[str, Any]:
        """The token fields as the real server's read answers them."""
        return {
            "token_bound_cidrs": list(self.token_bound_cidrs),
            "token_explicit_max_ttl": self.token_explicit_max_ttl,
            "token_max_ttl": self.token_max_ttl,
            "token_no_default_policy": self.token_no_default_policy,
            "token_num_uses": self.token_num_uses,
            "token_period": self.token_period,
            "token_policies": list(self.token_policies),
            "token_strictly_bind_ip": False,
            "token_ttl": self.token_ttl,
            "token_type": self.token_type,
        }


_TOKEN_FIELDS = tuple(TokenSettings.__dataclass_fields__)
_DURATIONS = ("token_ttl", "token_max_ttl", "token_explicit_max_ttl", "token_period")

LEGACY_FIELDS = {
    "policies": "token_policies",
    "ttl": "token_ttl",
    "max_ttl": "token_max_ttl",
    "period": "token_period",
    "bound_cidrs": "token_bound_cidrs",
}
"""Deprecated field names still accepted, and the ``token_*`` field each sets."""


@dataclass(slots=True)
class User:
    """One userpass user."""

    name: str
    salt: str
    digest: str
    token: TokenSettings = field(default_factory=TokenSettings)
    legacy: list[str] = field(default_factory=list)
    """Deprecated field names the user was written with (shown back on read)."""


class UserpassBackend:
    """Users of every userpass mount, keyed by mount accessor then username."""

    def __init__(self, randomness: Randomness) -> None:
        self._random = randomness
        self.users: dict[str, dict[str, User]] = {}

    def reset(self) -> None:
        """Forget every user."""
        self.users = {}

    def snapshot(self) -> dict[str, Any]:
        """Every user as plain data (passwords as salted digests)."""
        return {
            "users": {
                mount: [asdict(u) for u in users.values()]
                for mount, users in self.users.items()
            }
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the users with a snapshot's."""
        self.users = {}
        for mount, users in by_mount(data, "users", "userpass"):
            table = self.users.setdefault(mount, {})
            for user in load_records(
                User, {mount: users}, mount, f"userpass: mount {mount!r}: user {{}}"
            ):
                table[user.name] = user

    def check(self) -> None:
        """Nothing holds across users beyond their shapes."""

    def user_write(self, mount: str, username: str, fields: dict[str, Any]) -> User:
        """Create or update a user; a new user needs a password."""
        table = self.users.setdefault(mount, {})
        key = username.lower()
        user = table.get(key)
        password = fields.get("password")
        if user is None and not password:
            raise InvalidRequest("must provide either password or password_hash")
        if user is None:
            user = User(name=key, salt="", digest="")
        if password:
            user.salt = self._random.hex(16)
            user.digest = _digest(user.salt, password)
        user.token.apply(fields)
        for legacy in LEGACY_FIELDS:
            if legacy in fields and legacy not in user.legacy:
                user.legacy.append(legacy)
        table[key] = user
        return user

    def user_password(self, mount: str, username: str, password: str | None) -> None:
        """Change a user's password.

        An unknown user is a 400 with the real server's wording (it answers 500).
        """
        if not password:
            raise InvalidRequest("must provide either password or password_hash")
        user = self.users.get(mount, {}).get(username.lower())
        if user is None:
            raise InvalidRequest(multierror(["username does not exist"]))
        user.salt = self._random.hex(16)
        user.digest = _digest(user.salt, password)

    def user_read(self, mount: str, username: str) -> User:
        """The user, or :class:`NotFound`."""
        user = self.users.get(mount, {}).get(username.lower())
        if user is None:
            raise NotFound()
        return user

    def user_delete(self, mount: str, username: str) -> None:
        """Delete a user; a missing one is not an error."""
        self.users.get(mount, {}).pop(username.lower(), None)

    def user_list(self, mount: str) -> list[str]:
        """Every username of the mount, sorted; none is :class:`NotFound`."""
        names = sorted(self.users.get(mount, {}))
        if not names:
            raise NotFound()
        return names

    def user_view(self, user: User) -> dict[str, Any]:
        """The user as the real server's read answers it (never the password)."""
        view = user.token.view()
        for name in user.legacy:
            view[name] = view[LEGACY_FIELDS[name]]
        return view

    def check_login(self, mount: str, username: str, password: str | None) -> User:
        """The user whose password this is; anything else is the server's 400."""
        if not password:
            raise InvalidRequest("missing password")
        user = self.users.get(mount, {}).get(username.lower())
        if user is None or not hmac.compare_digest(
            user.digest, _digest(user.salt, password)
        ):
            raise InvalidRequest("invalid username or password")
        return user

    def forget_mount(self, mount: str) -> None:
        """Drop the users of a disabled mount."""
        self.users.pop(mount, None)


def _digest(salt: str, password: str) -> str:
    return hashlib.sha256(f"{salt}:{password}".encode()).hexdigest()
