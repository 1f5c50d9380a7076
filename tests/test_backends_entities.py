from __future__ import annotations

import re

import pytest
from damaged import DAMAGED, damaged, populated_store

from mockserver.backends import Store
from mockserver.errors import InvalidRequest, NotFound


@pytest.fixture
def store() -> Store:
    return Store(seed=1)


@pytest.fixture
def accessor(store: Store) -> str:
    return store.mounts.sys_auth_enable("userpass", "userpass").accessor


def test_create_then_same_name_updates(store: Store) -> None:
    entity, created = store.entities.entity_create(name="alice", policies=["a"])
    assert created
    again, created_again = store.entities.entity_create(name="ALICE", policies=["b"])
    assert not created_again
    assert again.id == entity.id
    assert again.name == "ALICE"
    assert again.policies == ["b"]


def test_create_without_name_generates_one(store: Store) -> None:
    entity, _ = store.entities.entity_create()
    assert entity.name.startswith("entity_")
    assert entity.name.endswith(".root")
    assert len(entity.name) == len("entity_.root") + 8


def test_update_by_unknown_id_is_invalid(store: Store) -> None:
    with pytest.raises(InvalidRequest, match="entity not found from id"):
        store.entities.entity_update_by_id("nope", name="x")
    with pytest.raises(InvalidRequest, match="entity not found from id"):
        store.entities.entity_create(id="nope")


def test_rename_onto_another_name_is_refused(store: Store) -> None:
    store.entities.entity_create(name="alice")
    bob, _ = store.entities.entity_create(name="bob")
    with pytest.raises(InvalidRequest, match="entity name is already in use"):
        store.entities.entity_update_by_id(bob.id, name="Alice")


def test_read_missing_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.entities.entity_read_by_id("nope")
    with pytest.raises(NotFound):
        store.entities.entity_read_by_name("nope")


def test_empty_lists_are_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.entities.entity_list_by_id()
    with pytest.raises(NotFound):
        store.entities.entity_list_by_name()
    with pytest.raises(NotFound):
        store.entities.entity_list_aliases_by_id()


def test_update_by_name_creates_then_updates(store: Store) -> None:
    entity, created = store.entities.entity_update_by_name("carol")
    assert created
    same, created = store.entities.entity_update_by_name("carol", disabled=True)
    assert not created
    assert same.id == entity.id
    assert same.disabled


def test_alias_rules(store: Store, accessor: str) -> None:
    alice, _ = store.entities.entity_create(name="alice")
    alias, answered = store.entities.entity_create_alias(
        name="a1", mount_accessor=accessor, canonical_id=alice.id
    )
    assert answered
    assert alias.canonical_id == alice.id
    # Same mount and name for the same entity: a plain update, no body.
    same, answered = store.entities.entity_create_alias(
        name="a1", mount_accessor=accessor, canonical_id=alice.id
    )
    assert (same.id, answered) == (alias.id, False)
    # A second alias for the same entity on the same mount is refused.
    with pytest.raises(InvalidRequest, match="Alias already exists"):
        store.entities.entity_create_alias(
            name="a2", mount_accessor=accessor, canonical_id=alice.id
        )


def test_alias_without_entity_creates_one(store: Store, accessor: str) -> None:
    alias, _ = store.entities.entity_create_alias(name="lone", mount_accessor=accessor)
    entity = store.entities.entity_read_by_id(alias.canonical_id)
    assert [a.id for a in store.entities.aliases_of(entity.id)] == [alias.id]


def test_alias_input_errors(store: Store, accessor: str) -> None:
    with pytest.raises(InvalidRequest, match="must be provided"):
        store.entities.entity_create_alias(name="x")
    with pytest.raises(InvalidRequest, match='invalid mount accessor "bad"'):
        store.entities.entity_create_alias(name="x", mount_accessor="bad")
    with pytest.raises(InvalidRequest, match="invalid canonical ID"):
        store.entities.entity_create_alias(
            name="x", mount_accessor=accessor, canonical_id="nope"
        )
    with pytest.raises(InvalidRequest, match="invalid alias ID provided"):
        store.entities.entity_update_alias_by_id("nope", name="x")


