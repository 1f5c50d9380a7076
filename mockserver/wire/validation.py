"""Request body validation with the real server's decoding and wording.

Replaces connexion's JSON body validator: the body is decoded as the server
decodes it (:mod:`mockserver.wire.fields`), unknown fields are dropped with the
server's warning, and what cannot be decoded is a Vault 400, never a
problem+json document.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl

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

MAX_JSON_STRINGS = 1000
"""The most strings (keys and values) the real server accepts in one body."""

MAX_JSON_DEPTH = 256
"""The deepest nesting of objects and arrays the mock accepts in one body.

The real server accepts 10 000 levels; Python's parser and encoder recurse, so
the mock refuses far earlier, with the real server's wording, rather than fail
on a later read of what it stored."""

_SURROGATE = re.compile("[\ud800-\udfff]")


class _Refused(ValueError):
    """A JSON text the real server's decoder refuses; the message is its own."""


def _refuse_constant(name: str) -> Any:
    if name.startswith("-"):
        raise _Refused(f"invalid character {name[1]!r} in numeric literal")
    raise _Refused(f"invalid character {name[0]!r} looking for beginning of value")


def _finite(literal: str, value: float) -> None:
    if math.isinf(value):
        raise _Refused(
            f"json: cannot unmarshal number {literal} into Go value of type float64"
        )


def _parse_int(literal: str) -> int | float:
    if len(literal) > 300:
        # Past float64's range the real server refuses the number; Python's int()
        # would also refuse literals of over 4300 digits, with a less useful error.
        _finite(literal, float(literal))
        return float(literal)
    return int(literal)


def _parse_float(literal: str) -> float:
    value = float(literal)
    _finite(literal, value)
    return value


def _check_complexity(value: Any) -> bool:
    """Refuse too many strings or too deep a nesting; True if a string holds a
    lone surrogate (which the real server turns into U+FFFD)."""
    strings = 0
    surrogates = False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            if depth > MAX_JSON_DEPTH:
                raise _Refused("exceeded max depth")
            strings += len(node)
            for key, item in node.items():
                surrogates = surrogates or not key.isascii()
                stack.append((item, depth + 1))
        elif isinstance(node, list):
            if depth > MAX_JSON_DEPTH:
                raise _Refused("exceeded max depth")
            stack.extend((item, depth + 1) for item in node)
        elif isinstance(node, str):
            strings += 1
            surrogates = surrogates or not node.isascii()
        if strings > MAX_JSON_STRINGS:
            raise _Refused(
                "refused JSON input due to high complexity: exceeded maximum number "
                "of strings"
            )
    return surrogates


def _replace_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {
            _SURROGATE.sub("\ufffd", k): _replace_surrogates(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_replace_surrogates(v) for v in value]
    return value


def parse_json(text: str) -> Any:
    """Parse one JSON body as the real server's decoder does.

    NaN and infinities are refused, numbers past float64's range are refused,
    lone surrogates become U+FFFD, and a body with more than
    :data:`MAX_JSON_STRINGS` strings or nested deeper than
    :data:`MAX_JSON_DEPTH` is refused. Raises :class:`ValueError` with the
    real server's words after ``failed to decode JSON input:`` (or the whole
    message, for the complexity limit).
    """
    try:
        parsed = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_int=_parse_int,
            parse_float=_parse_float,
        )
    except RecursionError:
        raise _Refused("exceeded max depth") from None
    if _check_complexity(parsed) and "\\u" in text:
        parsed = _replace_surrogates(parsed)
    return parsed


class BodyTooLarge(BadRequestProblem):  # type: ignore[misc]
    """The body is over :data:`MAX_BODY_BYTES`."""

    def __init__(self) -> None:
        super().__init__(detail="http: request body too large")
        self.status = 413


def _go_json_error(exc: json.JSONDecodeError, text: str) -> str:
    if exc.pos >= len(text.rstrip()):
        return "unexpected EOF"
    return f"invalid character {text[exc.pos]!r} at offset {exc.pos + 1}"


FORM_MARKER = b"x-vaultmock-form-body"
"""Header the wire layer adds when the client sent a form-encoded body."""

_GO_KINDS = {list: "array", str: "string", int: "number", float: "number", bool: "bool"}


def form_fields(text: str) -> dict[str, Any]:
    """Form fields as the real server reads them: one value as a string, several
    as a list."""
    fields: dict[str, list[str]] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        fields.setdefault(key, []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in fields.items()}


class VaultBodyValidator(JSONRequestBodyValidator):  # type: ignore[misc]
    """Decode and check a JSON body as the real server does."""

    MUTABLE_VALIDATION = True

    _checker: Any = None

    async def wrap_receive(
        self, receive: Receive, *, scope: Scope
    ) -> tuple[Receive, Scope]:
        form = any(k == FORM_MARKER for k, _ in scope.get("headers", ()))
        body = self.decode(await read_body(receive), form=form)
        receive, scope = self._insert_body(receive, body=body, scope=scope)
        return receive, scope

    def decode(self, raw: bytes, *, form: bool = False) -> dict[str, Any]:
        """Parse, decode and validate one body; raise a 400 problem if it is bad.

        ``form``: the client declared a form-encoded body; the real server then
        reads it as JSON if it is JSON, and as form fields otherwise.
        """
        # Invalid UTF-8 becomes U+FFFD, as the real server's JSON decoder does.
        text = raw.decode("utf-8", errors="replace")
        if not text.strip():
            parsed: Any = {}
        else:
            try:
                parsed = parse_json(text)
            except json.JSONDecodeError as exc:
                if form:
                    parsed = form_fields(text)
                else:
                    raise BadRequestProblem(
                        detail="failed to decode JSON input: "
                        f"{_go_json_error(exc, text)}"
                    ) from None
            except _Refused as exc:
                detail = str(exc)
                if not detail.startswith("refused"):
                    detail = f"failed to decode JSON input: {detail}"
                raise BadRequestProblem(detail=detail) from None
        if parsed is None:
            # A JSON null decodes into the server's empty map: no fields given.
            parsed = {}
        if not isinstance(parsed, dict):
            kind = _GO_KINDS.get(type(parsed), "value")
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
        if self._checker is None:
            self._checker = Draft4RequestValidator(schema)
        try:
            self._checker.validate(decoded)
        except ValidationError as exc:
            where = ".".join(str(p) for p in exc.absolute_path)
            field = f' for field "{where}"' if where else ""
            raise BadRequestProblem(
                detail=f"Field validation failed{field}: {exc.message}"
            ) from None
        return decoded


async def read_body(receive: Receive) -> bytes:
    """The whole request body; :class:`BodyTooLarge` once it passes the limit."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in _stream(receive):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


async def _stream(receive: Receive) -> AsyncIterator[bytes]:
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return
        more = message.get("more_body", False)
        yield message.get("body", b"")
