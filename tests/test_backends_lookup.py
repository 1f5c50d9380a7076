from __future__ import annotations

import pytest

from mockserver.backends import Store
from mockserver.backends.lookup import Criteria
from mockserver.errors import InvalidRequest


@pytest.fixture
def store() -> Store:
    return Store(seed=2)


def test_entity_by_each_criterion(store: Store) -> None:
    accessor = store.mounts.sys_auth_enable("userpass", "userpass").accessor
    entity, _ = store.entities.entity_create(name="Kim")
    alias, _ = store.entities.entity_create_alias(
        name="kim", mount_accessor=accessor, canonical_id=entity.id
    )
    look = store.lookup.entity_look_up
    assert look(Criteria(name="kim")) is entity
    assert look(Criteria(id=entity.id)) is entity
    assert look(Criteria(alias_id=alias.id)) is entity
    assert look(Criteria(alias_name="kim", alias_mount_accessor=accessor)) is entity
    assert look(Criteria(name="")) is None
    assert look(Criteria(alias_name="kim", alias_mount_accessor="nope")) is None


def test_group_by_each_criterion(store: Store) -> None:
    accessor = store.mounts.sys_auth_enable("userpass", "userpass").accessor
    group, _ = store.groups.group_create(name="Ext", type="external")
    alias, _ = store.groups.group_create_alias(
        name="ext", mount_accessor=accessor, canonical_id=group.id
    )
    look = store.lookup.group_look_up
    assert look(Criteria(name="EXT")) is group
    assert look(Criteria(id=group.id)) is group
    assert look(Criteria(alias_id=alias.id)) is group
    assert look(Criteria(alias_name="ext", alias_mount_accessor=accessor)) is group
    assert look(Criteria(id="nope")) is None


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        (Criteria(), "query parameter not supplied"),
        (Criteria(name="a", id="b"), "query parameter conflict"),
        (Criteria(alias_id="a", alias_name="b", alias_mount_accessor="c"), "conflict"),
        (Criteria(alias_name="a"), "both 'alias_name' and 'alias_mount_accessor'"),
        (Criteria(alias_mount_accessor="a"), "both 'alias_name'"),
    ],
)
def test_criteria_refusals(store: Store, criteria: Criteria, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        store.lookup.entity_look_up(criteria)
    with pytest.raises(InvalidRequest, match=message):
        store.lookup.group_look_up(criteria)
