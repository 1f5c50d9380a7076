"""Groups and group aliases.

Invariants kept here, as the real server keeps them:

* group names are unique, compared case-insensitively;
* a group is ``internal`` or ``external`` and its type never changes;
* an internal group holds member entity ids and member group ids; an external
  group holds neither (its members come from the auth method at login);
* membership has no cycles, and a group is never its own member;
* a group's parents are derived from the member lists of other groups;
* an external group has at most one alias, and an alias is unique per
  (mount accessor, name); only external groups take aliases;
* deleting an entity removes it from every member list; merging entities hands
  the memberships of the merged ones to the survivor.

Deliberate differences from OpenBao 2.7: an unknown member entity id, an unknown
member group id and a group listed as its own member answer ``400`` with the real
server's wording; the real server answers them ``500``. ``modify_index`` counts the
writes of a group and the changes of its parents; the real server's counter
follows its storage and may differ by a step. Not modelled: namespaces (everything
lives in ``root``). External group membership follows logins: a ``jwt`` login sets
the entity's memberships among the external groups aliased on its mount
(:meth:`GroupBackend.set_external_memberships`); userpass and approle logins carry
no groups.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from mockserver.backends._base import (
    Randomness,
    check_policy_names,
    check_record_times,
    load_records,
)
from mockserver.backends._limits import check_metadata
from mockserver.backends.entities import EntityBackend
from mockserver.backends.mounts import MountBackend
from mockserver.errors import InvalidRequest, NotFound, multierror

INTERNAL = "internal"
EXTERNAL = "external"


@dataclass(slots=True)
class Group:
    """A set of entities and groups that share policies and metadata.

    ``member_entity_ids`` and ``policies`` stay ``None`` until they are first
    written, as the real server answers ``null`` for them until then.
    """

    id: str
    name: str
    type: str
    creation_time: str
    last_update_time: str
    metadata: dict[str, str] | None = None
    policies: list[str] | None = None
    member_entity_ids: list[str] | None = None
    member_group_ids: list[str] | None = None
    modify_index: int = 1


@dataclass(slots=True)
class GroupAlias:
    """The name an external group carries on one auth mount."""

    id: str
    canonical_id: str
    mount_accessor: str
    name: str
    creation_time: str
    last_update_time: str


class GroupBackend:
    """State of the group family. Method names follow the API's operationIds."""

    def __init__(
        self, randomness: Randomness, mounts: MountBackend, entities: EntityBackend
    ) -> None:
        self._random = randomness
        self._mounts = mounts
        self._entities = entities
        self.groups: dict[str, Group] = {}
        self.aliases: dict[str, GroupAlias] = {}
        self._names: dict[str, str] = {}
        self._alias_keys: dict[tuple[str, str], str] = {}
        self._group_alias: dict[str, str] = {}
        entities.groups_of = self.groups_of
        entities.on_entity_deleted = self._forget_entity
        entities.on_entity_merged = self._hand_over_entity

    # -- state contract -------------------------------------------------------

    def reset(self) -> None:
        """Forget every group and group alias."""
        self.groups = {}
        self.aliases = {}
        self._names = {}
        self._alias_keys = {}
        self._group_alias = {}

    def snapshot(self) -> dict[str, Any]:
        """Groups and group aliases as plain data."""
        return {
            "groups": [asdict(g) for g in self.groups.values()],
            "aliases": [asdict(a) for a in self.aliases.values()],
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the state with a snapshot's, rebuilding the indexes.

        Raises :class:`ValueError` for a record of the wrong shape, and for
        records the indexes cannot hold: two groups with one name (ignoring
        case), an alias of a group that does not exist, two aliases with one
        (mount, name), or two aliases of one group.
        """
        self.reset()
        names = self._names
        for group in load_records(Group, data, "groups", "groups: group {}"):
            key = group.name.lower()
            if group.id in self.groups or key in names:
                other = group.id if group.id in self.groups else names[key]
                raise ValueError(
                    f"groups: group {group.id!r} named {group.name!r} clashes with "
                    f"group {other!r} (ids and names, ignoring case, are unique)"
                )
            self.groups[group.id] = group
            names[key] = group.id
        for alias in load_records(GroupAlias, data, "aliases", "groups: alias {}"):
            where = f"groups: alias {alias.id!r}"
            if alias.canonical_id not in self.groups:
                raise ValueError(
                    f"{where} belongs to group {alias.canonical_id!r}, which does "
                    "not exist"
                )
            clash = self._alias_keys.get(
                (alias.mount_accessor, alias.name)
            ) or self._group_alias.get(alias.canonical_id)
            if alias.id in self.aliases or clash is not None:
                raise ValueError(
                    f"{where} clashes with alias {clash or alias.id!r}: ids, "
                    "(mount, name) pairs and groups' aliases are unique"
                )
            self._index_alias(alias)

    def check(self) -> None:
        """Members that exist, no membership cycles, aliases on mounts that
        exist, and timestamps in RFC 3339."""
        entities = self._entities.entities
        for group in self.groups.values():
            where = f"groups: group {group.id!r}"
            if group.type not in ("internal", "external"):
                raise ValueError(
                    f"{where}: type must be 'internal' or 'external', not "
                    f"{group.type!r}"
                )
            for entity_id in group.member_entity_ids or ():
                if entity_id not in entities:
                    raise ValueError(
                        f"{where} has member entity {entity_id!r}, which does not exist"
                    )
            for member_id in group.member_group_ids or ():
                if member_id not in self.groups:
                    raise ValueError(
                        f"{where} has member group {member_id!r}, which does not exist"
                    )
        self._check_acyclic()
        check_record_times(list(self.groups.values()), "groups: group")
        check_record_times(list(self.aliases.values()), "groups: alias")
        for alias in self.aliases.values():
            where = f"groups: alias {alias.id!r}"
            if self._mounts.by_accessor(alias.mount_accessor) is None:
                raise ValueError(
                    f"{where} is on mount accessor {alias.mount_accessor!r}, which "
                    "does not exist"
                )

    def _check_acyclic(self) -> None:
        # Depth-first over member groups; a group met again while still on the
        # path closes a cycle (a group listing itself is the shortest one).
        done: set[str] = set()
        for start in self.groups:
            if start in done:
                continue
            path: list[str] = [start]
            on_path = {start}
            stack = [iter(self.groups[start].member_group_ids or ())]
            while stack:
                member = next(stack[-1], None)
                if member is None:
                    stack.pop()
                    finished = path.pop()
                    on_path.discard(finished)
                    done.add(finished)
                    continue
                if member in on_path:
                    cycle = " -> ".join([*path[path.index(member) :], member])
                    raise ValueError(f"groups: group membership has a cycle: {cycle}")
                if member in done:
                    continue
                path.append(member)
                on_path.add(member)
                stack.append(iter(self.groups[member].member_group_ids or ()))

    # -- groups ---------------------------------------------------------------

    def group_create(
        self,
        *,
        id: str | None = None,
        name: str | None = None,
        type: str | None = None,
        metadata: dict[str, str] | None = None,
        policies: list[str] | None = None,
        member_entity_ids: list[str] | None = None,
        member_group_ids: list[str] | None = None,
    ) -> tuple[Group, bool]:
        """Create a group, or update the one named by ``id`` or ``name``.

        Returns the group and whether it was created.
        """
        group: Group | None = None
        if id:
            group = self.groups.get(id)
            if group is None:
                raise InvalidRequest("invalid group ID")
        elif name:
            group = self._by_name(name)
        return self._write(
            group, name, type, metadata, policies, member_entity_ids, member_group_ids
        )

    def group_update_by_id(
        self,
        id: str,
        *,
        name: str | None = None,
        type: str | None = None,
        metadata: dict[str, str] | None = None,
        policies: list[str] | None = None,
        member_entity_ids: list[str] | None = None,
        member_group_ids: list[str] | None = None,
    ) -> Group:
        """Update the group ``id``; an unknown id is a 400 as on the real server."""
        group = self.groups.get(id)
        if group is None:
            raise InvalidRequest("invalid group ID")
        group, _ = self._write(
            group, name, type, metadata, policies, member_entity_ids, member_group_ids
        )
        return group

    def group_update_by_name(
        self,
        name: str,
        *,
        type: str | None = None,
        metadata: dict[str, str] | None = None,
        policies: list[str] | None = None,
        member_entity_ids: list[str] | None = None,
        member_group_ids: list[str] | None = None,
    ) -> tuple[Group, bool]:
        """Create or update the group called ``name`` (the path's name wins)."""
        return self._write(
            self._by_name(name),
            name,
            type,
            metadata,
            policies,
            member_entity_ids,
            member_group_ids,
        )

    def group_read_by_id(self, id: str) -> Group:
        """The group ``id``, or :class:`NotFound`."""
        group = self.groups.get(id)
        if group is None:
            raise NotFound()
        return group

    def group_read_by_name(self, name: str) -> Group:
        """The group called ``name`` (any case), or :class:`NotFound`."""
        group = self._by_name(name)
        if group is None:
            raise NotFound()
        return group

    def group_delete_by_id(self, id: str) -> None:
        """Delete a group, its alias and its place in other groups' members."""
        group = self.groups.get(id)
        if group is not None:
            self._delete(group)

    def group_delete_by_name(self, name: str) -> None:
        """Delete the group called ``name``, if it exists."""
        group = self._by_name(name)
        if group is not None:
            self._delete(group)

    def group_list_by_id(self) -> list[Group]:
        """Every group, ordered by id; none at all is :class:`NotFound`."""
        if not self.groups:
            raise NotFound()
        return [self.groups[k] for k in sorted(self.groups)]

    def group_list_by_name(self) -> list[str]:
        """Every group name, in the order of the groups' ids (as the server does)."""
        return [g.name for g in self.group_list_by_id()]

    # -- group aliases --------------------------------------------------------

    def group_create_alias(
        self,
        *,
        id: str | None = None,
        name: str | None = None,
        mount_accessor: str | None = None,
        canonical_id: str | None = None,
    ) -> tuple[GroupAlias, bool]:
        """Create a group alias, or update the alias ``id``.

        Without ``canonical_id`` a new alias gets a new external group. Returns the
        alias and whether the answer carries a body (a creation or a change); an
        update that changes nothing answers 204 on the real server.
        """
        alias: GroupAlias | None = None
        if id:
            alias = self.aliases.get(id)
            if alias is None:
                raise InvalidRequest("invalid group alias ID")
        return self._write_alias(alias, name, mount_accessor, canonical_id)

    def group_update_alias_by_id(
        self,
        id: str,
        *,
        name: str | None = None,
        mount_accessor: str | None = None,
        canonical_id: str | None = None,
    ) -> tuple[GroupAlias, bool]:
        """Update the alias ``id``: rename it, move it to another mount or group.

        ``name`` and ``mount_accessor`` are required even when unchanged, as on
        the real server.
        """
        alias = self.aliases.get(id)
        if alias is None:
            raise InvalidRequest("invalid group alias ID")
        return self._write_alias(alias, name, mount_accessor, canonical_id)

    def group_read_alias_by_id(self, id: str) -> GroupAlias:
        """The group alias ``id``, or :class:`NotFound`."""
        alias = self.aliases.get(id)
        if alias is None:
            raise NotFound()
        return alias

    def group_delete_alias_by_id(self, id: str) -> None:
        """Delete the group alias ``id``; a missing one is not an error."""
        alias = self.aliases.get(id)
        if alias is not None:
            self._unindex_alias(alias)
            self._touch(self.groups[alias.canonical_id])

    def group_list_aliases_by_id(self) -> list[GroupAlias]:
        """Every group alias, ordered by id; none at all is :class:`NotFound`."""
        if not self.aliases:
            raise NotFound()
        return [self.aliases[k] for k in sorted(self.aliases)]

    def alias_of(self, group_id: str) -> GroupAlias | None:
        """The alias of one group, if it has one."""
        alias_id = self._group_alias.get(group_id)
        return self.aliases[alias_id] if alias_id is not None else None

    def alias_by_mount_and_name(
        self, mount_accessor: str, name: str
    ) -> GroupAlias | None:
        """The group alias with this name on this mount, if any."""
        alias_id = self._alias_keys.get((mount_accessor, name))
        return self.aliases[alias_id] if alias_id is not None else None

    # -- membership -----------------------------------------------------------

    def parents_of(self, group_id: str) -> list[str]:
        """Ids of the groups that list ``group_id`` as a member, ordered by id."""
        return sorted(
            g.id for g in self.groups.values() if group_id in (g.member_group_ids or [])
        )

    def groups_of(self, entity_id: str) -> tuple[list[str], list[str]]:
        """(direct, inherited) group ids of an entity, each ordered by id.

        Direct groups list the entity as a member; inherited ones are the
        ancestors of the direct groups that are not direct themselves.
        """
        direct = sorted(
            g.id
            for g in self.groups.values()
            if entity_id in (g.member_entity_ids or [])
        )
        seen = set(direct)
        pending = list(direct)
        inherited: set[str] = set()
        while pending:
            for parent in self.parents_of(pending.pop()):
                if parent not in seen:
                    seen.add(parent)
                    inherited.add(parent)
                    pending.append(parent)
        return direct, sorted(inherited)

    def set_external_memberships(
        self, entity_id: str, mount_accessor: str, group_ids: list[str]
    ) -> None:
        """Make the entity a member of exactly ``group_ids`` among the external
        groups whose alias is on ``mount_accessor``, as a login through that
        mount does with the groups its credentials claim.

        External groups of other mounts keep the entity. A group whose members
        change counts one more ``modify_index`` and keeps its
        ``last_update_time``, as on the real server.
        """
        wanted = set(group_ids)
        for alias in self.aliases.values():
            if alias.mount_accessor != mount_accessor:
                continue
            group = self.groups.get(alias.canonical_id)
            if group is None or group.type != EXTERNAL:
                continue
            members = list(group.member_entity_ids or [])
            if group.id in wanted and entity_id not in members:
                group.member_entity_ids = _sorted_unique([*members, entity_id])
                group.modify_index += 1
            elif group.id not in wanted and entity_id in members:
                members.remove(entity_id)
                group.member_entity_ids = members
                group.modify_index += 1

    def identity_policies(self, entity_id: str) -> list[str]:
        """The policies an entity draws from its groups, direct and inherited."""
        direct, inherited = self.groups_of(entity_id)
        policies: set[str] = set()
        for group_id in (*direct, *inherited):
            policies.update(self.groups[group_id].policies or [])
        return sorted(policies)

    # -- views ----------------------------------------------------------------

    def group_view(self, group: Group) -> dict[str, Any]:
        """The group as the real server's read answers it."""
        alias = self.alias_of(group.id)
        parents = self.parents_of(group.id)
        return {
            "alias": self._alias_embedded_view(alias) if alias else {},
            "creation_time": group.creation_time,
            "id": group.id,
            "last_update_time": group.last_update_time,
            "member_entity_ids": (
                list(group.member_entity_ids)
                if group.member_entity_ids is not None
                else None
            ),
            "member_group_ids": list(group.member_group_ids or []) or None,
            "metadata": dict(group.metadata) if group.metadata is not None else None,
            "modify_index": group.modify_index,
            "name": group.name,
            "namespace_id": "root",
            "parent_group_ids": parents or None,
            "policies": list(group.policies) if group.policies is not None else None,
            "type": group.type,
        }

    def group_key_info(self, group: Group) -> dict[str, Any]:
        """The group's entry in a list-by-id answer."""
        info: dict[str, Any] = {
            "name": group.name,
            "num_member_entities": len(group.member_entity_ids or []),
            "num_parent_groups": len(self.parents_of(group.id)),
        }
        alias = self.alias_of(group.id)
        if alias is not None:
            info["alias"] = {
                k: v
                for k, v in self._alias_mount_view(alias).items()
                if k in ("id", "mount_accessor", "mount_path", "mount_type", "name")
            }
        return info

    def alias_view(self, alias: GroupAlias) -> dict[str, Any]:
        """The group alias as the real server's read answers it."""
        view = self._alias_mount_view(alias)
        view.update(
            creation_time=alias.creation_time,
            last_update_time=alias.last_update_time,
            merged_from_canonical_ids=None,
            namespace_id="root",
        )
        return view

    def alias_key_info(self, alias: GroupAlias) -> dict[str, Any]:
        """The group alias's entry in a list-by-id answer."""
        view = self._alias_mount_view(alias)
        del view["id"]
        return view

    def _alias_embedded_view(self, alias: GroupAlias) -> dict[str, Any]:
        view = self._alias_mount_view(alias)
        for key in ("custom_metadata", "local"):
            del view[key]
        view.update(
            creation_time=alias.creation_time,
            last_update_time=alias.last_update_time,
            merged_from_canonical_ids=None,
        )
        return view

    def _alias_mount_view(self, alias: GroupAlias) -> dict[str, Any]:
        mount = self._mounts.by_accessor(alias.mount_accessor)
        return {
            "canonical_id": alias.canonical_id,
            "custom_metadata": None,
            "id": alias.id,
            "local": False,
            "metadata": None,
            "mount_accessor": alias.mount_accessor,
            "mount_path": f"auth/{mount.path}" if mount else "",
            "mount_type": mount.type if mount else "",
            "name": alias.name,
        }

    # -- internals: groups ----------------------------------------------------

    def _by_name(self, name: str | None) -> Group | None:
        if not name:
            return None
        group_id = self._names.get(name.lower())
        return self.groups[group_id] if group_id is not None else None

    def _write(
        self,
        group: Group | None,
        name: str | None,
        type_: str | None,
        metadata: dict[str, str] | None,
        policies: list[str] | None,
        member_entity_ids: list[str] | None,
        member_group_ids: list[str] | None,
    ) -> tuple[Group, bool]:
        """Check every field first, then create or update: a refusal changes nothing."""
        check_policy_names(policies)
        check_metadata("group", metadata)
        if name and (group is None or name != group.name):
            holder = self._names.get(name.lower())
            if holder is not None and (group is None or holder != group.id):
                raise InvalidRequest("group name is already in use")
        kind = group.type if group is not None else ""
        if type_ is not None:
            if group is not None and type_ != group.type:
                raise InvalidRequest("group type cannot be changed")
            kind = type_
        kind = kind or INTERNAL
        if kind not in (INTERNAL, EXTERNAL):
            raise InvalidRequest(f'invalid group type "{kind}"')
        if member_entity_ids is not None and kind == EXTERNAL:
            raise InvalidRequest(
                "member entities can't be set manually for external groups"
            )
        if member_group_ids is not None and kind == EXTERNAL:
            raise InvalidRequest("member groups can't be set for external groups")
        entity_ids = _sorted_unique(member_entity_ids)
        group_ids = _sorted_unique(member_group_ids)
        for entity_id in entity_ids or []:
            if entity_id not in self._entities.entities:
                raise InvalidRequest(multierror([f'invalid entity ID "{entity_id}"']))
        if group_ids:
            self._check_member_groups(group.id if group else None, group_ids)

        created = group is None
        if group is None:
            now = self._random.timestamp()
            group = Group(
                id=self._random.uuid(),
                name=name or f"group_{self._random.hex(8)}.root",
                type=kind,
                creation_time=now,
                last_update_time=now,
                modify_index=0,
            )
            self.groups[group.id] = group
            self._names[group.name.lower()] = group.id
        elif name and name != group.name:
            del self._names[group.name.lower()]
            group.name = name
            self._names[name.lower()] = group.id
        if metadata is not None:
            group.metadata = dict(metadata)
        if policies is not None:
            group.policies = _sorted_unique(policies)
        if entity_ids is not None:
            group.member_entity_ids = entity_ids
        if group_ids is not None:
            before = set(group.member_group_ids or [])
            group.member_group_ids = group_ids
            for changed in before.symmetric_difference(group_ids):
                self.groups[changed].modify_index += 1
        self._touch(group)
        return group, created

    def _check_member_groups(self, group_id: str | None, member_ids: list[str]) -> None:
        for member_id in member_ids:
            if member_id == group_id:
                raise InvalidRequest(
                    multierror(
                        [
                            f'member group ID "{member_id}" is same as the ID of the group'
                        ]
                    )
                )
            if member_id not in self.groups:
                raise InvalidRequest(
                    multierror([f'invalid member group ID "{member_id}"'])
                )
            if group_id is not None and group_id in self._descendants(member_id):
                raise InvalidRequest(
                    f'cyclic relationship detected for member group ID "{member_id}"'
                )

    def _descendants(self, group_id: str) -> set[str]:
        found: set[str] = set()
        pending = [group_id]
        while pending:
            for member in self.groups[pending.pop()].member_group_ids or []:
                if member not in found:
                    found.add(member)
                    pending.append(member)
        return found

    def _touch(self, group: Group) -> None:
        group.modify_index += 1
        group.last_update_time = self._random.timestamp()

    def _delete(self, group: Group) -> None:
        alias = self.alias_of(group.id)
        if alias is not None:
            self._unindex_alias(alias)
        for other in self.groups.values():
            if other.member_group_ids and group.id in other.member_group_ids:
                other.member_group_ids.remove(group.id)
        del self._names[group.name.lower()]
        del self.groups[group.id]

    def _forget_entity(self, entity_id: str) -> None:
        for group in self.groups.values():
            if group.member_entity_ids and entity_id in group.member_entity_ids:
                group.member_entity_ids.remove(entity_id)
                group.modify_index += 1

    def _hand_over_entity(self, from_id: str, to_id: str) -> None:
        for group in self.groups.values():
            members = group.member_entity_ids
            if members and from_id in members:
                group.member_entity_ids = _sorted_unique(
                    [to_id if m == from_id else m for m in members]
                )
                group.modify_index += 1

    # -- internals: aliases ---------------------------------------------------

    def _write_alias(
        self,
        alias: GroupAlias | None,
        name: str | None,
        mount_accessor: str | None,
        canonical_id: str | None,
    ) -> tuple[GroupAlias, bool]:
        if not name:
            raise InvalidRequest("missing alias name")
        if not mount_accessor:
            raise InvalidRequest("missing mount_accessor")
        if self._mounts.by_accessor(mount_accessor) is None:
            raise InvalidRequest(f'invalid mount accessor "{mount_accessor}"')
        holder = self._alias_keys.get((mount_accessor, name))
        if holder is not None and (alias is None or holder != alias.id):
            raise InvalidRequest(
                "combination of mount and group alias name is already in use"
            )
        target: Group | None = None
        if canonical_id:
            target = self.groups.get(canonical_id)
            if target is None:
                raise InvalidRequest("invalid group ID given in 'canonical_id'")
            if target.type != EXTERNAL:
                raise InvalidRequest("alias can't be set on an internal group")
        if alias is not None:
            new_group = target.id if target else alias.canonical_id
            if (alias.name, alias.mount_accessor, alias.canonical_id) == (
                name,
                mount_accessor,
                new_group,
            ):
                return alias, False
            old_group = self.groups.get(alias.canonical_id)
            self._unindex_alias(alias)
            if old_group is not None and old_group.id != new_group:
                self._touch(old_group)
            alias.name = name
            alias.mount_accessor = mount_accessor
            alias.canonical_id = new_group
            alias.last_update_time = self._random.timestamp()
        else:
            fresh = target is None
            if target is None:
                target, _ = self._write(None, None, EXTERNAL, None, None, None, None)
            now = self._random.timestamp()
            alias = GroupAlias(
                id=self._random.uuid(),
                canonical_id=target.id,
                mount_accessor=mount_accessor,
                name=name,
                creation_time=now,
                last_update_time=now,
            )
            if fresh:
                # A group made for the alias is written once, with its alias.
                self._index_alias(alias)
                return alias, True
        replaced = self.alias_of(alias.canonical_id)
        if replaced is not None:
            self._unindex_alias(replaced)
        self._index_alias(alias)
        self._touch(self.groups[alias.canonical_id])
        return alias, True

    def _index_alias(self, alias: GroupAlias) -> None:
        self.aliases[alias.id] = alias
        self._alias_keys[(alias.mount_accessor, alias.name)] = alias.id
        self._group_alias[alias.canonical_id] = alias.id

    def _unindex_alias(self, alias: GroupAlias) -> None:
        del self.aliases[alias.id]
        del self._alias_keys[(alias.mount_accessor, alias.name)]
        if self._group_alias.get(alias.canonical_id) == alias.id:
            del self._group_alias[alias.canonical_id]


def _sorted_unique(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return sorted({v.strip() for v in values if v.strip()})
