from __future__ import annotations

import pytest

from mockserver.backends import Store
from mockserver.backends.seed import MAX_PRELOAD, preload


def test_preload_makes_entities_with_userpass_aliases() -> None:
    store = Store(seed=5)
    preload(store, 25)
    entities = store.entities.entity_list_by_id()
    assert len(entities) == 25
    userpass = next(m for m in store.mounts.sys_auth_list() if m.type == "userpass")
    for entity in entities:
        aliases = store.entities.aliases_of(entity.id)
        assert [a.mount_accessor for a in aliases] == [userpass.accessor]
        assert entity.metadata is not None
        assert set(entity.metadata) == {"email", "team", "title"}
        assert entity.policies[0] == "default"
    assert {m.path for m in store.mounts.sys_auth_list()} == {
        "token/",
        "userpass/",
        "approle/",
    }


def test_preload_repeats_under_a_seed() -> None:
    def names(seed: int) -> list[tuple[str, str]]:
        store = Store(seed=seed)
        preload(store, 10)
        return sorted((e.id, e.name) for e in store.entities.entity_list_by_id())

    assert names(9) == names(9)
    assert names(9) != names(10)


def test_preload_twice_adds_more() -> None:
    store = Store(seed=1)
    preload(store, 5)
    preload(store, 5)
    assert len(store.entities.entity_list_by_id()) == 10


def test_preload_is_bounded() -> None:
    store = Store(seed=1)
    with pytest.raises(ValueError, match="0 to 100,000 entities"):
        preload(store, MAX_PRELOAD + 1)
    assert store.entities.entities == {}
