"""Build the ASGI application: document + Vault wire layer + connexion + handlers.

::

    request -> VaultWireMiddleware -> connexion (routing, validation) -> handler -> backend
               (LIST, PUT, token,                                    (handlers/)  (backends/)
                content type)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from connexion import AsyncApp
from connexion.datastructures import MediaTypeDict
from connexion.exceptions import ProblemException
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from connexion.validators import VALIDATOR_MAP
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver import handlers
from mockserver.backends import Store
from mockserver.config import ServerConfig
from mockserver.errors import DocumentError, RequestError
from mockserver.wire import errors
from mockserver.wire.journal import Journal, JournalMiddleware
from mockserver.wire.middleware import API_PREFIX, RouteTable, VaultWireMiddleware
from mockserver.wire.validation import VaultBodyValidator

logger = logging.getLogger(__name__)


def _validators() -> dict[str, Any]:
    validators = dict(VALIDATOR_MAP)
    body = dict(VALIDATOR_MAP["body"])
    body["*/*json"] = VaultBodyValidator
    validators["body"] = MediaTypeDict(body)
    return validators


@dataclass(slots=True)
class MockApp:
    """The ASGI application and the store behind it."""

    asgi: ASGIApp
    store: Store
    document: dict[str, Any]
    journal: Journal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.asgi(scope, receive, send)


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


def create_app(
    config: ServerConfig | None = None, store: Store | None = None
) -> MockApp:
    """Build the mock server application for ``config``.

    ``store`` lets a caller keep a handle on the state (the pytest plugin does);
    by default a new one is made from the config's seed and root token.
    """
    config = config or ServerConfig()
    document = load_document(config)
    if store is None:
        store = Store(seed=config.seed, root_token=config.root_token)
        if config.preload:
            from mockserver.backends.seed import preload

            preload(store, config.preload)
    connexion_app = AsyncApp(
        __name__,
        swagger_ui_options=SwaggerUIOptions(swagger_ui=False, serve_spec=False),
    )
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
    wire = VaultWireMiddleware(connexion_app, store=store, routes=RouteTable(document))
    journal = Journal()
    logger.debug("application built with %d paths", len(document.get("paths", {})))
    return MockApp(
        asgi=JournalMiddleware(wire, journal),
        store=store,
        document=document,
        journal=journal,
    )
