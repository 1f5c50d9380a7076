from __future__ import annotations

import pytest

from mockserver.backends import Store
from mockserver.errors import InvalidRequest, NotFound


@pytest.fixture
def store() -> Store:
    return Store(seed=1)


@pytest.fixture
def accessor(store: Store) -> str:
    return store.mounts.sys_auth_enable("userpass", "userpass").accessor


def entity(store: Store, name: str) -> str:
    made, _ = store.entities.entity_create(name=name)
    return made.id


def test_create_then_same_name_updates_and_renames(store: Store) -> None:
    group, created = store.groups.group_create(name="devs", policies=["b", "a", "b"])
    assert created
    assert group.policies == ["a", "b"]
    again, created_again = store.groups.group_create(name="DEVS", metadata={"k": "v"})
    assert not created_again
    assert again.id == group.id
    assert (again.name, again.metadata, again.policies) == (
        "DEVS",
        {"k": "v"},
        ["a", "b"],
    )
    assert again.modify_index == 2


def test_fresh_group_view_has_nulls(store: Store) -> None:
    group, _ = store.groups.group_create(name="g")
    view = store.groups.group_view(group)
    assert view["alias"] == {}
    assert view["type"] == "internal"
    for key in ("member_entity_ids", "member_group_ids", "metadata", "policies"):
        assert view[key] is None, key
    assert view["parent_group_ids"] is None
    assert view["modify_index"] == 1


def test_name_is_generated_when_missing(store: Store) -> None:
    group, _ = store.groups.group_create()
    assert group.name.startswith("group_")
    assert group.name.endswith(".root")


def test_unknown_ids_are_refused(store: Store) -> None:
    with pytest.raises(InvalidRequest, match="invalid group ID"):
        store.groups.group_create(id="nope", name="x")
    with pytest.raises(InvalidRequest, match="invalid group ID"):
        store.groups.group_update_by_id("nope", name="x")
    with pytest.raises(InvalidRequest, match='invalid entity ID "nope"'):
        store.groups.group_create(name="g", member_entity_ids=["nope"])
    with pytest.raises(InvalidRequest, match='invalid member group ID "nope"'):
        store.groups.group_create(name="g", member_group_ids=["nope"])
    assert store.groups.groups == {}


def test_type_rules(store: Store) -> None:
    external, _ = store.groups.group_create(name="ext", type="external")
    with pytest.raises(InvalidRequest, match="group type cannot be changed"):
        store.groups.group_update_by_id(external.id, type="internal")
    with pytest.raises(InvalidRequest, match='invalid group type "odd"'):
        store.groups.group_create(name="odd", type="odd")
    member = entity(store, "alice")
    with pytest.raises(InvalidRequest, match="member entities can't be set manually"):
        store.groups.group_update_by_id(external.id, member_entity_ids=[member])
    with pytest.raises(InvalidRequest, match="member groups can't be set"):
        store.groups.group_update_by_id(external.id, member_group_ids=[])


def test_membership_parents_and_cycles(store: Store) -> None:
    alice = entity(store, "alice")
    child, _ = store.groups.group_create(name="child", member_entity_ids=[alice])
    parent, _ = store.groups.group_create(name="parent", member_group_ids=[child.id])
    top, _ = store.groups.group_create(name="top", member_group_ids=[parent.id])
    assert store.groups.parents_of(child.id) == [parent.id]
    assert store.groups.groups_of(alice) == ([child.id], sorted([parent.id, top.id]))
    assert store.groups.group_key_info(child) == {
        "name": "child",
        "num_member_entities": 1,
        "num_parent_groups": 1,
    }
    with pytest.raises(InvalidRequest, match="cyclic relationship"):
        store.groups.group_update_by_id(child.id, member_group_ids=[top.id])
    with pytest.raises(InvalidRequest, match="is same as the ID of the group"):
        store.groups.group_update_by_id(child.id, member_group_ids=[child.id])
    read = store.entities.entity_view(store.entities.entity_read_by_id(alice))
    assert read["direct_group_ids"] == [child.id]
    # Direct groups first, then the inherited ones, as the real server lists them.
    assert read["group_ids"] == [child.id, *sorted([parent.id, top.id])]


def test_identity_policies_follow_inheritance(store: Store) -> None:
    alice = entity(store, "alice")
    child, _ = store.groups.group_create(
        name="child", policies=["c"], member_entity_ids=[alice]
    )
    store.groups.group_create(
        name="parent", policies=["p"], member_group_ids=[child.id]
    )
    store.groups.group_create(name="other", policies=["o"])
    assert store.groups.identity_policies(alice) == ["c", "p"]


def test_deleting_entities_and_groups_updates_members(store: Store) -> None:
    alice, bob = entity(store, "alice"), entity(store, "bob")
    child, _ = store.groups.group_create(name="child")
    parent, _ = store.groups.group_create(
        name="parent", member_entity_ids=[alice, bob], member_group_ids=[child.id]
    )
    store.entities.entity_delete_by_id(alice)
    assert parent.member_entity_ids == [bob]
    store.groups.group_delete_by_name("CHILD")
    assert store.groups.group_view(parent)["member_group_ids"] is None
    store.groups.group_delete_by_id("nope")


