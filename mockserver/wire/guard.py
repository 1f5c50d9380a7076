"""Cheap checks on every request, before anything reads its body or routes it.

The real server refuses these before its handlers run, and so does the mock:

* a header block over :data:`MAX_HEADER_BYTES`, or more than
  :data:`MAX_HEADER_FIELDS` fields: ``431``;
* a declared ``Content-Length`` over
  :data:`~mockserver.wire.validation.MAX_BODY_BYTES`: ``413``, answered at once,
  without reading the body (a body that arrives without a length is cut off at
  the same size by the body validator);
* under ``/v1``, a path whose percent-decoding is not UTF-8, that holds a
  character that is not printable (control characters, non-breaking and
  zero-width spaces, ...), or a ``.`` or ``..`` segment: ``400``.

Where the real server answers with an empty body, the mock still says what was
wrong in ``{"errors": [...]}``, so a test that trips a check learns why.
"""

from __future__ import annotations

import logging
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.errors import RequestError
from mockserver.wire.middleware import API_PREFIX, send_error
from mockserver.wire.validation import MAX_BODY_BYTES

logger = logging.getLogger(__name__)

MAX_HEADER_BYTES = (1 << 20) + 4096
"""The real server's limit on the header block (Go's default, plus its slack)."""

MAX_HEADER_FIELDS = 500
"""The most header fields the real server accepts in one request."""


class HeadersTooLarge(RequestError):
    """431: the header block is over the real server's limits."""

    status = 431

    def __init__(self) -> None:
        super().__init__("request header fields too large")


class BodyTooLarge(RequestError):
    """413: the declared body length is over :data:`MAX_BODY_BYTES`."""

    status = 413

    def __init__(self) -> None:
        super().__init__("http: request body too large")


class BadPath(RequestError):
    """400: the request path cannot name anything the server holds."""

    status = 400


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _header_bytes(scope: Scope) -> int:
    return sum(len(name) + len(value) + 4 for name, value in scope["headers"])


def check_path(scope: Scope) -> None:
    """Raise :class:`BadPath` when the request path is one the server refuses."""
    raw = scope.get("raw_path")
    path: str = scope["path"]
    if raw is not None and b"%" in raw:
        try:
            path = unquote_to_bytes(bytes(raw).split(b"?", 1)[0]).decode("utf-8")
        except UnicodeDecodeError:
            raise BadPath("invalid UTF-8 in the request path") from None
    if not path.isprintable():
        raise BadPath("the request path holds a character that is not printable")
    for segment in path.split("/"):
        if segment in (".", ".."):
            raise BadPath("relative paths not supported")


class RequestGuardMiddleware:
    """Refuse over-size and malformed requests before any other layer sees them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            try:
                self._check(scope)
            except RequestError as exc:
                logger.warning(
                    "%s request refused: %s %s",
                    scope.get("method", "?"),
                    exc.status,
                    exc.errors,
                )
                await send_error(send, exc)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _check(scope: Scope) -> None:
        headers = scope["headers"]
        if len(headers) > MAX_HEADER_FIELDS or _header_bytes(scope) > MAX_HEADER_BYTES:
            raise HeadersTooLarge()
        length = _declared_length(scope)
        if length is not None and length > MAX_BODY_BYTES:
            raise BodyTooLarge()
        if scope["path"].startswith(API_PREFIX + "/"):
            check_path(scope)
