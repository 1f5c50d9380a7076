"""The shapes every answer takes on the wire."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from mockserver.wire.context import current

JSON = "application/json"


def _response(status: int, body: object | None) -> Response:
    content = b"" if body is None else json.dumps(body).encode()
    return Response(content=content, status_code=status, media_type=JSON)


def envelope(
    data: Any, *, status: int = 200, legacy: dict[str, Any] | None = None
) -> Response:
    """``data`` wrapped in the real server's response envelope.

    ``legacy`` members are repeated at the top level, beside the envelope, as a
    few old ``sys/`` endpoints of the real server do.
    """
    context = current()
    body: dict[str, Any] = dict(legacy or {})
    body.update(
        request_id=context.request_id,
        lease_id="",
        renewable=False,
        lease_duration=0,
        data=data,
        wrap_info=None,
        warnings=context.warnings or None,
        auth=None,
    )
    return _response(status, body)


def no_content() -> Response:
    """``204`` with no body (warnings are dropped, as the real server drops them)."""
    return _response(204, None)


def listing(keys: list[str], key_info: dict[str, Any] | None = None) -> Response:
    """A list answer: ``keys``, and ``key_info`` where the endpoint gives it."""
    data: dict[str, Any] = {"keys": keys}
    if key_info is not None:
        data["key_info"] = key_info
    return envelope(data)


def bare(body: object, *, status: int = 200) -> Response:
    """A JSON body without the envelope (health, seal status, discovery)."""
    return _response(status, body)
