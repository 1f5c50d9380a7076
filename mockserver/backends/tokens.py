"""Tokens and token roles: who is calling, for how long, as which entity.

The root token always exists and never expires. Other tokens carry a TTL that
runs on the wall clock (``time.time()``), even under a seed, so that a token
made with ``ttl=2s`` really stops working two seconds later. Revoking a token
revokes the tokens it created, except orphans.

Not modelled: batch tokens (refused with a clear error), periodic renewal,
use counts (``num_uses`` is stored and shown but not spent), CIDR bindings, and
accessor-based operations.
"""

from __future__ import annotations

import hmac
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from mockserver.backends._base import Randomness, load_records, unique
from mockserver.errors import InvalidRequest

DEFAULT_TTL = 768 * 3600
"""The real server's default and maximum lease TTL (``768h``)."""

_BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def alnum(randomness: Randomness, length: int) -> str:
    """``length`` letters and digits drawn from the seeded source."""
    number = int(randomness.hex(length * 2), 16)
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 62)
        chars.append(_BASE62[digit])
    return "".join(chars)


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)")
_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
}


def parse_ttl(value: Any, field: str = "ttl") -> int:
    """Seconds in a TTL given as seconds or as a duration (``90``, ``1h30m``).

    Raises :class:`InvalidRequest` with the real server's wording.
    """
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise InvalidRequest(f"invalid {field}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        text = str(value).strip()
        sign = -1 if text.startswith("-") else 1
        body = text.lstrip("+-")
        if re.fullmatch(r"\d+", body):
            seconds = sign * float(body)
        else:
            parts = _DURATION_PART.findall(body)
            if not body or "".join(n + u for n, u in parts) != body:
                raise InvalidRequest(f'time: invalid duration "{text}"')
            seconds = sign * sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)
    if seconds < 0:
        raise InvalidRequest(f"{field} must be positive")
    return int(seconds)


def same_secret(known: str, presented: str) -> bool:
    """Compare two secrets in constant time (any characters, not only ASCII)."""
    return hmac.compare_digest(known.encode(), presented.encode())


def rfc3339(moment: float) -> str:
    """A wall-clock instant in the real server's RFC 3339 form."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(slots=True)
class Token:
    """One token and what it is tied to."""

    id: str
    accessor: str
    policies: list[str] = field(default_factory=list)
    display_name: str = "token"
    entity_id: str = ""
    ttl: int = 0
    expires_at: float | None = None
    """Wall-clock expiry (``time.time()``); None never expires."""
    parent: str = ""
    meta: dict[str, str] | None = None
    path: str = "auth/token/create"
    issued_at: float = 0.0
    orphan: bool = False
    renewable: bool = False
    num_uses: int = 0
    explicit_max_ttl: int = 0
    role: str = ""

    def expired(self, now: float) -> bool:
        """True once the token's TTL has run out."""
        return self.expires_at is not None and now >= self.expires_at

    def remaining(self, now: float) -> int:
        """Whole seconds left to live; 0 for a token that never expires."""
        if self.expires_at is None:
            return 0
        return max(0, int(self.expires_at - now))


@dataclass(slots=True)
class TokenRole:
    """A named template for ``auth/token/create/{role}``."""

    name: str
    allowed_policies: list[str] = field(default_factory=list)
    disallowed_policies: list[str] = field(default_factory=list)
    allowed_entity_aliases: list[str] = field(default_factory=list)
    orphan: bool = False
    renewable: bool = True
    path_suffix: str = ""
    token_explicit_max_ttl: int = 0
    token_no_default_policy: bool = False
    token_period: int = 0
    token_type: str = "default-service"
    explicit_max_ttl: int = 0
    """The deprecated field of that name, shown as written."""
    period: int = 0
    """The deprecated field of that name, shown as written."""

    def view(self) -> dict[str, Any]:
        """The role as the real server's read answers it."""
        return {
            "allowed_entity_aliases": list(self.allowed_entity_aliases),
            "allowed_policies": list(self.allowed_policies),
            "allowed_policies_glob": [],
            "disallowed_policies": list(self.disallowed_policies),
            "disallowed_policies_glob": [],
            "explicit_max_ttl": self.explicit_max_ttl,
            "name": self.name,
            "orphan": self.orphan,
            "path_suffix": self.path_suffix,
            "period": self.period,
            "renewable": self.renewable,
            "token_explicit_max_ttl": self.token_explicit_max_ttl,
            "token_no_default_policy": self.token_no_default_policy,
            "token_period": self.token_period,
            "token_type": self.token_type,
        }

    def allows_alias(self, name: str) -> bool:
        """True when ``name`` matches one of the allowed entity aliases (``*`` globs)."""
        return any(_glob(pattern, name) for pattern in self.allowed_entity_aliases)


def _glob(pattern: str, value: str) -> bool:
    if pattern == "*":
        return True
    if "*" not in pattern:
        return pattern == value
    head, _, tail = pattern.partition("*")
    if "*" in tail:
        # Several stars: match the pieces in order.
        pieces = pattern.split("*")
        if not value.startswith(pieces[0]) or not value.endswith(pieces[-1]):
            return False
        position = len(pieces[0])
        for piece in pieces[1:-1]:
            found = value.find(piece, position)
            if found < 0:
                return False
            position = found + len(piece)
        return position <= len(value) - len(pieces[-1])
    return (
        len(value) >= len(head) + len(tail)
        and value.startswith(head)
        and value.endswith(tail)
    )


