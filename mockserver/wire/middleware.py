"""The Vault wire conventions that apply to every request, before routing.

* ``LIST`` is served as ``GET ...?list=true`` and ``PUT`` as ``POST``;
* bodies are JSON whatever their declared content type (the server ignores it),
  except on the few operations the document declares as form posts;
* every request carries a token (``X-Vault-Token`` or ``Authorization: Bearer``),
  except the operations the document marks ``security: []``; a missing or
  unknown token is ``403 permission denied``;
* the token's policies allow the request (:mod:`mockserver.wire.acl`);
* every request gets a :class:`~mockserver.wire.context.RequestContext`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.backends import Store
from mockserver.errors import PermissionDenied, RequestError, UnsupportedOperation
from mockserver.wire.accesslog import redact_path
from mockserver.wire.acl import AccessControl
from mockserver.wire.context import RequestContext, close_context, open_context
from mockserver.wire.validation import FORM_MARKER

logger = logging.getLogger(__name__)

API_PREFIX = "/v1"


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    body = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{re.escape(API_PREFIX)}{body}/?$")


class RouteTable:
    """Which (method, path) pairs need no token, and which take form bodies.

    Built once from the OpenAPI document at start.
    """

    def __init__(self, document: dict[str, Any]) -> None:
        self.open: list[tuple[str, re.Pattern[str]]] = []
        self.form: list[tuple[str, re.Pattern[str]]] = []
        self.list_only: list[tuple[str, re.Pattern[str]]] = []
        top_security = document.get("security")
        for template, item in (document.get("paths") or {}).items():
            regex = _template_regex(template)
            for method, operation in item.items():
                if not isinstance(operation, dict) or method == "parameters":
                    continue
                verb = method.upper()
                if operation.get("security", top_security) == []:
                    self.open.append((verb, regex))
                if any(
                    p.get("in") == "query"
                    and p.get("name") == "list"
                    and p.get("required")
                    for p in operation.get("parameters") or []
                ):
                    self.list_only.append((verb, regex))
                content = (operation.get("requestBody") or {}).get("content") or {}
                if "application/x-www-form-urlencoded" in content:
                    self.form.append((verb, regex))

    @staticmethod
    def _match(
        table: Iterable[tuple[str, re.Pattern[str]]], method: str, path: str
    ) -> bool:
        return any(m == method and r.match(path) for m, r in table)

    def is_open(self, method: str, path: str) -> bool:
        """True when the operation at (method, path) needs no token."""
        return self._match(self.open, method, path)

    def needs_list(self, method: str, path: str) -> bool:
        """True when the operation is a list, only served with ``list=true``."""
        return self._match(self.list_only, method, path)

    def takes_form(self, method: str, path: str) -> bool:
        """True when the operation accepts a form-encoded body."""
        return self._match(self.form, method, path)


async def send_json(send: Send, status: int, body: object) -> None:
    """Answer with a JSON body; a None body is sent as no content."""
    payload = b"" if body is None else json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def send_error(send: Send, error: RequestError) -> None:
    """Answer with the Vault error body of ``error``."""
    await send_json(send, error.status, error.body())


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def list_flag(query: bytes) -> bool:
    """Whether ``?list=`` asks for a list, read as the real server reads booleans.

    Raises :class:`ValueError` for a value that is not a boolean.
    """
    values = parse_qs(query.decode("latin-1"), keep_blank_values=True).get("list")
    if not values:
        return False
    value = values[-1]
    if value in _TRUE:
        return True
    if value in _FALSE or value == "":
        return False
    raise ValueError(value)


def with_list_flag(query: bytes, listing: bool) -> bytes:
    """``query`` with its ``list`` parameter written as the document spells it:
    ``list=true`` for a list, absent otherwise."""
    kept = [
        part for part in query.split(b"&") if part and part.split(b"=", 1)[0] != b"list"
    ]
    if listing:
        kept.append(b"list=true")
    return b"&".join(kept)


def presented_token(scope: Scope) -> str | None:
    """The token a request carries, from either header the server reads."""
    token = _header(scope, b"x-vault-token")
    if token:
        return token
    authorization = _header(scope, b"authorization") or ""
    scheme, _, value = authorization.partition(" ")
    if scheme == "Bearer" and value.strip():
        return value.strip()
    return None


class VaultWireMiddleware:
    """ASGI middleware applying the Vault conventions to every ``/v1`` request."""

    def __init__(self, app: ASGIApp, *, store: Store, routes: RouteTable) -> None:
        self.app = app
        self.store = store
        self.routes = routes
        self.access = AccessControl(store)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        scope = dict(scope)
        method = scope["method"].upper()
        path = scope["path"]
        if path.endswith("/") and len(path) > len(API_PREFIX) + 1:
            # The real server routes ".../id/" as ".../id"; the router would
            # answer a redirect instead.
            path = path.rstrip("/")
            scope["path"] = path
            if scope.get("raw_path"):
                scope["raw_path"] = scope["raw_path"].rstrip(b"/")
        listing = method == "LIST"
        if listing:
            method = "GET"
        elif method == "PUT":
            method = "POST"
        elif method == "GET":
            try:
                listing = list_flag(scope.get("query_string", b""))
            except ValueError:
                # The real server's answer to ?list=<not a boolean>.
                await send_json(send, 400, {"errors": []})
                return
        scope["method"] = method
        scope["query_string"] = with_list_flag(scope.get("query_string", b""), listing)

        if method in ("POST", "PATCH") and not self.routes.takes_form(method, path):
            headers = []
            for key, value in scope["headers"]:
                if key.lower() == b"content-type":
                    if value.lower().startswith(b"application/x-www-form-urlencoded"):
                        headers.append((FORM_MARKER, b"1"))
                elif key.lower() != FORM_MARKER:
                    headers.append((key, value))
            headers.append((b"content-type", b"application/json"))
            scope["headers"] = headers

        context = RequestContext(store=self.store, request_id=self.store.random.uuid())
        if not self.routes.is_open(method, path):
            context.token = self.store.tokens.authenticate(presented_token(scope))
            if context.token is None:
                logger.warning(
                    "%s %s: permission denied (no valid token)",
                    method,
                    redact_path(path),
                )
                await send_error(send, PermissionDenied())
                return
            verdict = await self.access.check(
                scope,
                receive,
                context.token,
                takes_form=self.routes.takes_form(method, path),
            )
            if verdict.error is not None:
                await send_error(send, verdict.error)
                return
            receive = verdict.receive
        if method == "GET" and not listing and self.routes.needs_list(method, path):
            await send_error(send, UnsupportedOperation())
            return
        handle = open_context(context)
        try:
            await self.app(scope, receive, send)
        finally:
            close_context(handle)
