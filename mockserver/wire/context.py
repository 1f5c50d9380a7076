"""What the wire layer learns about a request and hands to the handler.

The wire middleware opens a :class:`RequestContext` for every request; handlers
read it through :func:`current` (the store to act on, the calling token) and
validators append warnings to it. A context variable carries it, since the
whole request runs in one task.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mockserver.backends import Store
    from mockserver.backends.tokens import Token


@dataclass(slots=True)
class RequestContext:
    """The store, the caller and the warnings of one request."""

    store: Store
    request_id: str
    token: Token | None = None
    warnings: list[str] = field(default_factory=list)


_current: ContextVar[RequestContext] = ContextVar("vaultmock_request")


def current() -> RequestContext:
    """The context of the request being served.

    Raises :class:`LookupError` outside a request (a handler called directly).
    """
    return _current.get()


def open_context(context: RequestContext) -> object:
    """Make ``context`` current; returns the token for :func:`close_context`."""
    return _current.set(context)


def close_context(token: object) -> None:
    """Restore the context that was current before :func:`open_context`."""
    _current.reset(token)  # type: ignore[arg-type]
