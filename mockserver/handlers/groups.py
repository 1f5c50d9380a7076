"""Handlers of the group family: groups and group aliases. Each reads the request,
calls :class:`~mockserver.backends.groups.GroupBackend`, and wraps the answer."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from mockserver.backends.groups import Group, GroupAlias, GroupBackend
from mockserver.handlers._envelope import envelope, listing, no_content
from mockserver.wire.context import current

Body = dict[str, Any] | None

_GROUP_FIELDS = (
    "type",
    "metadata",
    "policies",
    "member_entity_ids",
    "member_group_ids",
)


def _backend() -> GroupBackend:
    return current().store.groups


def _group_fields(body: Body) -> dict[str, Any]:
    body = body or {}
    return {k: body[k] for k in _GROUP_FIELDS if k in body}


def _created(group: Group) -> Response:
    return envelope({"id": group.id, "name": group.name})


def _alias_written(alias: GroupAlias) -> Response:
    return envelope({"canonical_id": alias.canonical_id, "id": alias.id})


def _alias_fields(body: Body) -> dict[str, Any]:
    body = body or {}
    return {k: body[k] for k in ("name", "mount_accessor", "canonical_id") if k in body}


# -- groups ---------------------------------------------------------------------


async def group_create(body: Body = None) -> Response:
    """``POST /identity/group``: create, or update by ``id`` or ``name``."""
    body = body or {}
    group, created = _backend().group_create(
        id=body.get("id"), name=body.get("name"), **_group_fields(body)
    )
    return _created(group) if created else no_content()


async def group_read_by_id(id: str) -> Response:
    """``GET /identity/group/id/{id}``."""
    backend = _backend()
    return envelope(backend.group_view(backend.group_read_by_id(id)))


async def group_update_by_id(id: str, body: Body = None) -> Response:
    """``POST /identity/group/id/{id}``."""
    _backend().group_update_by_id(
        id, name=(body or {}).get("name"), **_group_fields(body)
    )
    return no_content()


async def group_delete_by_id(id: str) -> Response:
    """``DELETE /identity/group/id/{id}``."""
    _backend().group_delete_by_id(id)
    return no_content()


async def group_read_by_name(name: str) -> Response:
    """``GET /identity/group/name/{name}``."""
    backend = _backend()
    return envelope(backend.group_view(backend.group_read_by_name(name)))


async def group_update_by_name(name: str, body: Body = None) -> Response:
    """``POST /identity/group/name/{name}``: create (200) or update (204)."""
    group, created = _backend().group_update_by_name(name, **_group_fields(body))
    return _created(group) if created else no_content()


async def group_delete_by_name(name: str) -> Response:
    """``DELETE /identity/group/name/{name}``."""
    _backend().group_delete_by_name(name)
    return no_content()


async def group_list_by_id() -> Response:
    """``LIST /identity/group/id``."""
    backend = _backend()
    groups = backend.group_list_by_id()
    return listing(
        [g.id for g in groups], {g.id: backend.group_key_info(g) for g in groups}
    )


async def group_list_by_name() -> Response:
    """``LIST /identity/group/name``."""
    return listing(_backend().group_list_by_name())


# -- group aliases --------------------------------------------------------------


async def group_create_alias(body: Body = None) -> Response:
    """``POST /identity/group-alias``: create an alias, or update one by ``id``."""
    alias, answered = _backend().group_create_alias(
        id=(body or {}).get("id"), **_alias_fields(body)
    )
    return _alias_written(alias) if answered else no_content()


async def group_read_alias_by_id(id: str) -> Response:
    """``GET /identity/group-alias/id/{id}``."""
    backend = _backend()
    return envelope(backend.alias_view(backend.group_read_alias_by_id(id)))


async def group_update_alias_by_id(id: str, body: Body = None) -> Response:
    """``POST /identity/group-alias/id/{id}``: 200 on a change, 204 otherwise."""
    alias, changed = _backend().group_update_alias_by_id(id, **_alias_fields(body))
    return _alias_written(alias) if changed else no_content()


async def group_delete_alias_by_id(id: str) -> Response:
    """``DELETE /identity/group-alias/id/{id}``."""
    _backend().group_delete_alias_by_id(id)
    return no_content()


async def group_list_aliases_by_id() -> Response:
    """``LIST /identity/group-alias/id``."""
    backend = _backend()
    aliases = backend.group_list_aliases_by_id()
    return listing(
        [a.id for a in aliases], {a.id: backend.alias_key_info(a) for a in aliases}
    )