def test_merge_hands_memberships_over(store: Store) -> None:
    alice, bob = entity(store, "alice"), entity(store, "bob")
    group, _ = store.groups.group_create(name="g", member_entity_ids=[alice, bob])
    store.entities.entity_merge(from_entity_ids=[alice], to_entity_id=bob)
    assert group.member_entity_ids == [bob]


def test_lists(store: Store) -> None:
    with pytest.raises(NotFound):
        store.groups.group_list_by_id()
    with pytest.raises(NotFound):
        store.groups.group_list_by_name()
    made = [store.groups.group_create(name=n)[0] for n in ("b", "a", "c")]
    by_id = sorted(made, key=lambda g: g.id)
    assert store.groups.group_list_by_id() == by_id
    assert store.groups.group_list_by_name() == [g.name for g in by_id]


def test_alias_on_external_group(store: Store, accessor: str) -> None:
    group, _ = store.groups.group_create(name="ext", type="external")
    alias, answered = store.groups.group_create_alias(
        name="eng", mount_accessor=accessor, canonical_id=group.id
    )
    assert answered
    view = store.groups.group_view(group)["alias"]
    assert (view["id"], view["mount_path"], view["mount_type"]) == (
        alias.id,
        "auth/userpass/",
        "userpass",
    )
    assert "custom_metadata" not in view
    assert store.groups.group_key_info(group)["alias"]["name"] == "eng"
    assert "id" not in store.groups.alias_key_info(alias)
    _, changed = store.groups.group_update_alias_by_id(
        alias.id, name="eng", mount_accessor=accessor
    )
    assert not changed
    _, changed = store.groups.group_update_alias_by_id(
        alias.id, name="eng2", mount_accessor=accessor
    )
    assert changed
    store.groups.group_delete_by_id(group.id)
    assert store.groups.aliases == {}


def test_alias_refusals(store: Store, accessor: str) -> None:
    internal, _ = store.groups.group_create(name="int")
    external, _ = store.groups.group_create(name="ext", type="external")
    aliases = store.groups
    with pytest.raises(InvalidRequest, match="alias can't be set on an internal group"):
        aliases.group_create_alias(
            name="a", mount_accessor=accessor, canonical_id=internal.id
        )
    with pytest.raises(InvalidRequest, match="missing alias name"):
        aliases.group_create_alias(mount_accessor=accessor)
    with pytest.raises(InvalidRequest, match="missing mount_accessor"):
        aliases.group_create_alias(name="a")
    with pytest.raises(InvalidRequest, match='invalid mount accessor "nope"'):
        aliases.group_create_alias(name="a", mount_accessor="nope")
    with pytest.raises(
        InvalidRequest, match="invalid group ID given in 'canonical_id'"
    ):
        aliases.group_create_alias(name="a", mount_accessor=accessor, canonical_id="x")
    with pytest.raises(InvalidRequest, match="invalid group alias ID"):
        aliases.group_update_alias_by_id("nope", name="a", mount_accessor=accessor)
    aliases.group_create_alias(
        name="a", mount_accessor=accessor, canonical_id=external.id
    )
    with pytest.raises(InvalidRequest, match="combination of mount and group alias"):
        aliases.group_create_alias(name="a", mount_accessor=accessor)


def test_alias_without_group_creates_an_external_one(
    store: Store, accessor: str
) -> None:
    alias, _ = store.groups.group_create_alias(name="team", mount_accessor=accessor)
    group = store.groups.group_read_by_id(alias.canonical_id)
    assert group.type == "external"
    assert group.modify_index == 1


def test_a_new_alias_replaces_the_groups_old_one(store: Store, accessor: str) -> None:
    other = store.mounts.sys_auth_enable("approle", "approle").accessor
    group, _ = store.groups.group_create(name="ext", type="external")
    first, _ = store.groups.group_create_alias(
        name="one", mount_accessor=accessor, canonical_id=group.id
    )
    second, _ = store.groups.group_create_alias(
        name="two", mount_accessor=other, canonical_id=group.id
    )
    assert list(store.groups.aliases) == [second.id]
    assert store.groups.alias_of(group.id) is second
    assert store.groups.alias_by_mount_and_name(accessor, "one") is None
    assert first.id not in store.groups.aliases


def test_snapshot_round_trip(store: Store, accessor: str) -> None:
    alice = entity(store, "alice")
    group, _ = store.groups.group_create(
        name="ext", type="external", metadata={"k": "v"}
    )
    store.groups.group_create(name="int", member_entity_ids=[alice])
    store.groups.group_create_alias(
        name="a", mount_accessor=accessor, canonical_id=group.id
    )
    before = store.snapshot()
    copy = Store(seed=1)
    copy.restore(before)
    assert copy.snapshot() == before
    assert copy.groups.group_read_by_name("EXT").metadata == {"k": "v"}
    assert copy.groups.alias_by_mount_and_name(accessor, "a") is not None
    assert copy.entities.groups_of(alice)[0] == [
        copy.groups.group_read_by_name("int").id
    ]
    store.reset()
    assert store.groups.groups == {}


def test_root_is_not_a_group_policy(store: Store) -> None:
    with pytest.raises(InvalidRequest, match="policies cannot contain root"):
        store.groups.group_create(name="g", policies=["Root"])