def test_alias_moves_between_entities(store: Store, accessor: str) -> None:
    alice, _ = store.entities.entity_create(name="alice")
    bob, _ = store.entities.entity_create(name="bob")
    alias, _ = store.entities.entity_create_alias(
        name="shared", mount_accessor=accessor, canonical_id=alice.id
    )
    moved, answered = store.entities.entity_create_alias(
        name="shared", mount_accessor=accessor, canonical_id=bob.id
    )
    assert answered
    assert moved.id == alias.id
    assert store.entities.aliases_of(alice.id) == []
    assert [a.id for a in store.entities.aliases_of(bob.id)] == [alias.id]


def test_deleting_an_entity_deletes_its_aliases(store: Store, accessor: str) -> None:
    alice, _ = store.entities.entity_create(name="alice")
    alias, _ = store.entities.entity_create_alias(
        name="a", mount_accessor=accessor, canonical_id=alice.id
    )
    store.entities.entity_delete_by_name("ALICE")
    with pytest.raises(NotFound):
        store.entities.entity_read_alias_by_id(alias.id)
    assert store.entities.alias_by_mount_and_name(accessor, "a") is None
    # The name is free again.
    _, created = store.entities.entity_create(name="alice")
    assert created


def test_batch_delete(store: Store) -> None:
    ids = [store.entities.entity_create(name=f"e{i}")[0].id for i in range(3)]
    with pytest.raises(InvalidRequest, match="missing entity ids to delete"):
        store.entities.entity_batch_delete([])
    store.entities.entity_batch_delete([*ids[:2], "unknown"])
    assert [e.id for e in store.entities.entity_list_by_id()] == [ids[2]]


def test_merge_moves_aliases_and_removes_sources(store: Store, accessor: str) -> None:
    other = store.mounts.sys_auth_enable("approle", "approle").accessor
    to, _ = store.entities.entity_create(name="to")
    source, _ = store.entities.entity_create(name="from")
    alias, _ = store.entities.entity_create_alias(
        name="f", mount_accessor=other, canonical_id=source.id
    )
    store.entities.entity_merge(from_entity_ids=[source.id], to_entity_id=to.id)
    assert store.entities.entity_read_by_id(to.id).merged_entity_ids == [source.id]
    moved = store.entities.entity_read_alias_by_id(alias.id)
    assert moved.canonical_id == to.id
    assert moved.merged_from_canonical_ids == [source.id]
    with pytest.raises(NotFound):
        store.entities.entity_read_by_id(source.id)


def test_merge_clash_needs_a_kept_alias(store: Store, accessor: str) -> None:
    to, _ = store.entities.entity_create(name="to")
    source, _ = store.entities.entity_create(name="from")
    mine, _ = store.entities.entity_create_alias(
        name="t", mount_accessor=accessor, canonical_id=to.id
    )
    theirs, _ = store.entities.entity_create_alias(
        name="f", mount_accessor=accessor, canonical_id=source.id
    )
    with pytest.raises(InvalidRequest) as refused:
        store.entities.entity_merge(from_entity_ids=[source.id], to_entity_id=to.id)
    assert "conflicting fromEntity alias ID: " + theirs.id in refused.value.errors[0]
    assert refused.value.data is not None
    store.entities.entity_merge(
        from_entity_ids=[source.id],
        to_entity_id=to.id,
        conflicting_alias_ids_to_keep=[theirs.id],
    )
    assert [a.id for a in store.entities.aliases_of(to.id)] == [theirs.id]
    with pytest.raises(NotFound):
        store.entities.entity_read_alias_by_id(mine.id)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"from_entity_ids": ["x"], "to_entity_id": None},
            "missing entity id to merge to",
        ),
        (
            {"from_entity_ids": [], "to_entity_id": "x"},
            "missing entity ids to merge from",
        ),
        ({"from_entity_ids": ["x"], "to_entity_id": "x"}, "should not be present"),
        ({"from_entity_ids": ["x"], "to_entity_id": "y"}, "merge to is invalid"),
    ],
)
def test_merge_input_errors(
    store: Store, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidRequest, match=message):
        store.entities.entity_merge(**kwargs)  # type: ignore[arg-type]


