"""A direct route from the wire layer to the handlers of the simple families.

Connexion rebuilds its parameter decorator and walks nine routed middlewares for
every request: about four fifths of what an entity read costs in process. Most
operations need none of it: their handler reads the request only through the
wire context, takes plain string path parameters, and decodes its body with
:class:`~mockserver.wire.validation.VaultBodyValidator`, which is ours anyway.

:class:`FastPathMiddleware` sits between the wire middleware and connexion. For
an operation it can serve exactly as connexion would, it matches the path,
decodes the body with the same validator, calls the same handler with the same
arguments, and maps exceptions with the same functions of
:mod:`mockserver.wire.errors`. Everything else goes to connexion unchanged: an
operation it was not built for, a path that two templates could match, a verb
the path does not serve, a trailing slash.

An operation is served here only when all of these hold (checked at start):

* its handler is a coroutine function in one of :data:`FAST_MODULES`;
* it needs no security check from connexion (the wire layer checks tokens);
* its path parameters are plain strings (no format, not nullable) whose names
  are Python identifiers;
* it declares no query, header or cookie parameter the handler would receive,
  except a required ``list`` flag (the wire layer enforces it);
* its body, if it has one, is JSON with a schema, on ``POST`` or ``PATCH``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from connexion.exceptions import ProblemException
from connexion.json_schema import resolve_refs
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware.security import SecurityMiddleware
from connexion.utils import is_nullable
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver import handlers
from mockserver.errors import RequestError
from mockserver.wire import errors
from mockserver.wire.errors import ErrorListener
from mockserver.wire.middleware import API_PREFIX
from mockserver.wire.validation import FORM_MARKER, VaultBodyValidator, read_body

logger = logging.getLogger(__name__)

FAST_MODULES = frozenset(
    {
        "mockserver.handlers.entities",
        "mockserver.handlers.groups",
        "mockserver.handlers.lookup",
        "mockserver.handlers.sys",
    }
)
"""Handler modules that read their request only through the wire context."""

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_JSON = "application/json"

ErrorHandler = Callable[[ConnexionRequest, Exception], ConnexionResponse]


@dataclass(frozen=True, slots=True)
class FastOperation:
    """One operation served without connexion."""

    operation_id: str
    handler: Callable[..., Awaitable[Any]]
    body: VaultBodyValidator | None
    """Decodes the body; None when the operation takes none."""
    body_name: str | None
    """The handler argument that receives the body, if it takes it."""


@dataclass(slots=True)
class _Node:
    literals: dict[str, _Node] = field(default_factory=dict)
    param: _Node | None = None
    names: tuple[str, ...] = ()
    """At a template's end: its path parameter names, in order."""
    operations: dict[str, FastOperation | None] | None = None
    """At a template's end: verb -> operation (None: connexion serves it)."""


def _segments(template: str) -> list[str | None]:
    """A template's segments, None for a parameter: ``/a/{b}`` -> ``["a", None]``.

    A trailing slash leaves an empty last segment, which no request reaches
    here (a request path with an empty segment goes to connexion)."""
    return [
        None if part.startswith("{") and part.endswith("}") else part
        for part in template.split("/")[1:]
    ]


def _param_names(template: str) -> tuple[str, ...]:
    return tuple(
        part[1:-1]
        for part in template.split("/")
        if part.startswith("{") and part.endswith("}")
    )


