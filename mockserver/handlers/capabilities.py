"""Handlers of ``sys/capabilities-self`` and ``sys/capabilities``: which
capabilities a token holds on some paths, so a test can ask instead of probing.

Both answer ``{path: [capabilities]}`` in ``data`` and beside the envelope, plus
``capabilities`` when exactly one path was asked about. Capabilities are sorted;
a path the token has no rule for is ``["deny"]``; the root token holds
``["root"]`` everywhere.

Deliberate difference from OpenBao 2.7: ``sys/capabilities`` without a token
answers ``400`` with the real server's wording, where it answers ``500``.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from mockserver.backends.tokens import Token
from mockserver.errors import InvalidRequest, PermissionDenied, multierror
from mockserver.handlers._envelope import envelope
from mockserver.wire.acl import capabilities_of
from mockserver.wire.context import current

Body = dict[str, Any] | None


def _paths(body: dict[str, Any]) -> list[str]:
    # ``paths`` wins over the older ``path`` when both are given.
    paths = body.get("paths") or body.get("path")
    if isinstance(paths, str):
        paths = [p.strip() for p in paths.split(",")]
    if not paths:
        raise InvalidRequest("paths must be supplied")
    return [str(p) for p in paths]


def _answer(token: Token, paths: list[str]) -> Response:
    store = current().store
    data: dict[str, Any] = {p: capabilities_of(store, token, p) for p in paths}
    if len(paths) == 1:
        data["capabilities"] = data[paths[0]]
    return envelope(data, legacy=data)


async def sys_capabilities_self(body: Body = None) -> Response:
    """``POST /sys/capabilities-self``: the calling token's capabilities."""
    token = current().token
    if token is None:
        raise PermissionDenied()
    return _answer(token, _paths(body or {}))


async def sys_capabilities(body: Body = None) -> Response:
    """``POST /sys/capabilities``: the capabilities of the token in the body."""
    body = body or {}
    presented = body.get("token")
    if not presented:
        raise InvalidRequest(multierror(["no token found"]))
    token = current().store.tokens.find(str(presented))
    if token is None:
        raise InvalidRequest(multierror(["invalid token"]))
    return _answer(token, _paths(body))