class TokenBackend:
    """Issued tokens, found by id in constant time per comparison, and token roles."""

    def __init__(self, randomness: Randomness, root_token: str) -> None:
        self._random = randomness
        self.root_token = root_token
        self.tokens: dict[str, Token] = {}
        self.roles: dict[str, TokenRole] = {}
        self.reset()

    def reset(self) -> None:
        """Back to only the root token, and no roles."""
        self.tokens = {}
        self.roles = {}
        root = Token(
            id=self.root_token,
            accessor=alnum(self._random, 24),
            policies=["root"],
            display_name="token",
            issued_at=time.time(),
            orphan=True,
        )
        self.tokens[root.id] = root

    def authenticate(self, presented: str | None) -> Token | None:
        """The live token matching ``presented``, or None.

        The lookup is by dictionary key, then confirmed with a constant-time
        comparison so the answer time does not depend on how much of a guess
        was right.
        """
        if not presented:
            return None
        token = self.tokens.get(presented)
        if token is None or not same_secret(token.id, presented):
            return None
        if token.expired(time.time()):
            self.revoke(token.id)
            return None
        return token

    def issue(
        self,
        *,
        policies: list[str],
        parent: Token | None,
        ttl: int,
        id: str | None = None,
        display_name: str = "token",
        entity_id: str = "",
        meta: dict[str, str] | None = None,
        path: str = "auth/token/create",
        orphan: bool = False,
        renewable: bool = True,
        num_uses: int = 0,
        explicit_max_ttl: int = 0,
        role: str = "",
    ) -> Token:
        """Store a new token; ``ttl`` 0 never expires. A taken ``id`` is a 400."""
        if id and id in self.tokens:
            raise InvalidRequest("cannot create a token with a duplicate ID")
        if explicit_max_ttl and (ttl == 0 or ttl > explicit_max_ttl):
            ttl = explicit_max_ttl
        now = time.time()
        token = Token(
            id=id or f"s.{alnum(self._random, 24)}",
            accessor=alnum(self._random, 24),
            policies=list(policies),
            display_name=display_name,
            entity_id=entity_id,
            ttl=ttl,
            expires_at=now + ttl if ttl else None,
            parent="" if orphan or parent is None else parent.id,
            meta=dict(meta) if meta is not None else None,
            path=path,
            issued_at=now,
            orphan=orphan,
            renewable=renewable and ttl > 0,
            num_uses=num_uses,
            explicit_max_ttl=explicit_max_ttl,
            role=role,
        )
        self.tokens[token.id] = token
        return token

    def find(self, token_id: str) -> Token | None:
        """The live token ``token_id`` (an expired one is revoked), or None."""
        return self.authenticate(token_id)

    def revoke(self, token_id: str) -> None:
        """Revoke a token and, recursively, the non-orphan tokens it created."""
        pending = [token_id]
        while pending:
            current = pending.pop()
            if self.tokens.pop(current, None) is None:
                continue
            pending.extend(t.id for t in self.tokens.values() if t.parent == current)

    # -- roles ----------------------------------------------------------------

    def role_write(self, name: str, fields: dict[str, Any]) -> TokenRole:
        """Create or update the role ``name`` with the given fields."""
        role = self.roles.get(name) or TokenRole(name=name)
        for key, value in fields.items():
            if key in _LIST_FIELDS:
                value = sorted(dict.fromkeys(v for v in value if v))
            elif key in _DURATION_FIELDS:
                value = parse_ttl(value, key)
            setattr(role, key, value)
        self.roles[name] = role
        return role

    def role_list(self) -> list[str]:
        """Every role name, sorted."""
        return sorted(self.roles)

    def role_delete(self, name: str) -> None:
        """Delete the role ``name``; a missing one is not an error."""
        self.roles.pop(name, None)

    # -- state ----------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Every token and role as plain data, and which token is the root token."""
        return {
            "root_token_id": self.root_token,
            "tokens": [asdict(t) for t in self.tokens.values()],
            "roles": [asdict(r) for r in self.roles.values()],
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the tokens and roles with a snapshot's.

        The configured root token stays the root token. The snapshot's root
        token (``root_token_id``) is dropped when it is another one, so a state
        saved under ``root`` and loaded under ``s3cret`` no longer accepts
        ``root``; the tokens it created are ordinary state and stay.
        """
        self.reset()
        root = self.tokens.pop(self.root_token)
        old_root = data.get("root_token_id") if isinstance(data, dict) else None
        if old_root is not None and type(old_root) is not str:
            raise ValueError(
                f"tokens: 'root_token_id' must be a string, not {type(old_root).__name__}"
            )
        tokens = load_records(Token, data, "tokens", "tokens: token {}")
        for i, token in enumerate(tokens):
            if token.id in self.tokens:
                raise ValueError(f"tokens: token {i} has the id of an earlier one")
            self.tokens[token.id] = token
        if "roles" in data:
            for role in load_records(TokenRole, data, "roles", "tokens: role {}"):
                if role.name in self.roles:
                    raise ValueError(f"tokens: two roles named {role.name!r}")
                self.roles[role.name] = role
        if old_root != self.root_token:
            if old_root is not None:
                self.tokens.pop(old_root, None)
            self.tokens[self.root_token] = root

    def check(self) -> None:
        """Token accessors unique."""
        unique(
            (t.accessor for t in self.tokens.values()), "tokens", "tokens with accessor"
        )


_LIST_FIELDS = ("allowed_policies", "disallowed_policies", "allowed_entity_aliases")
_DURATION_FIELDS = (
    "token_explicit_max_ttl",
    "token_period",
    "explicit_max_ttl",
    "period",
)