def _accepts(handler: Callable[..., Any]) -> tuple[set[str], bool]:
    signature = inspect.signature(inspect.unwrap(handler))
    names = {
        p.name
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    has_kwargs = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    return names, has_kwargs


_NO_CONSTRAINT = frozenset({"type", "description", "title", "example", "examples"})


def _plain_string(parameter: dict[str, Any]) -> bool:
    """True for a string parameter that any value passes and nothing converts."""
    schema = parameter.get("schema", parameter)
    return (
        isinstance(schema, dict)
        and schema.get("type") == "string"
        and set(schema) <= _NO_CONSTRAINT
        and not parameter.get("x-nullable", False)
        and str(parameter.get("name", "")).isidentifier()
    )


def _list_flag(parameter: dict[str, Any]) -> bool:
    return bool(
        parameter.get("in") == "query"
        and parameter.get("name") == "list"
        and parameter.get("required")
    )


def enforces_security(app: ASGIApp) -> bool:
    """Whether the connexion app ``app`` checks the document's security itself.

    The wire layer is what checks tokens; connexion checks them too only when
    its security middleware is in the stack. When that cannot be told, the
    answer is yes, and secured operations stay with connexion.
    """
    stack = getattr(getattr(app, "middleware", None), "middlewares", None)
    if not isinstance(stack, list):
        return True
    for entry in stack:
        middleware = entry.func if isinstance(entry, partial) else entry
        if isinstance(middleware, type) and issubclass(middleware, SecurityMiddleware):
            return True
    return False


class _Builder:
    """Decides, operation by operation, what the fast path may serve."""

    def __init__(self, document: dict[str, Any], *, secured: bool) -> None:
        self.document = document
        self.secured = secured
        """Whether connexion checks security (then secured operations stay there)."""
        self.top_secured = bool(document.get("security"))

    def operation(
        self,
        template: str,
        method: str,
        operation: dict[str, Any],
        path_parameters: list[dict[str, Any]],
        body_schema: dict[str, Any] | None,
    ) -> FastOperation | None:
        operation_id = operation.get("operationId")
        if not operation_id:
            return None
        security = operation.get("security")
        if self.secured and (security if security is not None else self.top_secured):
            return None
        handler = handlers.resolve(str(operation_id))
        if getattr(
            handler, "__module__", ""
        ) not in FAST_MODULES or not asyncio.iscoroutinefunction(
            inspect.unwrap(handler)
        ):
            return None
        accepted, has_kwargs = _accepts(handler)
        declared = {
            (p.get("in"), p.get("name")): p
            for p in [*path_parameters, *(operation.get("parameters") or [])]
            if isinstance(p, dict)
        }
        names = _param_names(template)
        for (where, name), parameter in declared.items():
            if where == "path":
                if name not in names or not _plain_string(parameter):
                    return None
            elif _list_flag(parameter):
                if has_kwargs or name in accepted:
                    return None
            else:
                return None
        if not all(name.isidentifier() for name in names):
            return None
        if not (has_kwargs or set(names) <= accepted):
            return None
        request_body = operation.get("requestBody")
        if request_body is None:
            return FastOperation(str(operation_id), handler, None, None)
        if method not in ("post", "patch") or not isinstance(body_schema, dict):
            return None
        content = request_body.get("content") or {}
        if list(content) != [_JSON] or not body_schema:
            return None
        validator = VaultBodyValidator(
            schema=body_schema,
            required=bool(request_body.get("required", False)),
            nullable=bool(is_nullable(content[_JSON])),
            encoding="utf-8",
            strict_validation=False,
        )
        body_name = str(request_body.get("x-body-name", "body"))
        takes_body = has_kwargs or body_name in accepted
        return FastOperation(
            str(operation_id), handler, validator, body_name if takes_body else None
        )


def _body_schemas(document: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """Every JSON request-body schema of the document, references resolved."""
    wanted: dict[str, Any] = {}
    for template, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method, operation in item.items():
            if method not in _METHODS or not isinstance(operation, dict):
                continue
            body = operation.get("requestBody")
            if isinstance(body, dict):
                wanted[f"{method} {template}"] = body
    if not wanted:
        return {}
    holder = {k: v for k, v in document.items() if k != "paths"}
    holder["x-vaultmock-bodies"] = wanted
    resolved = resolve_refs(holder)["x-vaultmock-bodies"]
    schemas: dict[tuple[str, str], Any] = {}
    for key, body in resolved.items():
        method, _, template = key.partition(" ")
        content = body.get("content") or {}
        schemas[(method, template)] = (content.get(_JSON) or {}).get("schema")
    return schemas


def build_routes(
    document: dict[str, Any], *, secured: bool = True
) -> tuple[_Node, int]:
    """The route tree of ``document``; returns it and the count of fast operations.

    ``secured``: whether connexion checks the document's security requirements
    (see :func:`enforces_security`).
    """
    root = _Node()
    builder = _Builder(document, secured=secured)
    schemas = _body_schemas(document)
    fast = 0
    for template, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        node = root
        for segment in _segments(template):
            if segment is None:
                node.param = node.param or _Node()
                node = node.param
            else:
                node = node.literals.setdefault(segment, _Node())
        node.names = _param_names(template)
        if node.operations is None:
            node.operations = {}
        shared = [p for p in item.get("parameters") or [] if isinstance(p, dict)]
        for method, operation in item.items():
            if method not in _METHODS or not isinstance(operation, dict):
                continue
            try:
                built = builder.operation(
                    template, method, operation, shared, schemas.get((method, template))
                )
            except Exception:  # an odd operation is connexion's to serve
                logger.debug("fast path skips %s %s", method, template, exc_info=True)
                built = None
            node.operations[method.upper()] = built
            fast += built is not None
    return root, fast


def _match(root: _Node, parts: list[str]) -> list[tuple[_Node, list[str]]]:
    """Every template end reached by ``parts``, with the parameter values."""
    found: list[tuple[_Node, list[str]]] = []
    stack: list[tuple[_Node, int, list[str]]] = [(root, 0, [])]
    while stack:
        node, index, values = stack.pop()
        if index == len(parts):
            if node.operations is not None:
                found.append((node, values))
            continue
        part = parts[index]
        literal = node.literals.get(part)
        if literal is not None:
            stack.append((literal, index + 1, values))
        if node.param is not None:
            stack.append((node.param, index + 1, [*values, part]))
    return found


class FastPathMiddleware:
    """Serve the simple operations directly; hand everything else to ``app``.

    ``on_error`` is the listener connexion's catch-all error handler is built
    with (:func:`mockserver.wire.errors.unexpected`).
    """

    def __init__(
        self,
        app: ASGIApp,
        document: dict[str, Any],
        *,
        on_error: ErrorListener | None = None,
    ) -> None:
        self.app = app
        self.root, count = build_routes(document, secured=enforces_security(app))
        self.error_handlers: list[tuple[type[BaseException], ErrorHandler]] = [
            (RequestError, errors.request_error),
            (ProblemException, errors.problem),
            (HTTPException, errors.http_error),
            (Exception, errors.unexpected(on_error)),
        ]
        logger.debug("fast path serves %d operations", count)

    def find(
        self, method: str, path: str
    ) -> tuple[FastOperation, dict[str, str]] | None:
        """The operation serving (method, path) here, with its path parameters."""
        if not path.startswith(API_PREFIX + "/"):
            return None
        parts = path[len(API_PREFIX) + 1 :].split("/")
        if "" in parts:
            return None
        matches = _match(self.root, parts)
        if len(matches) != 1:
            return None
        node, values = matches[0]
        operation = (node.operations or {}).get(method)
        if operation is None:
            return None
        return operation, dict(zip(node.names, values, strict=True))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = None
        if scope["type"] == "http":
            found = self.find(scope["method"], scope["path"])
        if found is None:
            await self.app(scope, receive, send)
            return
        operation, arguments = found
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            form = any(k == FORM_MARKER for k, _ in scope["headers"])
            response = await self._run(operation, arguments, receive, form=form)
            await response(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            await self._answer_error(scope, receive, send, exc)

    @staticmethod
    async def _run(
        operation: FastOperation,
        arguments: dict[str, Any],
        receive: Receive,
        *,
        form: bool,
    ) -> Response:
        if operation.body is not None:
            body = operation.body.decode(await read_body(receive), form=form)
            if operation.body_name is not None:
                arguments[operation.body_name] = body
        result = await operation.handler(**arguments)
        if not isinstance(result, Response):
            raise TypeError(
                f"handler of {operation.operation_id} returned {type(result).__name__}, "
                "not a response"
            )
        return result

    async def _answer_error(
        self, scope: Scope, receive: Receive, send: Send, exc: Exception
    ) -> None:
        handler = _lookup(self.error_handlers, exc)
        request = ConnexionRequest.from_starlette_request(Request(scope, receive))
        answer = handler(request, exc)
        response = Response(
            content=answer.body,
            status_code=answer.status_code,
            media_type=answer.mimetype,
            headers=answer.headers,
        )
        await response(scope, receive, send)


def _lookup(
    table: Iterable[tuple[type[BaseException], ErrorHandler]], exc: BaseException
) -> ErrorHandler:
    registered = dict(table)
    for cls in type(exc).__mro__:
        if cls in registered:
            return registered[cls]
    raise exc
