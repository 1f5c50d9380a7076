"""The admin API's routes, its token guard, and the router that mounts it."""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver import __version__
from mockserver.backends import Store
from mockserver.backends.seed import MAX_PRELOAD
from mockserver.statefile import StateFile
from mockserver.wire.errors import ErrorListener
from mockserver.wire.faults import FaultRule, Faults, FaultSpecError
from mockserver.wire.journal import Journal
from mockserver.wire.middleware import presented_token

logger = logging.getLogger(__name__)

ADMIN_PREFIX = "/_vaultmock"
"""Where the admin API lives; outside ``/v1``, so no Vault path can collide."""

ADMIN_AUTH_MODES = ("auto", "token", "off")

Endpoint = Callable[[Request], Awaitable[Response]]


class AdminError(Exception):
    """An admin request refused with ``status`` and a message saying why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def needs_token(mode: str, host: str) -> bool:
    """Whether the admin API asks for the root token under ``mode`` on ``host``.

    ``token`` always, ``off`` never, ``auto`` unless ``host`` is a loopback
    address (``127.0.0.1``, ``::1``, ``localhost``).
    """
    if mode not in ADMIN_AUTH_MODES:
        raise ValueError(
            f"admin auth must be one of {', '.join(ADMIN_AUTH_MODES)}, got {mode!r}"
        )
    if mode != "auto":
        return mode == "token"
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return True


@dataclass(slots=True)
class AdminContext:
    """What the admin API acts on.

    ``seed`` and ``preload`` are the baseline ``POST /_vaultmock/reset`` returns
    to; ``POST /_vaultmock/seed`` changes them.
    """

    store: Store
    journal: Journal
    faults: Faults
    root_token: str
    seed: int | None = None
    preload: int = 0
    require_token: bool = False
    state_file: StateFile | None = None
    on_error: ErrorListener | None = field(default=None, repr=False)


@cache
def admin_document() -> dict[str, Any]:
    """The admin API's OpenAPI document (kept apart from the Vault document)."""
    text = (
        resources.files("mockserver.admin")
        .joinpath("openapi.json")
        .read_text(encoding="utf-8")
    )
    document: dict[str, Any] = json.loads(text)
    return document


