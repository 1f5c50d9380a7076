"""Every error leaves the server as ``{"errors": [...]}`` with the real server's
status: request errors from backends, connexion's validation problems, routing
misses, and (as a last resort) unexpected exceptions."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

from mockserver.errors import (
    RequestError,
    UnsupportedOperation,
    UnsupportedPath,
    multierror,
)
from mockserver.wire.accesslog import redact_path

logger = logging.getLogger(__name__)

ErrorListener = Callable[[BaseException], None]
"""Called with every unexpected exception (the pytest plugin re-raises them)."""


def _respond(status: int, body: object) -> ConnexionResponse:
    return ConnexionResponse(
        status_code=status,
        mimetype="application/json",
        body=json.dumps(body).encode(),
    )


def request_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """A :class:`RequestError` raised by a backend or handler."""
    assert isinstance(exc, RequestError)
    logger.warning(
        "%s %s: %s %s",
        request.method,
        redact_path(request.url.path),
        exc.status,
        exc.errors,
    )
    return _respond(exc.status, exc.body())


def problem(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """A connexion problem (validation, routing) in Vault's words."""
    assert isinstance(exc, ProblemException)
    status = exc.status or 400
    if status == 404:
        return _respond(404, UnsupportedPath().body())
    if status == 405:
        return _respond(405, UnsupportedOperation().body())
    detail = str(exc.detail or exc.title or "invalid request")
    logger.warning(
        "%s %s: %s %s", request.method, redact_path(request.url.path), status, detail
    )
    return _respond(status, {"errors": [detail]})


def http_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """A Starlette HTTP error (no route, wrong method)."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return _respond(405, UnsupportedOperation().body())
    if exc.status_code == 404:
        return _respond(404, UnsupportedPath().body())
    return _respond(exc.status_code, {"errors": [str(exc.detail)]})


def unexpected(
    listener: ErrorListener | None,
) -> Callable[[ConnexionRequest, Exception], ConnexionResponse]:
    """A handler for anything else: logged with its traceback, answered as 500."""

    def handle(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        logger.error(
            "%s %s: unexpected error",
            request.method,
            redact_path(request.url.path),
            exc_info=exc,
        )
        if listener is not None:
            listener(exc)
        return _respond(500, {"errors": [multierror(["internal error"])]})

    return handle
