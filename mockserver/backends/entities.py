"""Entities and their aliases, including the older ``identity/alias`` surface.

Invariants kept here, as the real server keeps them:

* entity names are unique, compared case-insensitively;
* an alias is unique per (mount accessor, name);
* an entity holds at most one alias per mount accessor;
* every alias points at a live entity: deleting an entity deletes its aliases.

Not modelled: namespaces (everything lives in ``root``), and MFA secrets carried
through a merge (the ``force`` flag of a merge is accepted and has no effect).
A merge whose clash is settled by ``conflicting_alias_ids_to_keep`` deletes the
alias that is not kept, as the API describes; OpenBao 2.7 was seen keeping both,
which would break the one-alias-per-mount invariant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from mockserver.backends._base import (
    Randomness,
    check_policy_names,
    check_record_times,
    load_records,
)
from mockserver.backends._limits import check_metadata
from mockserver.backends.mounts import MountBackend
from mockserver.errors import InvalidRequest, NotFound, multierror


@dataclass(slots=True)
class Entity:
    """One identity: a person or a service, with its policies and metadata."""

    id: str
    name: str
    creation_time: str
    last_update_time: str
    metadata: dict[str, str] | None = None
    policies: list[str] = field(default_factory=list)
    disabled: bool = False
    merged_entity_ids: list[str] | None = None


@dataclass(slots=True)
class Alias:
    """The name an entity carries on one auth mount."""

    id: str
    canonical_id: str
    mount_accessor: str
    name: str
    creation_time: str
    last_update_time: str
    custom_metadata: dict[str, str] | None = None
    merged_from_canonical_ids: list[str] | None = None
    metadata: dict[str, str] | None = None
    """Set by the auth method at login (approle puts the role name here)."""


GroupLookup = Callable[[str], tuple[list[str], list[str]]]
"""Given an entity id: (direct group ids, inherited group ids)."""

EntityDeleted = Callable[[str], None]
"""Told the id of an entity that is being deleted."""

EntityMerged = Callable[[str, str], None]
"""Told (merged entity id, surviving entity id) before the merged one goes."""


def _no_groups(entity_id: str) -> tuple[list[str], list[str]]:
    return [], []


def _ignore(*_: str) -> None:
    return None


class EntityBackend:
    """State of the entity family. Method names follow the API's operationIds."""

    def __init__(self, randomness: Randomness, mounts: MountBackend) -> None:
        self._random = randomness
        self._mounts = mounts
        self.groups_of: GroupLookup = _no_groups
        self.on_entity_deleted: EntityDeleted = _ignore
        self.on_entity_merged: EntityMerged = _ignore
        self.entities: dict[str, Entity] = {}
        self.aliases: dict[str, Alias] = {}
        self._names: dict[str, str] = {}
        self._alias_keys: dict[tuple[str, str], str] = {}
        self._entity_aliases: dict[str, dict[str, str]] = {}
        self._sorted_ids: list[str] | None = None
        """Entity ids in order, kept until an entity is added or removed."""

    # -- state contract -------------------------------------------------------

    def reset(self) -> None:
        """Forget every entity and alias."""
        self.entities = {}
        self.aliases = {}
        self._names = {}
        self._alias_keys = {}
        self._entity_aliases = {}
        self._sorted_ids = None

    def snapshot(self) -> dict[str, Any]:
        """Entities and aliases as plain data."""
        return {
            "entities": [asdict(e) for e in self.entities.values()],
            "aliases": [asdict(a) for a in self.aliases.values()],
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the state with a snapshot's, rebuilding the indexes.

        Raises :class:`ValueError` for a record of the wrong shape, and for
        records the indexes cannot hold: two entities with one name (ignoring
        case), an alias of an entity that does not exist, two aliases with one
        (mount, name), or two aliases of one entity on one mount.
        """
        self.reset()
        names = self._names
        for entity in load_records(Entity, data, "entities", "entities: entity {}"):
            key = entity.name.lower()
            if entity.id in self.entities or key in names:
                other = entity.id if entity.id in self.entities else names[key]
                raise ValueError(
                    f"entities: entity {entity.id!r} named {entity.name!r} clashes "
                    f"with entity {other!r} (ids and names, ignoring case, are "
                    "unique)"
                )
            self.entities[entity.id] = entity
            names[key] = entity.id
            self._entity_aliases[entity.id] = {}
        for alias in load_records(Alias, data, "aliases", "entities: alias {}"):
            where = f"entities: alias {alias.id!r}"
            held = self._entity_aliases.get(alias.canonical_id)
            if held is None:
                raise ValueError(
                    f"{where} belongs to entity {alias.canonical_id!r}, which does "
                    "not exist"
                )
            key2 = (alias.mount_accessor, alias.name)
            clash = self._alias_keys.get(key2) or held.get(alias.mount_accessor)
            if alias.id in self.aliases or clash is not None:
                raise ValueError(
                    f"{where} clashes with alias {clash or alias.id!r}: ids, "
                    "(mount, name) pairs and (entity, mount) pairs are unique"
                )
            self._index_alias(alias)

    def check(self) -> None:
        """Aliases on mounts that exist, and timestamps in RFC 3339."""
        check_record_times(list(self.entities.values()), "entities: entity")
        check_record_times(list(self.aliases.values()), "entities: alias")
        for alias in self.aliases.values():
            where = f"entities: alias {alias.id!r}"
            if self._mounts.by_accessor(alias.mount_accessor) is None:
                raise ValueError(
                    f"{where} is on mount accessor {alias.mount_accessor!r}, which "
                    "does not exist"
                )

    # -- entities -------------------------------------------------------------

    def entity_create(
        self,
        *,
        id: str | None = None,
        name: str | None = None,
        metadata: dict[str, str] | None = None,
        policies: list[str] | None = None,
        disabled: bool | None = None,
    ) -> tuple[Entity, bool]:
        """Create an entity, or update the one named by ``id`` or ``name``.

        Returns the entity and whether it was created.
        """
        if id:
            entity = self.entities.get(id)
            if entity is None:
                raise InvalidRequest("entity not found from id")
        else:
            entity = self._by_name(name) if name else None
        if entity is not None:
            self._update(entity, name, metadata, policies, disabled)
            return entity, False
        return self._create(name, metadata, policies, disabled), True

    def entity_update_by_id(
        self,
        id: str,
        *,
        name: str | None = None,
        metadata: dict[str, str] | None = None,
        policies: list[str] | None = None,
        disabled: bool | None = None,
    ) -> Entity:
        """Update the entity ``id``; unknown ids are a 400 as on the real server."""
        entity = self.entities.get(id)
        if entity is None:
            raise InvalidRequest("entity not found from id")
        self._update(entity, name, metadata, policies, disabled)
        return entity

    def entity_update_by_name(
        self,
        name: str,
        *,
        metadata: dict[str, str] | None = None,
        policies: list[str] | None = None,
        disabled: bool | None = None,
    ) -> tuple[Entity, bool]:
        """Create or update the entity called ``name``; the path name wins."""
        entity = self._by_name(name)
        if entity is None:
            return self._create(name, metadata, policies, disabled), True
        self._update(entity, None, metadata, policies, disabled)
        return entity, False

    def entity_read_by_id(self, id: str) -> Entity:
        """The entity ``id``, or :class:`NotFound`."""
        entity = self.entities.get(id)
        if entity is None:
            raise NotFound()
        return entity

    def entity_read_by_name(self, name: str) -> Entity:
        """The entity called ``name`` (any case), or :class:`NotFound`."""
        entity = self._by_name(name)
        if entity is None:
            raise NotFound()
        return entity

    def entity_delete_by_id(self, id: str) -> None:
        """Delete an entity and its aliases; a missing one is not an error."""
        entity = self.entities.get(id)
        if entity is not None:
            self._delete(entity)

    def entity_delete_by_name(self, name: str) -> None:
        """Delete the entity called ``name`` and its aliases, if it exists."""
        entity = self._by_name(name)
        if entity is not None:
            self._delete(entity)

    def entity_batch_delete(self, entity_ids: list[str] | None) -> None:
        """Delete every listed entity that exists."""
        if not entity_ids:
            raise InvalidRequest("missing entity ids to delete")
        for entity_id in entity_ids:
            self.entity_delete_by_id(entity_id)

    def entity_list_by_id(self) -> list[Entity]:
        """Every entity, ordered by id; an empty store is :class:`NotFound`."""
        if not self.entities:
            raise NotFound()
        return [self.entities[k] for k in self._ids_in_order()]

    def entity_list_by_name(self) -> list[str]:
        """Every entity name, in id order as on the real server; none is :class:`NotFound`."""
        if not self.entities:
            raise NotFound()
        return [self.entities[k].name for k in self._ids_in_order()]

    def entity_merge(
        self,
        *,
        from_entity_ids: list[str] | None,
        to_entity_id: str | None,
        conflicting_alias_ids_to_keep: list[str] | None = None,
        force: bool | None = None,
    ) -> Entity:
        """Fold the ``from`` entities into ``to``: aliases move, the sources go."""
        if not to_entity_id:
            raise InvalidRequest("missing entity id to merge to")
        if not from_entity_ids:
            raise InvalidRequest("missing entity ids to merge from")
        if to_entity_id in from_entity_ids:
            raise InvalidRequest(
                "to_entity_id should not be present in from_entity_ids"
            )
        target = self.entities.get(to_entity_id)
        if target is None:
            raise InvalidRequest("entity id to merge to is invalid")
        sources = []
        for from_id in dict.fromkeys(from_entity_ids):
            source = self.entities.get(from_id)
            if source is None:
                raise InvalidRequest("entity id to merge from is invalid")
            sources.append(source)
        keep = set(conflicting_alias_ids_to_keep or [])
        self._check_merge_conflicts(target, sources, keep)
        for source in sources:
            for alias_id in list(self._entity_aliases[source.id].values()):
                alias = self.aliases[alias_id]
                mine = self._entity_aliases[target.id].get(alias.mount_accessor)
                if mine is not None:
                    # A clash that passed the check: one side is in the keep list.
                    if alias.id not in keep:
                        self._unindex_alias(alias)
                        continue
                    self._unindex_alias(self.aliases[mine])
                self._move_alias(alias, target.id)
                merged = alias.merged_from_canonical_ids or []
                alias.merged_from_canonical_ids = [*merged, source.id]
            target.merged_entity_ids = [*(target.merged_entity_ids or []), source.id]
            self.on_entity_merged(source.id, target.id)
            self._delete(source)
        target.last_update_time = self._random.timestamp()
        return target

    def _check_merge_conflicts(
        self, target: Entity, sources: list[Entity], keep: set[str]
    ) -> None:
        target_aliases = self._entity_aliases[target.id]
        clashes = []
        for source in sources:
            for accessor, alias_id in self._entity_aliases[source.id].items():
                mine = target_aliases.get(accessor)
                if mine is not None and mine not in keep and alias_id not in keep:
                    clashes.append((accessor, source, mine, alias_id))
        if not clashes:
            return
        lines = [
            "toEntity and at least one fromEntity have aliases with the same mount "
            "accessor, repeat the merge request specifying exactly one fromEntity, "
            "clashes: "
        ]
        report: list[dict[str, str]] = []
        for accessor, source, mine, theirs in clashes:
            lines.append(
                f"mountAccessor: {accessor}, toEntity ID: {target.id}, fromEntity ID: "
                f"{source.id}, conflicting toEntity alias ID: {mine}, conflicting "
                f"fromEntity alias ID: {theirs}"
            )
            for entity, alias_id in ((target, mine), (source, theirs)):
                alias = self.aliases[alias_id]
                mount = self._mounts.by_accessor(alias.mount_accessor)
                report.append(
                    {
                        "alias": alias.name,
                        "entity": entity.name,
                        "entity_id": entity.id,
                        "mount": mount.type if mount else "",
                        "mount_path": f"auth/{mount.path}" if mount else "",
                    }
                )
        raise InvalidRequest(multierror(lines), data=report)

    # -- aliases --------------------------------------------------------------

    def entity_create_alias(
        self,
        *,
        id: str | None = None,
        name: str | None = None,
        mount_accessor: str | None = None,
        canonical_id: str | None = None,
        custom_metadata: dict[str, str] | None = None,
    ) -> tuple[Alias, bool]:
        """Create an alias, or update an existing one (by ``id`` or mount+name).

        Returns the alias and whether the answer carries a body (a creation, or a
        move to another entity); a plain update answers 204 on the real server.
        """
        if id:
            alias, _ = self.entity_update_alias_by_id(
                id,
                name=name,
                mount_accessor=mount_accessor,
                canonical_id=canonical_id,
                custom_metadata=custom_metadata,
            )
            return alias, True
        if not (mount_accessor and name):
            raise InvalidRequest("'id' or 'mount_accessor' and 'name' must be provided")
        if self._mounts.by_accessor(mount_accessor) is None:
            raise InvalidRequest(f'invalid mount accessor "{mount_accessor}"')
        if canonical_id and canonical_id not in self.entities:
            raise InvalidRequest("invalid canonical ID")
        existing_id = self._alias_keys.get((mount_accessor, name))
        if existing_id is not None:
            alias = self.aliases[existing_id]
            moved = bool(canonical_id) and canonical_id != alias.canonical_id
            if canonical_id and moved:
                self._move_alias(alias, canonical_id)
            alias.custom_metadata = dict(custom_metadata or {})
            alias.last_update_time = self._random.timestamp()
            return alias, moved
        if canonical_id:
            if mount_accessor in self._entity_aliases[canonical_id]:
                raise InvalidRequest(
                    "Alias already exists for requested entity and mount accessor"
                )
        else:
            canonical_id = self._create(None, None, None, None).id
        now = self._random.timestamp()
        alias = Alias(
            id=self._random.uuid(),
            canonical_id=canonical_id,
            mount_accessor=mount_accessor,
            name=name,
            creation_time=now,
            last_update_time=now,
            custom_metadata=dict(custom_metadata)
            if custom_metadata is not None
            else None,
        )
        self._index_alias(alias)
        return alias, True

    def login_alias(
        self, mount_accessor: str, name: str, metadata: dict[str, str] | None = None
    ) -> Alias:
        """The alias a login maps to, made (with a new entity) on first login."""
        alias = self.alias_by_mount_and_name(mount_accessor, name)
        if alias is not None:
            return alias
        alias, _ = self.entity_create_alias(name=name, mount_accessor=mount_accessor)
        alias.metadata = dict(metadata) if metadata else None
        return alias

    def entity_update_alias_by_id(
        self,
        id: str,
        *,
        name: str | None = None,
        mount_accessor: str | None = None,
        canonical_id: str | None = None,
        custom_metadata: dict[str, str] | None = None,
    ) -> tuple[Alias, bool]:
        """Update the alias ``id``: move it, rename it, replace its metadata."""
        alias = self.aliases.get(id)
        if alias is None:
            raise InvalidRequest("invalid alias ID provided")
        accessor = mount_accessor or alias.mount_accessor
        new_name = name or alias.name
        if (
            accessor != alias.mount_accessor
            and self._mounts.by_accessor(accessor) is None
        ):
            raise InvalidRequest(f'invalid mount accessor "{accessor}"')
        renamed = (accessor, new_name) != (alias.mount_accessor, alias.name)
        if renamed and (accessor, new_name) in self._alias_keys:
            raise InvalidRequest(
                "alias with combination of mount accessor and name already exists"
            )
        if canonical_id and canonical_id not in self.entities:
            raise InvalidRequest(
                "given 'canonical_id' is not associated with an entity"
            )
        target = canonical_id or alias.canonical_id
        holder = self._entity_aliases[target].get(accessor)
        if holder is not None and holder != alias.id:
            # The trailing space is the real server's.
            raise InvalidRequest(
                "Alias cannot be updated as the given entity already has an alias "
                "for this mount "
            )
        self._unindex_alias(alias)
        alias.mount_accessor = accessor
        alias.name = new_name
        alias.canonical_id = target
        if custom_metadata is not None:
            alias.custom_metadata = dict(custom_metadata)
        alias.last_update_time = self._random.timestamp()
        self._index_alias(alias)
        return alias, True

    def entity_read_alias_by_id(self, id: str) -> Alias:
        """The alias ``id``, or :class:`NotFound`."""
        alias = self.aliases.get(id)
        if alias is None:
            raise NotFound()
        return alias

    def entity_delete_alias_by_id(self, id: str) -> None:
        """Delete the alias ``id``; a missing one is not an error."""
        alias = self.aliases.get(id)
        if alias is not None:
            self._unindex_alias(alias)

    def entity_list_aliases_by_id(self) -> list[Alias]:
        """Every alias, ordered by id; none at all is :class:`NotFound`."""
        if not self.aliases:
            raise NotFound()
        return [self.aliases[k] for k in sorted(self.aliases)]

    def aliases_of(self, entity_id: str) -> list[Alias]:
        """The aliases of one entity, ordered by mount accessor."""
        held = self._entity_aliases.get(entity_id, {})
        return [self.aliases[held[k]] for k in sorted(held)]

    def alias_by_mount_and_name(self, mount_accessor: str, name: str) -> Alias | None:
        """The alias a login on this mount with this name maps to, if any."""
        alias_id = self._alias_keys.get((mount_accessor, name))
        return self.aliases[alias_id] if alias_id is not None else None

    # -- views ----------------------------------------------------------------

    def entity_view(self, entity: Entity) -> dict[str, Any]:
        """The entity as the real server's read answers it."""
        direct, inherited = self.groups_of(entity.id)
        return {
            "aliases": [
                self.alias_view(a, nested=True) for a in self.aliases_of(entity.id)
            ],
            "creation_time": entity.creation_time,
            "direct_group_ids": direct,
            "disabled": entity.disabled,
            "group_ids": [*direct, *(g for g in inherited if g not in direct)],
            "id": entity.id,
            "inherited_group_ids": inherited,
            "last_update_time": entity.last_update_time,
            "merged_entity_ids": entity.merged_entity_ids,
            "metadata": entity.metadata,
            "name": entity.name,
            "namespace_id": "root",
            "policies": list(entity.policies),
        }

    def entity_key_info(self, entity: Entity) -> dict[str, Any]:
        """The entity's entry in a list-by-id answer."""
        held = self._entity_aliases.get(entity.id)
        if not held:
            return {"name": entity.name}
        short = []
        for accessor in sorted(held):
            alias = self.aliases[held[accessor]]
            item = {"id": alias.id, "mount_accessor": accessor}
            mount = self._mounts.by_accessor(accessor)
            if mount is not None:
                item["mount_path"] = f"auth/{mount.path}"
                item["mount_type"] = mount.type
            item["name"] = alias.name
            short.append(item)
        return {"aliases": short, "name": entity.name}

    def alias_view(self, alias: Alias, *, nested: bool = False) -> dict[str, Any]:
        """The alias as the real server's read answers it.

        ``nested`` is the form inside an entity, which has no ``namespace_id``.
        """
        view = self._alias_base(alias)
        view.update(
            creation_time=alias.creation_time,
            last_update_time=alias.last_update_time,
            merged_from_canonical_ids=alias.merged_from_canonical_ids,
        )
        if not nested:
            view["namespace_id"] = "root"
        return view

    def alias_key_info(self, alias: Alias) -> dict[str, Any]:
        """The alias's entry in a list-by-id answer."""
        view = self._alias_base(alias)
        del view["id"]
        return view

    def _alias_base(self, alias: Alias) -> dict[str, Any]:
        view: dict[str, Any] = {
            "canonical_id": alias.canonical_id,
            "custom_metadata": (
                dict(alias.custom_metadata)
                if alias.custom_metadata is not None
                else None
            ),
            "id": alias.id,
            "local": False,
            "metadata": dict(alias.metadata) if alias.metadata is not None else None,
            "mount_accessor": alias.mount_accessor,
            "name": alias.name,
        }
        # Once its mount is disabled an alias lives on without mount details.
        mount = self._mounts.by_accessor(alias.mount_accessor)
        if mount is not None:
            view["mount_path"] = f"auth/{mount.path}"
            view["mount_type"] = mount.type
        return view

    # -- internals ------------------------------------------------------------

    def _ids_in_order(self) -> list[str]:
        if self._sorted_ids is None:
            self._sorted_ids = sorted(self.entities)
        return self._sorted_ids

    def _by_name(self, name: str | None) -> Entity | None:
        if not name:
            return None
        entity_id = self._names.get(name.lower())
        return self.entities[entity_id] if entity_id is not None else None

    def _create(
        self,
        name: str | None,
        metadata: dict[str, str] | None,
        policies: list[str] | None,
        disabled: bool | None,
    ) -> Entity:
        check_policy_names(policies)
        check_metadata("entity", metadata)
        entity_id = self._random.uuid()
        if not name:
            name = f"entity_{self._random.hex(8)}.root"
        now = self._random.timestamp()
        entity = Entity(
            id=entity_id,
            name=name,
            creation_time=now,
            last_update_time=now,
            metadata=dict(metadata) if metadata else None,
            policies=_unique(policies or []),
            disabled=bool(disabled),
        )
        self.entities[entity_id] = entity
        self._sorted_ids = None
        self._names[name.lower()] = entity_id
        self._entity_aliases[entity_id] = {}
        return entity

    def _update(
        self,
        entity: Entity,
        name: str | None,
        metadata: dict[str, str] | None,
        policies: list[str] | None,
        disabled: bool | None,
    ) -> None:
        check_policy_names(policies)
        check_metadata("entity", metadata)
        if name and name != entity.name:
            holder = self._names.get(name.lower())
            if holder is not None and holder != entity.id:
                raise InvalidRequest("entity name is already in use")
            del self._names[entity.name.lower()]
            entity.name = name
            self._names[name.lower()] = entity.id
        if metadata is not None:
            entity.metadata = dict(metadata) if metadata else None
        if policies is not None:
            entity.policies = _unique(policies)
        if disabled is not None:
            entity.disabled = disabled
        entity.last_update_time = self._random.timestamp()

    def _delete(self, entity: Entity) -> None:
        self.on_entity_deleted(entity.id)
        for alias_id in list(self._entity_aliases[entity.id].values()):
            self._unindex_alias(self.aliases[alias_id])
        del self._entity_aliases[entity.id]
        del self._names[entity.name.lower()]
        del self.entities[entity.id]
        self._sorted_ids = None

    def _index_alias(self, alias: Alias) -> None:
        self.aliases[alias.id] = alias
        self._alias_keys[(alias.mount_accessor, alias.name)] = alias.id
        self._entity_aliases[alias.canonical_id][alias.mount_accessor] = alias.id

    def _unindex_alias(self, alias: Alias) -> None:
        del self.aliases[alias.id]
        del self._alias_keys[(alias.mount_accessor, alias.name)]
        held = self._entity_aliases.get(alias.canonical_id, {})
        if held.get(alias.mount_accessor) == alias.id:
            del held[alias.mount_accessor]

    def _move_alias(self, alias: Alias, entity_id: str) -> None:
        held = self._entity_aliases[entity_id]
        if alias.mount_accessor in held:
            raise InvalidRequest(
                "Alias already exists for requested entity and mount accessor"
            )
        self._unindex_alias(alias)
        alias.canonical_id = entity_id
        alias.last_update_time = self._random.timestamp()
        self._index_alias(alias)

    def iter_entities(self) -> Iterable[Entity]:
        """Every entity, in no particular order."""
        return self.entities.values()


def _unique(values: list[str]) -> list[str]:
    """Policies as the real server keeps them: without blanks and repeats, sorted."""
    return sorted({v for v in values if v})
