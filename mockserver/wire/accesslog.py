"""One access log line per request, as text or as JSON lines.

The line carries the method, the path, the status, the time taken and the sizes;
never a header (tokens travel in ``X-Vault-Token`` and ``Authorization``) nor a
body (passwords, secret ids). Query values whose names suggest a secret, and the
token in the legacy ``auth/token/<verb>/<token>`` paths, are replaced by
``redacted``.

:class:`JsonFormatter` turns every log record into one JSON object per line; the
access fields become top-level members.
"""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

__all__ = ["AccessLogMiddleware", "JsonFormatter"]

REDACTED = "redacted"
_SECRET_QUERY = re.compile(r"token|secret|pass|code|nonce|state|key|jwt|otp|auth", re.I)
_TOKEN_IN_PATH = re.compile(
    r"^(/v1/auth/token/(?:lookup|renew|revoke|revoke-orphan)(?:-self)?/)[^/]+"
)


def redact_path(path: str) -> str:
    """``path`` with a token carried in it replaced by ``redacted``, and control
    characters escaped, so that a path cannot forge or break a log line."""
    return printable(_TOKEN_IN_PATH.sub(rf"\g<1>{REDACTED}", path))


def printable(text: str) -> str:
    """``text`` with every non-printable character written as an escape."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def redact_query(query: str) -> str:
    """``query`` with the values of secret-looking parameters replaced."""
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode(
        [(k, REDACTED if _SECRET_QUERY.search(k) else v) for k, v in pairs]
    )


class AccessLogMiddleware:
    """Outermost layer: logs each HTTP request once it has been answered.

    Records go to this module's logger at INFO, with the fields in
    ``record.access`` for :class:`JsonFormatter`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not logger.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0
        sent = 0

        async def counting_send(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            client = scope.get("client")
            fields: dict[str, Any] = {
                "event": "access",
                "client": f"{client[0]}:{client[1]}" if client else None,
                "method": scope["method"],
                "path": redact_path(scope["path"]),
                "query": redact_query(scope.get("query_string", b"").decode("latin-1")),
                "status": status,
                "duration_ms": round((time.perf_counter() - start) * 1000, 3),
                "bytes_sent": sent,
            }
            target = fields["path"] + (f"?{fields['query']}" if fields["query"] else "")
            logger.info(
                '%s "%s %s" %s %.1fms',
                fields["client"] or "-",
                fields["method"],
                target,
                status,
                fields["duration_ms"],
                extra={"access": fields},
            )


class JsonFormatter(logging.Formatter):
    """Formats each record as one JSON object: time, level, logger, message.

    An access record adds its fields (method, path, status, ...) at the top level;
    an exception adds its formatted traceback as ``exc``.
    """

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            line.update(access)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)
