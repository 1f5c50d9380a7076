"""Handlers of the persona surface, kept by the real server for old clients.

OpenBao serves it over the current model rather than over personas of its own:
creating a persona creates (or updates) an entity, and updating a persona by id
updates the entity with that id (its name and metadata only); reading, listing
and deleting act on entity aliases. ``mount_accessor`` and ``entity_id`` are
accepted and ignored, as there."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from mockserver.backends.entities import EntityBackend
from mockserver.handlers._envelope import envelope, listing, no_content
from mockserver.wire.context import current

Body = dict[str, Any] | None


def _backend() -> EntityBackend:
    return current().store.entities


async def persona_create(body: Body = None) -> Response:
    """``POST /identity/persona``: create an entity, or update one by id or name."""
    body = body or {}
    entity, created = _backend().entity_create(
        id=body.get("id"), name=body.get("name"), metadata=body.get("metadata")
    )
    if not created:
        return no_content()
    return envelope({"aliases": None, "id": entity.id, "name": entity.name})


async def persona_update_by_id(id: str, body: Body = None) -> Response:
    """``POST /identity/persona/id/{id}``: update the entity ``id``."""
    body = body or {}
    _backend().entity_update_by_id(
        id, name=body.get("name"), metadata=body.get("metadata")
    )
    return no_content()


async def persona_read_by_id(id: str) -> Response:
    """``GET /identity/persona/id/{id}``: the entity alias ``id``."""
    backend = _backend()
    return envelope(backend.alias_view(backend.entity_read_alias_by_id(id)))


async def persona_delete_by_id(id: str) -> Response:
    """``DELETE /identity/persona/id/{id}``: delete the entity alias ``id``."""
    _backend().entity_delete_alias_by_id(id)
    return no_content()


async def persona_list_by_id() -> Response:
    """``LIST /identity/persona/id``: every entity alias."""
    backend = _backend()
    aliases = backend.entity_list_aliases_by_id()
    return listing(
        [a.id for a in aliases], {a.id: backend.alias_key_info(a) for a in aliases}
    )
