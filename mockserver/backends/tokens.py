"""Tokens: who is calling. The root token always exists."""

from __future__ import annotations

import hmac
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from mockserver.backends._base import Randomness


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

    def expired(self, now: float) -> bool:
        """True once the token's TTL has run out."""
        return self.expires_at is not None and now >= self.expires_at


class TokenBackend:
    """Issued tokens, found by id in constant time per comparison."""

    def __init__(self, randomness: Randomness, root_token: str) -> None:
        self._random = randomness
        self.root_token = root_token
        self.tokens: dict[str, Token] = {}
        self.reset()

    def reset(self) -> None:
        """Back to only the root token."""
        self.tokens = {}
        root = Token(
            id=self.root_token,
            accessor=self._random.hex(24),
            policies=["root"],
            display_name="root",
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
        if token is None or not hmac.compare_digest(token.id, presented):
            return None
        if token.expired(time.time()):
            del self.tokens[token.id]
            return None
        return token

    def snapshot(self) -> dict[str, Any]:
        """Every token as plain data."""
        return {"tokens": [asdict(t) for t in self.tokens.values()]}

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the tokens with a snapshot's."""
        self.tokens = {}
        for raw in data["tokens"]:
            token = Token(**raw)
            self.tokens[token.id] = token
