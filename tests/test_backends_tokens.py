from __future__ import annotations

import time

import pytest
from damaged import populated_store

from mockserver.backends import Store
from mockserver.backends.tokens import TokenRole, alnum, parse_ttl
from mockserver.errors import InvalidRequest


@pytest.fixture
def store() -> Store:
    return Store(seed=4)


def test_root_token(store: Store) -> None:
    root = store.tokens.authenticate("root")
    assert root is not None
    assert (root.policies, root.display_name, root.orphan, root.expires_at) == (
        ["root"],
        "token",
        True,
        None,
    )
    assert len(root.accessor) == 24
    assert root.accessor.isalnum()
    assert store.tokens.authenticate("nope") is None
    assert store.tokens.authenticate(None) is None


def test_issue_expire_and_revoke_children(store: Store) -> None:
    root = store.tokens.tokens["root"]
    parent = store.tokens.issue(policies=["a"], parent=root, ttl=60)
    assert parent.id.startswith("s.")
    assert len(parent.id) == 26
    child = store.tokens.issue(policies=["a"], parent=parent, ttl=60)
    orphan = store.tokens.issue(policies=["a"], parent=parent, ttl=60, orphan=True)
    store.tokens.revoke(parent.id)
    assert store.tokens.find(child.id) is None
    assert store.tokens.find(orphan.id) is orphan
    short = store.tokens.issue(policies=[], parent=root, ttl=1)
    short.expires_at = time.time() - 1
    assert store.tokens.authenticate(short.id) is None
    assert short.id not in store.tokens.tokens


def test_duplicate_id_is_refused(store: Store) -> None:
    store.tokens.issue(policies=[], parent=None, ttl=0, id="mine")
    with pytest.raises(InvalidRequest, match="duplicate ID"):
        store.tokens.issue(policies=[], parent=None, ttl=0, id="mine")


def test_explicit_max_ttl_caps_ttl(store: Store) -> None:
    token = store.tokens.issue(policies=[], parent=None, ttl=600, explicit_max_ttl=60)
    assert token.ttl == 60


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(None, 0), ("", 0), (90, 90), ("90", 90), ("1h30m", 5400), ("1.5h", 5400),
     ("2d", 172800), ("500ms", 0)],
)  # fmt: skip
def test_parse_ttl(value: object, seconds: int) -> None:
    assert parse_ttl(value) == seconds


def test_parse_ttl_refusals() -> None:
    with pytest.raises(InvalidRequest, match='time: invalid duration "soon"'):
        parse_ttl("soon")
    with pytest.raises(InvalidRequest, match="ttl must be positive"):
        parse_ttl("-5")


@pytest.mark.parametrize(
    ("patterns", "name", "allowed"),
    [
        (["svc-*"], "svc-web", True),
        (["svc-*"], "web", False),
        (["*-prod"], "db-prod", True),
        (["a*b*c"], "a-x-b-y-c", True),
        (["a*b*c"], "a-c", False),
        (["*"], "anything", True),
        (["exact"], "exact", True),
    ],
)
def test_role_alias_globs(patterns: list[str], name: str, allowed: bool) -> None:
    assert TokenRole("r", allowed_entity_aliases=patterns).allows_alias(name) is allowed


def test_roles(store: Store) -> None:
    role = store.tokens.role_write(
        "app", {"allowed_entity_aliases": ["b", "a", "a"], "token_period": "1h"}
    )
    assert (role.allowed_entity_aliases, role.token_period) == (["a", "b"], 3600)
    assert store.tokens.role_list() == ["app"]
    copy = Store(seed=4)
    copy.restore(store.snapshot())
    assert copy.tokens.roles["app"].view() == role.view()
    store.tokens.role_delete("app")
    store.tokens.role_delete("app")
    assert store.tokens.role_list() == []


def test_alnum_is_seeded() -> None:
    assert alnum(Store(seed=9).random, 10) == alnum(Store(seed=9).random, 10)


# -- restoring snapshots ----------------------------------------------------------


def test_a_restore_under_another_root_token_drops_the_saved_one() -> None:
    saved = populated_store()
    child = next(t for t in saved.tokens.tokens if t != "root")
    assert saved.snapshot()["tokens"]["root_token_id"] == "root"
    store = Store(seed=3, root_token="s3cret")
    store.restore(saved.snapshot())
    assert "root" not in store.tokens.tokens
    assert store.tokens.tokens["s3cret"].policies == ["root"]
    assert child in store.tokens.tokens


def test_a_restore_under_the_same_root_token_keeps_it() -> None:
    saved = populated_store()
    store = Store(seed=3)
    store.restore(saved.snapshot())
    assert store.tokens.tokens["root"] == saved.tokens.tokens["root"]


def test_an_unseeded_store_draws_fresh_ids_after_each_restore() -> None:
    store = Store(seed=None)
    snapshot = store.snapshot()
    ids = set()
    for _ in range(3):
        store.restore(snapshot)
        ids.add(store.entities.entity_create(name="x")[0].id)
    assert len(ids) == 3


def test_a_seeded_store_repeats_ids_after_each_restore() -> None:
    store = Store(seed=5)
    snapshot = store.snapshot()
    ids = set()
    for _ in range(3):
        store.restore(snapshot)
        ids.add(store.entities.entity_create(name="x")[0].id)
    assert len(ids) == 1