def _json(status: int, body: object) -> Response:
    content = b"" if body is None else json.dumps(body).encode()
    return Response(
        content=content,
        status_code=status,
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def _no_content() -> Response:
    return _json(204, None)


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise AdminError(400, "a JSON body is required")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise AdminError(400, f"failed to decode JSON input: {exc}") from None


async def _object(request: Request) -> dict[str, Any]:
    body = await _body(request)
    if not isinstance(body, dict):
        raise AdminError(
            400, f"the body must be a JSON object, got {type(body).__name__}"
        )
    return body


def _count(name: str, value: object, *, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise AdminError(
            400, f"{name} must be a whole number, 0 or more, got {value!r}"
        )
    return value


def _query_int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise AdminError(400, f"query {name}={raw!r} is not a whole number") from None


class _Routes:
    """The endpoint functions, bound to one :class:`AdminContext`."""

    def __init__(self, ctx: AdminContext) -> None:
        self.ctx = ctx

    def _fresh_state(self, seed: int | None, preload: int) -> None:
        fresh = Store(seed=seed, root_token=self.ctx.root_token)
        if preload:
            from mockserver.backends.seed import preload as add_entities

            add_entities(fresh, preload)
        self.ctx.store.restore(fresh.snapshot())

    async def health(self, request: Request) -> Response:
        """``GET /_vaultmock/health``: the mock is up (sealed or not)."""
        return _json(
            200,
            {
                "status": "ok",
                "version": __version__,
                "sealed": self.ctx.faults.sealed,
                "faults": len(self.ctx.faults.active()),
                "journal": len(self.ctx.journal),
            },
        )

    async def openapi(self, request: Request) -> Response:
        """``GET /_vaultmock/openapi.json``: the admin API's document."""
        return _json(200, admin_document())

    async def reset(self, request: Request) -> Response:
        """``POST /_vaultmock/reset``: state, journal and faults as at start."""
        self._fresh_state(self.ctx.seed, self.ctx.preload)
        self.ctx.journal.clear()
        self.ctx.faults.reset()
        logger.info("reset (seed %s, preload %d)", self.ctx.seed, self.ctx.preload)
        return _no_content()

    async def seed(self, request: Request) -> Response:
        """``POST /_vaultmock/seed``: a fresh state drawn from ``seed``."""
        body = await _object(request)
        unknown = sorted(set(body) - {"seed", "preload"})
        if unknown:
            raise AdminError(
                400,
                f"unknown field(s) {', '.join(unknown)}; the fields are seed and "
                "preload",
            )
        if "seed" not in body:
            raise AdminError(
                400, "seed is required: a whole number, or null for random ids"
            )
        seed = body["seed"]
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise AdminError(400, f"seed must be a whole number or null, got {seed!r}")
        preload = _count("preload", body.get("preload", 0)) or 0
        if preload > MAX_PRELOAD:
            raise AdminError(
                400,
                f"preload must be at most {MAX_PRELOAD:,} entities, got {preload:,}; "
                "for a bigger store, restore a snapshot",
            )
        self._fresh_state(seed, preload)
        self.ctx.seed, self.ctx.preload = seed, preload
        logger.info("reseeded (seed %s, preload %d)", seed, preload)
        return _json(200, {"seed": seed, "preload": preload})

    async def snapshot(self, request: Request) -> Response:
        """``GET /_vaultmock/snapshot``: the whole state."""
        return _json(200, self.ctx.store.snapshot())

    async def restore(self, request: Request) -> Response:
        """``POST /_vaultmock/restore``: replace the state with a snapshot."""
        body = await _body(request)
        try:
            self.ctx.store.restore(body)
        except ValueError as exc:
            raise AdminError(
                400,
                f"{exc}; send a document taken from GET {ADMIN_PREFIX}/snapshot",
            ) from None
        logger.info("state restored from a snapshot")
        return _no_content()

    async def journal(self, request: Request) -> Response:
        """``GET /_vaultmock/journal``: the requests received, oldest first."""
        limit = _query_int(request, "limit")
        if limit is not None and limit < 0:
            raise AdminError(400, f"query limit must be 0 or more, got {limit}")
        entries = self.ctx.journal.entries(
            method=request.query_params.get("method") or None,
            path=request.query_params.get("path") or None,
            status=_query_int(request, "status"),
        )
        if limit is not None:
            entries = entries[len(entries) - limit :] if limit else []
        return _json(200, {"entries": [e.as_dict() for e in entries]})

    async def journal_clear(self, request: Request) -> Response:
        """``DELETE /_vaultmock/journal``: forget the requests received."""
        self.ctx.journal.clear()
        return _no_content()

    async def faults(self, request: Request) -> Response:
        """``GET /_vaultmock/faults``: the sealed switch and the active faults."""
        return _json(200, self.ctx.faults.as_dict())

    async def fault_add(self, request: Request) -> Response:
        """``POST /_vaultmock/faults``: activate a fault."""
        body = await _body(request)
        try:
            rule = FaultRule.from_dict(body)
        except FaultSpecError as exc:
            raise AdminError(400, str(exc)) from None
        fault = self.ctx.faults.add(rule)
        return _json(201, fault.as_dict())

    async def faults_clear(self, request: Request) -> Response:
        """``DELETE /_vaultmock/faults``: no faults, unsealed."""
        self.ctx.faults.clear()
        return _no_content()

    async def fault_remove(self, request: Request) -> Response:
        """``DELETE /_vaultmock/faults/{id}``: remove one fault."""
        fault_id = request.path_params["fault_id"]
        if not self.ctx.faults.remove(fault_id):
            raise AdminError(
                404,
                f"no active fault {fault_id!r} (it may have expired); "
                f"GET {ADMIN_PREFIX}/faults lists them",
            )
        return _no_content()

    async def seal(self, request: Request) -> Response:
        """``POST /_vaultmock/seal``: answer like a sealed server."""
        self.ctx.faults.sealed = True
        logger.info("sealed")
        return _no_content()

    async def unseal(self, request: Request) -> Response:
        """``POST /_vaultmock/unseal``: answer normally again."""
        self.ctx.faults.sealed = False
        logger.info("unsealed")
        return _no_content()

    async def state_save(self, request: Request) -> Response:
        """``POST /_vaultmock/state/save``: write the state file now."""
        state_file = self.ctx.state_file
        if state_file is None:
            raise AdminError(
                409,
                "this mock has no state file; start it with --state-file PATH "
                "(or VAULTMOCK_STATE_FILE) to save its state",
            )
        try:
            size = state_file.save(self.ctx.store)
        except OSError as exc:
            logger.error("cannot write state file %s: %s", state_file.path, exc)
            raise AdminError(
                500, f"cannot write state file {state_file.path}: {exc.strerror}"
            ) from None
        return _json(200, {"path": str(state_file.path), "bytes": size})


def _contained(ctx: AdminContext, endpoint: Endpoint) -> Endpoint:
    # An exception left to Starlette's last-resort handler is answered and then
    # raised again to the web server, which breaks the client's connection; a
    # bug is answered here instead, as the Vault routes answer theirs.
    async def contained(request: Request) -> Response:
        try:
            return await endpoint(request)
        except (AdminError, HTTPException):
            raise
        except Exception as exc:
            logger.error(
                "%s %s: unexpected error",
                request.method,
                request.url.path,
                exc_info=exc,
            )
            if ctx.on_error is not None:
                ctx.on_error(exc)
            return _json(500, {"errors": [f"internal error: {exc!r}"]})

    contained.__doc__ = endpoint.__doc__
    return contained


def _guard(ctx: AdminContext, endpoint: Endpoint) -> Endpoint:
    endpoint = _contained(ctx, endpoint)

    async def guarded(request: Request) -> Response:
        if ctx.require_token:
            token = ctx.store.tokens.authenticate(presented_token(request.scope))
            if token is None or "root" not in token.policies:
                logger.warning(
                    "%s %s: permission denied (no root token)",
                    request.method,
                    request.url.path,
                )
                raise AdminError(
                    403,
                    "permission denied: the admin API needs the root token in "
                    "X-Vault-Token (the mock listens beyond loopback, or runs with "
                    "--admin-auth token)",
                )
        return await endpoint(request)

    guarded.__doc__ = endpoint.__doc__
    return guarded


async def _admin_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AdminError)
    if exc.status < 500 and exc.status != 403:
        logger.warning(
            "%s %s: %s %s", request.method, request.url.path, exc.status, exc.message
        )
    return _json(exc.status, {"errors": [exc.message]})


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        allowed = exc.headers.get("Allow", "") if exc.headers else ""
        message = f"{request.method} is not supported on {request.url.path}"
        if allowed:
            message += f"; use {allowed}"
        response = _json(405, {"errors": [message]})
        if allowed:
            response.headers["Allow"] = allowed
        return response
    if exc.status_code == 404:
        return _json(
            404,
            {
                "errors": [
                    f"no admin endpoint at {request.url.path}; GET "
                    f"{ADMIN_PREFIX}/openapi.json lists them"
                ]
            },
        )
    return _json(exc.status_code, {"errors": [str(exc.detail)]})


def admin_app(ctx: AdminContext) -> Starlette:
    """The admin API as an ASGI application, serving below :data:`ADMIN_PREFIX`."""
    r = _Routes(ctx)

    def route(
        path: str, endpoint: Endpoint, method: str, *, public: bool = False
    ) -> Route:
        return Route(
            path,
            _contained(ctx, endpoint) if public else _guard(ctx, endpoint),
            methods=[method],
        )

    async def unexpected(request: Request, exc: Exception) -> Response:
        logger.error(
            "%s %s: unexpected error", request.method, request.url.path, exc_info=exc
        )
        if ctx.on_error is not None:
            ctx.on_error(exc)
        return _json(500, {"errors": [f"internal error: {exc!r}"]})

    routes = [
        route("/health", r.health, "GET", public=True),
        route("/openapi.json", r.openapi, "GET", public=True),
        route("/reset", r.reset, "POST"),
        route("/seed", r.seed, "POST"),
        route("/snapshot", r.snapshot, "GET"),
        route("/restore", r.restore, "POST"),
        Route(
            "/journal",
            _guard(ctx, _by_method({"GET": r.journal, "DELETE": r.journal_clear})),
            methods=["GET", "DELETE"],
        ),
        Route(
            "/faults",
            _guard(
                ctx,
                _by_method(
                    {"GET": r.faults, "POST": r.fault_add, "DELETE": r.faults_clear}
                ),
            ),
            methods=["GET", "POST", "DELETE"],
        ),
        route("/faults/{fault_id}", r.fault_remove, "DELETE"),
        route("/seal", r.seal, "POST"),
        route("/unseal", r.unseal, "POST"),
        route("/state/save", r.state_save, "POST"),
    ]
    return Starlette(
        routes=[Mount(ADMIN_PREFIX, routes=routes)],
        exception_handlers={
            AdminError: _admin_error,
            HTTPException: _http_error,
            Exception: unexpected,
        },
    )


def _by_method(endpoints: dict[str, Endpoint]) -> Endpoint:
    async def dispatch(request: Request) -> Response:
        # HEAD reaches a GET route in Starlette; answer it as the GET.
        method = "GET" if request.method == "HEAD" else request.method
        return await endpoints[method](request)

    return dispatch


class AdminRouter:
    """Sends ``/_vaultmock`` requests to the admin API and the rest to ``app``.

    It sits in front of the journal and the faults, so admin requests are not
    recorded and cannot be hit by a fault.
    """

    def __init__(self, admin: ASGIApp, app: ASGIApp) -> None:
        self.admin = admin
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            scope["path"] == ADMIN_PREFIX
            or scope["path"].startswith(ADMIN_PREFIX + "/")
        ):
            await self.admin(scope, receive, send)
            return
        await self.app(scope, receive, send)
