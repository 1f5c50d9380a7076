"""Handlers of the entity family: entities, entity aliases, and the older
``identity/alias`` surface. Each reads the request, calls
:class:`~mockserver.backends.entities.EntityBackend`, and wraps the answer."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from mockserver.backends.entities import Alias, Entity, EntityBackend
from mockserver.handlers._envelope import envelope, listing, no_content
from mockserver.wire.context import current

Body = dict[str, Any] | None


def _backend() -> EntityBackend:
    return current().store.entities


def _entity_fields(body: Body) -> dict[str, Any]:
    body = body or {}
    return {k: body[k] for k in ("metadata", "policies", "disabled") if k in body}


def _created(entity: Entity) -> Response:
    return envelope({"aliases": None, "id": entity.id, "name": entity.name})


def _alias_written(alias: Alias) -> Response:
    return envelope({"canonical_id": alias.canonical_id, "id": alias.id})


def _alias_fields(body: Body) -> dict[str, Any]:
    body = body or {}
    fields: dict[str, Any] = {
        k: body[k]
        for k in ("name", "mount_accessor", "canonical_id", "custom_metadata")
        if k in body
    }
    if "canonical_id" not in fields and body.get("entity_id"):
        fields["canonical_id"] = body["entity_id"]
    return fields


# -- entities -------------------------------------------------------------------


async def entity_create(body: Body = None) -> Response:
    """``POST /identity/entity``: create, or update by ``id`` or ``name``."""
    body = body or {}
    entity, created = _backend().entity_create(
        id=body.get("id"), name=body.get("name"), **_entity_fields(body)
    )
    return _created(entity) if created else no_content()


async def entity_read_by_id(id: str) -> Response:
    """``GET /identity/entity/id/{id}``."""
    backend = _backend()
    return envelope(backend.entity_view(backend.entity_read_by_id(id)))


async def entity_update_by_id(id: str, body: Body = None) -> Response:
    """``POST /identity/entity/id/{id}``."""
    _backend().entity_update_by_id(
        id, name=(body or {}).get("name"), **_entity_fields(body)
    )
    return no_content()


async def entity_delete_by_id(id: str) -> Response:
    """``DELETE /identity/entity/id/{id}``."""
    _backend().entity_delete_by_id(id)
    return no_content()


async def entity_read_by_name(name: str) -> Response:
    """``GET /identity/entity/name/{name}``."""
    backend = _backend()
    return envelope(backend.entity_view(backend.entity_read_by_name(name)))


async def entity_update_by_name(name: str, body: Body = None) -> Response:
    """``POST /identity/entity/name/{name}``: create (200) or update (204)."""
    entity, created = _backend().entity_update_by_name(name, **_entity_fields(body))
    return _created(entity) if created else no_content()


async def entity_delete_by_name(name: str) -> Response:
    """``DELETE /identity/entity/name/{name}``."""
    _backend().entity_delete_by_name(name)
    return no_content()


async def entity_list_by_id() -> Response:
    """``LIST /identity/entity/id``."""
    backend = _backend()
    entities = backend.entity_list_by_id()
    return listing(
        [e.id for e in entities], {e.id: backend.entity_key_info(e) for e in entities}
    )


async def entity_list_by_name() -> Response:
    """``LIST /identity/entity/name``."""
    return listing(_backend().entity_list_by_name())


async def entity_batch_delete(body: Body = None) -> Response:
    """``POST /identity/entity/batch-delete``."""
    _backend().entity_batch_delete((body or {}).get("entity_ids"))
    return no_content()


async def entity_merge(body: Body = None) -> Response:
    """``POST /identity/entity/merge``."""
    body = body or {}
    _backend().entity_merge(
        from_entity_ids=body.get("from_entity_ids"),
        to_entity_id=body.get("to_entity_id"),
        conflicting_alias_ids_to_keep=body.get("conflicting_alias_ids_to_keep"),
        force=body.get("force"),
    )
    return no_content()


# -- entity aliases -------------------------------------------------------------


async def entity_create_alias(body: Body = None) -> Response:
    """``POST /identity/entity-alias``: create, move or update an alias."""
    alias, answered = _backend().entity_create_alias(
        id=(body or {}).get("id"), **_alias_fields(body)
    )
    return _alias_written(alias) if answered else no_content()


async def entity_read_alias_by_id(id: str) -> Response:
    """``GET /identity/entity-alias/id/{id}``."""
    backend = _backend()
    return envelope(backend.alias_view(backend.entity_read_alias_by_id(id)))


async def entity_update_alias_by_id(id: str, body: Body = None) -> Response:
    """``POST /identity/entity-alias/id/{id}``."""
    alias, _ = _backend().entity_update_alias_by_id(id, **_alias_fields(body))
    return _alias_written(alias)


async def entity_delete_alias_by_id(id: str) -> Response:
    """``DELETE /identity/entity-alias/id/{id}``."""
    _backend().entity_delete_alias_by_id(id)
    return no_content()


async def entity_list_aliases_by_id() -> Response:
    """``LIST /identity/entity-alias/id``."""
    backend = _backend()
    aliases = backend.entity_list_aliases_by_id()
    return listing(
        [a.id for a in aliases], {a.id: backend.alias_key_info(a) for a in aliases}
    )


# -- the older identity/alias surface: the same aliases under another path -------


async def alias_create(body: Body = None) -> Response:
    """``POST /identity/alias``: as ``entity-alias``, but a new alias's custom
    metadata is an empty map rather than null, as the real server keeps it."""
    fields = _alias_fields(body)
    fields.setdefault("custom_metadata", {})
    alias, answered = _backend().entity_create_alias(
        id=(body or {}).get("id"), **fields
    )
    return _alias_written(alias) if answered else no_content()


alias_read_by_id = entity_read_alias_by_id
alias_update_by_id = entity_update_alias_by_id
alias_delete_by_id = entity_delete_alias_by_id
alias_list_by_id = entity_list_aliases_by_id
