"""Handlers of the lookup family: find one entity or one group by a criterion.

A miss answers ``204`` with no body, as on the real server; no criterion, or more
than one, is a ``400``."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from mockserver.backends.lookup import Criteria
from mockserver.handlers._envelope import envelope, no_content
from mockserver.wire.context import current

Body = dict[str, Any] | None

_FIELDS = ("name", "id", "alias_id", "alias_name", "alias_mount_accessor")


def _criteria(body: Body) -> Criteria:
    body = body or {}
    return Criteria(**{k: body[k] for k in _FIELDS if k in body})


async def entity_look_up(body: Body = None) -> Response:
    """``POST /identity/lookup/entity``."""
    store = current().store
    entity = store.lookup.entity_look_up(_criteria(body))
    return envelope(store.entities.entity_view(entity)) if entity else no_content()


async def group_look_up(body: Body = None) -> Response:
    """``POST /identity/lookup/group``."""
    store = current().store
    group = store.lookup.group_look_up(_criteria(body))
    return envelope(store.groups.group_view(group)) if group else no_content()
