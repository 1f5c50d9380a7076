"""Request body validation with the real server's decoding and wording.

Replaces connexion's JSON body validator: the body is decoded as the server
decodes it (:mod:`mockserver.wire.fields`), unknown fields are dropped with the
server's warning, and what cannot be decoded is a Vault 400, never a
problem+json document.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from connexion.exceptions import BadRequestProblem
from connexion.json_schema import Draft4RequestValidator
from connexion.validators import JSONRequestBodyValidator
from jsonschema import ValidationError
from starlette.types import Receive, Scope

from mockserver.wire.context import current
from mockserver.wire.fields import FieldError, decode_body, unrecognised_warning

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 32 * 1024 * 1024
"""The real server's default ``max_request_size``."""


class BodyTooLarge(BadRequestProblem):  # type: ignore[misc]
    """The body is over :data:`MAX_BODY_BYTES`."""

    def __init__(self) -> None:
        super().__init__(detail="http: request body too large")
        self.status = 413


def _go_json_error(exc: json.JSONDecodeError, text: str) -> str:
    if exc.pos >= len(text.rstrip()):
        return "unexpected EOF"
    return f"invalid character {text[exc.pos]!r} at offset {exc.pos + 1}"


class VaultBodyValidator(JSONRequestBodyValidator):  # type: ignore[misc]
    """Decode and check a JSON body as the real server does."""

    MUTABLE_VALIDATION = True

    async def wrap_receive(
        self, receive: Receive, *, scope: Scope
    ) -> tuple[Receive, Scope]:
        raw = b""
        async for chunk in _stream(receive):
            raw += chunk
            if len(raw) > MAX_BODY_BYTES:
                raise BodyTooLarge()
        body = self.decode(raw)
        receive, scope = self._insert_body(receive, body=body, scope=scope)
        return receive, scope

    def decode(self, raw: bytes) -> dict[str, Any]:
        """Parse, decode and validate one body; raise a 400 problem if it is bad."""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequestProblem(
                detail=f"failed to decode JSON input: invalid UTF-8 at offset {exc.start}"
            ) from None
        if not text.strip():
            parsed: Any = {}
        else:
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError as exc:
                raise BadRequestProblem(
                    detail=f"failed to decode JSON input: {_go_json_error(exc, text)}"
                ) from None
            except RecursionError:
                raise BadRequestProblem(
                    detail="failed to decode JSON input: exceeded max depth"
                ) from None
        if not isinstance(parsed, dict):
            kind = "array" if isinstance(parsed, list) else type(parsed).__name__
            raise BadRequestProblem(
                detail="failed to decode JSON input: json: cannot unmarshal "
                f"{kind} into Go value of type map[string]interface {{}}"
            )
        schema = self._schema if isinstance(self._schema, dict) else {}
        try:
            decoded, unknown = decode_body(parsed, schema)
        except FieldError as exc:
            raise BadRequestProblem(detail=str(exc)) from None
        if unknown:
            try:
                current().warnings.append(unrecognised_warning(unknown))
            except LookupError:
                logger.debug("unknown fields %s outside a request context", unknown)
        try:
            Draft4RequestValidator(schema).validate(decoded)
        except ValidationError as exc:
            where = ".".join(str(p) for p in exc.absolute_path)
            field = f' for field "{where}"' if where else ""
            raise BadRequestProblem(
                detail=f"Field validation failed{field}: {exc.message}"
            ) from None
        return decoded


async def _stream(receive: Receive) -> AsyncIterator[bytes]:
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return
        more = message.get("more_body", False)
        yield message.get("body", b"")
