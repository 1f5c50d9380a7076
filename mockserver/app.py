"""Build the ASGI application: document + Vault wire layer + connexion + handlers.

::

    request -> AccessLog -> AdminRouter -> Journal -> Faults -> VaultWireMiddleware
                              |                                  (LIST, PUT, token,
                              admin API (/_vaultmock)             content type)
                                                                      |
                                  backend <- handler <- connexion (routing, validation)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

# isort: off
# mockserver.wire imports connexion first, with its deprecation warnings silenced.
import mockserver.wire  # noqa: F401

# isort: on
from connexion import AsyncApp
from connexion.datastructures import MediaTypeDict
from connexion.exceptions import ProblemException
from connexion.middleware.context import ContextMiddleware
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.request_validation import RequestValidationMiddleware
from connexion.middleware.routing import RoutingMiddleware
from connexion.middleware.server_error import ServerErrorMiddleware
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from connexion.spec import OpenAPISpecification
from connexion.validators import VALIDATOR_MAP
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver import handlers
from mockserver.admin import AdminContext, AdminRouter, admin_app, needs_token
from mockserver.backends import Store
from mockserver.config import ServerConfig
from mockserver.errors import DocumentError, RequestError
from mockserver.statefile import StateFile
from mockserver.wire import errors
from mockserver.wire.accesslog import AccessLogMiddleware
from mockserver.wire.fastpath import FastPathMiddleware
from mockserver.wire.faults import FaultMiddleware, Faults
from mockserver.wire.guard import RequestGuardMiddleware
from mockserver.wire.journal import Journal, JournalMiddleware
from mockserver.wire.middleware import API_PREFIX, RouteTable, VaultWireMiddleware
from mockserver.wire.validation import VaultBodyValidator

logger = logging.getLogger(__name__)


CONNEXION_MIDDLEWARES = [
    ServerErrorMiddleware,
    ExceptionMiddleware,
    RoutingMiddleware,
    RequestValidationMiddleware,
    ContextMiddleware,
]
"""The part of connexion's pipeline the mock uses. Tokens are checked by the wire
layer (403, as the real server answers, where connexion's security layer would
answer 401); responses are not validated; there is no lifespan and no UI."""


def _validators() -> dict[str, Any]:
    validators = dict(VALIDATOR_MAP)
    body = dict(VALIDATOR_MAP["body"])
    body["*/*json"] = VaultBodyValidator
    validators["body"] = MediaTypeDict(body)
    return validators


@dataclass(slots=True)
class MockApp:
    """The ASGI application and the store behind it.

    ``faults`` is the live fault registry (add rules, seal); ``state_file`` is
    written by :meth:`close`, which the server calls at shutdown.
    """

    asgi: ASGIApp
    store: Store
    document: dict[str, Any]
    journal: Journal
    faults: Faults
    state_file: StateFile | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        await self.asgi(scope, receive, send)

    def close(self) -> None:
        """Save the state file, if there is one (at shutdown)."""
        if self.state_file is not None:
            self.state_file.save(self.store)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    self.close()
                except Exception as exc:
                    logger.exception("cannot save the state at shutdown")
                    await send(
                        {"type": "lifespan.shutdown.failed", "message": str(exc)}
                    )
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                return


def load_document(config: ServerConfig) -> dict[str, Any]:
    """The document to serve: the configured one, or the packaged one."""
    if config.document is not None:
        return config.document
    from mockserver.spec import load_document as load_packaged

    try:
        return load_packaged()
    except (OSError, ValueError) as exc:
        raise DocumentError(
            f"cannot load the packaged API document: {exc}. The installation is "
            "incomplete; reinstall vaultmock, or run `vaultmock spec build` in a "
            "source checkout"
        ) from exc


_SCHEMA_CHECK_LOCK = threading.Lock()


@contextmanager
def _schema_check(*, skip: bool) -> Iterator[None]:
    """Leave out connexion's check of the document against the OpenAPI schema.

    connexion checks every document it is given, which is most of the cost of
    building the app (a quarter of a second or more). The packaged document was
    checked when it was built, and a test keeps it equal to a fresh build, so
    for it the check is skipped; a document passed in by the caller is checked.
    """
    if not skip:
        yield
        return
    with _SCHEMA_CHECK_LOCK:
        OpenAPISpecification._validate_spec = classmethod(lambda cls, spec: None)
        try:
            yield
        finally:
            del OpenAPISpecification._validate_spec


def create_app(
    config: ServerConfig | None = None, store: Store | None = None
) -> MockApp:
    """Build the mock server application for ``config``.

    ``store`` lets a caller keep a handle on the state (the pytest plugin does);
    by default a new one is made from the config's seed and root token.
    """
    config = config or ServerConfig()
    document = load_document(config)
    state_file = None if config.state_file is None else StateFile(config.state_file)
    if store is None:
        store = Store(seed=config.seed, root_token=config.root_token)
        loaded = state_file is not None and state_file.load(store)
        if config.preload and not loaded:
            from mockserver.backends.seed import preload

            preload(store, config.preload)
    elif state_file is not None:
        state_file.load(store)
    connexion_app = AsyncApp(
        __name__,
        middlewares=CONNEXION_MIDDLEWARES,
        swagger_ui_options=SwaggerUIOptions(swagger_ui=False, serve_spec=False),
    )
    with _schema_check(skip=config.document is None):
        connexion_app.add_api(
            document,
            base_path=API_PREFIX,
            resolver=Resolver(function_resolver=handlers.resolve),
            validator_map=_validators(),
            pythonic_params=False,
            strict_validation=False,
            validate_responses=False,
        )
    connexion_app.add_error_handler(RequestError, errors.request_error)
    connexion_app.add_error_handler(ProblemException, errors.problem)
    connexion_app.add_error_handler(HTTPException, errors.http_error)
    connexion_app.add_error_handler(Exception, errors.unexpected(config.on_error))
    wire = VaultWireMiddleware(
        FastPathMiddleware(connexion_app, document, on_error=config.on_error),
        store=store,
        routes=RouteTable(document),
    )
    journal = Journal()
    faults = Faults(config.faults, sealed=config.sealed, seed=config.seed)
    admin = admin_app(
        AdminContext(
            store=store,
            journal=journal,
            faults=faults,
            root_token=config.root_token,
            seed=config.seed,
            preload=config.preload,
            require_token=needs_token(config.admin_auth, config.host),
            state_file=state_file,
            on_error=config.on_error,
        )
    )
    vault = JournalMiddleware(
        RequestGuardMiddleware(FaultMiddleware(wire, faults)), journal
    )
    logger.debug("application built with %d paths", len(document.get("paths", {})))
    return MockApp(
        asgi=AccessLogMiddleware(AdminRouter(admin, vault)),
        store=store,
        document=document,
        journal=journal,
        faults=faults,
        state_file=state_file,
    )
