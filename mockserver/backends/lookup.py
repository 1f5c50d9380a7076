"""Lookup of one entity or one group by a single criterion.

The criterion is one of: ``name``, ``id``, ``alias_id``, or ``alias_name`` with
``alias_mount_accessor``. A field counts as given when it is present, even when
empty; a miss is ``None`` (the real server answers ``204``). No state lives here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from mockserver.backends.entities import Entity, EntityBackend
from mockserver.backends.groups import Group, GroupBackend
from mockserver.errors import InvalidRequest, NotFound

T = TypeVar("T")


@dataclass(slots=True, frozen=True)
class Criteria:
    """What a lookup request names; ``None`` is a field the request left out."""

    name: str | None = None
    id: str | None = None
    alias_id: str | None = None
    alias_name: str | None = None
    alias_mount_accessor: str | None = None

    def check(self) -> None:
        """Refuse no criterion, several criteria, or half an alias pair."""
        given = [
            self.name is not None,
            self.id is not None,
            self.alias_id is not None,
            self.alias_name is not None or self.alias_mount_accessor is not None,
        ]
        if not any(given):
            raise InvalidRequest("query parameter not supplied")
        if sum(given) > 1:
            raise InvalidRequest(
                "query parameter conflict; please supply distinct set of query "
                "parameters"
            )
        if (self.alias_name is None) != (self.alias_mount_accessor is None):
            raise InvalidRequest(
                "both 'alias_name' and 'alias_mount_accessor' needs to be set"
            )


class LookupBackend:
    """Finds entities and groups through the entity and group backends."""

    def __init__(self, entities: EntityBackend, groups: GroupBackend) -> None:
        self._entities = entities
        self._groups = groups

    def entity_look_up(self, criteria: Criteria) -> Entity | None:
        """The entity the criterion names, or None."""
        criteria.check()
        entities = self._entities
        if criteria.name is not None:
            return _found(entities.entity_read_by_name, criteria.name)
        if criteria.id is not None:
            return entities.entities.get(criteria.id)
        if criteria.alias_id is not None:
            alias = entities.aliases.get(criteria.alias_id)
        else:
            alias = entities.alias_by_mount_and_name(
                criteria.alias_mount_accessor or "", criteria.alias_name or ""
            )
        return entities.entities.get(alias.canonical_id) if alias else None

    def group_look_up(self, criteria: Criteria) -> Group | None:
        """The group the criterion names, or None."""
        criteria.check()
        groups = self._groups
        if criteria.name is not None:
            return _found(groups.group_read_by_name, criteria.name)
        if criteria.id is not None:
            return groups.groups.get(criteria.id)
        if criteria.alias_id is not None:
            alias = groups.aliases.get(criteria.alias_id)
        else:
            alias = groups.alias_by_mount_and_name(
                criteria.alias_mount_accessor or "", criteria.alias_name or ""
            )
        return groups.groups.get(alias.canonical_id) if alias else None


def _found(read: Callable[[str], T], name: str) -> T | None:
    if not name:
        return None
    try:
        return read(name)
    except NotFound:
        return None