def test_views_have_the_real_fields(store: Store, accessor: str) -> None:
    alice, _ = store.entities.entity_create(name="alice", metadata={"k": "v"})
    store.entities.entity_create_alias(
        name="a", mount_accessor=accessor, canonical_id=alice.id
    )
    view = store.entities.entity_view(alice)
    assert set(view) == {
        "aliases", "creation_time", "direct_group_ids", "disabled", "group_ids", "id",
        "inherited_group_ids", "last_update_time", "merged_entity_ids", "metadata",
        "name", "namespace_id", "policies",
    }  # fmt: skip
    assert view["aliases"][0]["mount_path"] == "auth/userpass/"
    assert view["aliases"][0]["mount_type"] == "userpass"
    info = store.entities.entity_key_info(alice)
    assert info["name"] == "alice"
    assert set(info["aliases"][0]) == {
        "id",
        "mount_accessor",
        "mount_path",
        "mount_type",
        "name",
    }


def test_seeded_stores_repeat() -> None:
    def run() -> list[str]:
        store = Store(seed=42)
        entity, _ = store.entities.entity_create()
        return [entity.id, entity.name, entity.creation_time, store.cluster_id]

    assert run() == run()


def test_reset_rewinds_the_sequence(store: Store) -> None:
    first, _ = store.entities.entity_create(name="a")
    store.reset()
    with pytest.raises(NotFound):
        store.entities.entity_read_by_id(first.id)
    again, _ = store.entities.entity_create(name="a")
    assert again.id == first.id


def test_snapshot_restore_round_trip(store: Store, accessor: str) -> None:
    alice, _ = store.entities.entity_create(name="alice")
    store.entities.entity_create_alias(
        name="a", mount_accessor=accessor, canonical_id=alice.id
    )
    snap = store.snapshot()
    store.entities.entity_delete_by_id(alice.id)
    store.restore(snap)
    assert store.entities.entity_read_by_name("alice").id == alice.id
    assert store.entities.alias_by_mount_and_name(accessor, "a") is not None
    assert store.snapshot() == snap


def test_restore_refuses_foreign_data(store: Store) -> None:
    store.entities.entity_create(name="keep")
    with pytest.raises(ValueError, match="not a vaultmock snapshot"):
        store.restore({"entities": []})
    with pytest.raises(ValueError, match="incomplete or damaged"):
        store.restore({"format": "vaultmock-state/1"})
    assert store.entities.entity_read_by_name("keep")


@pytest.mark.parametrize("policies", [["root"], ["a", "ROOT"], [" Root "]])
def test_root_is_not_an_entity_policy(store: Store, policies: list[str]) -> None:
    with pytest.raises(InvalidRequest, match="policies cannot contain root"):
        store.entities.entity_create(name="r", policies=policies)
    made, _ = store.entities.entity_create(name="r")
    with pytest.raises(InvalidRequest, match="policies cannot contain root"):
        store.entities.entity_update_by_id(made.id, name="renamed", policies=policies)
    assert store.entities.entity_read_by_id(made.id).name == "r"


# -- restoring snapshots ----------------------------------------------------------


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_a_damaged_snapshot_is_refused_and_the_state_kept(case: str) -> None:
    store = populated_store()
    good = store.snapshot()
    store.entities.entity_create(name="dave")
    before = store.snapshot()
    with pytest.raises(ValueError, match=re.escape(DAMAGED[case][1])):
        store.restore(damaged(good, case))
    assert store.snapshot() == before
    store.restore(good)
    assert store.snapshot()["entities"] == good["entities"]


def test_a_restored_store_keeps_its_indexes() -> None:
    good = populated_store().snapshot()
    other = Store(seed=3)
    other.restore(good)
    assert other.snapshot() == good
    alice = other.entities.entity_read_by_name("ALICE")
    assert alice.name == "alice"
    _, created = other.entities.entity_create(name="Alice")
    assert not created
    accessor = other.mounts.mounts["userpass/"].accessor
    assert other.entities.alias_by_mount_and_name(accessor, "alice") is not None
