"""One handler per operationId, grouped by family.

:func:`resolve` maps an operationId of the document (``entity-create``) to the
function of the same name (``entity_create``) in one of :data:`FAMILIES`. An
operation whose family is not built yet resolves to a handler that answers
``501`` and says so, so the whole document can be served from the start.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

from starlette.responses import Response

from mockserver.errors import NotImplementedYet

logger = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[Response]]

FAMILIES = (
    "entities",
    "sys",
    "oidc",
    "mfa",
    "groups",
    "lookup",
    "persona",
    "auth",
    "capabilities",
)
"""Handler modules, in lookup order."""


def function_name(operation_id: str) -> str:
    """The Python name of an operationId: ``entity-create`` -> ``entity_create``."""
    return operation_id.replace("-", "_").replace(".", "_").replace("/", "_")


def _modules() -> list[ModuleType]:
    return [importlib.import_module(f"{__name__}.{family}") for family in FAMILIES]


def _not_implemented(operation_id: str) -> Handler:
    async def handler(**_: Any) -> Response:
        raise NotImplementedYet(operation_id)

    handler.__name__ = function_name(operation_id)
    handler.__doc__ = f"``{operation_id}``: not implemented yet (answers 501)."
    return handler


def resolve(operation_id: str) -> Handler:
    """The handler of ``operation_id``, or a 501 stand-in that names it."""
    name = function_name(operation_id)
    for module in _modules():
        handler = getattr(module, name, None)
        if handler is not None:
            return handler  # type: ignore[no-any-return]
    logger.debug("no handler for %s: answering 501", operation_id)
    return _not_implemented(operation_id)


def implemented(operation_ids: list[str]) -> list[str]:
    """Those of ``operation_ids`` that have a real handler."""
    modules = _modules()
    return [
        op
        for op in operation_ids
        if any(hasattr(m, function_name(op)) for m in modules)
    ]
