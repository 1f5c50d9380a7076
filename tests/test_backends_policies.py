from __future__ import annotations

import pytest

from mockserver.backends import Store
from mockserver.backends.policies import check_rules
from mockserver.errors import InvalidRequest, NotFound

RULES = 'path "secret/*" {\n  capabilities = ["read"]\n}\n'


@pytest.fixture
def store() -> Store:
    return Store(seed=3)


def test_defaults(store: Store) -> None:
    assert store.policies.policy_list() == ["default", "root"]
    assert store.policies.policy_read("root").rules == ""
    assert "lookup-self" in store.policies.policy_read("default").rules
    assert store.policies.exists("ROOT")
    assert not store.policies.exists("nope")


def test_write_read_delete(store: Store) -> None:
    written = store.policies.policy_write("Readers", RULES)
    assert (written.name, written.version) == ("readers", 1)
    assert store.policies.policy_write("readers", RULES, cas=1).version == 2
    assert store.policies.policy_list() == ["default", "readers", "root"]
    store.policies.policy_delete("READERS")
    store.policies.policy_delete("readers")
    with pytest.raises(NotFound):
        store.policies.policy_read("readers")


@pytest.mark.parametrize(
    ("name", "rules", "cas", "message"),
    [
        ("p", "", None, "'policy' parameter not supplied or empty"),
        ("root", RULES, None, 'cannot update "root" policy'),
        (
            "p",
            RULES,
            2,
            "check-and-set parameter 2 did not match the current version 0",
        ),
        ("p", 'path "a" {', None, "failed to parse policy: At 1:12: object expected"),
    ],
)
def test_write_refusals(
    store: Store, name: str, rules: str, cas: int | None, message: str
) -> None:
    with pytest.raises(InvalidRequest, match=message):
        store.policies.policy_write(name, rules, cas)


def test_builtin_policies_stay(store: Store) -> None:
    with pytest.raises(InvalidRequest, match='cannot delete "root" policy'):
        store.policies.policy_delete("root")
    with pytest.raises(InvalidRequest, match="cannot delete default policy"):
        store.policies.policy_delete("default")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (RULES, None),
        ('{"path": {"a": {"capabilities": ["read"]}}}', None),
        ('# a } in a comment\npath "a" {}', None),
        ('path "a}" {}', None),
        ('path "a" { capabilities = ["read" }', "At 1:35: unexpected '}'"),
        ('path "a', "literal not terminated"),
        ("path {\n", "At 2:2: object expected closing RBRACE got: EOF"),
    ],
)
def test_check_rules(text: str, problem: str | None) -> None:
    found = check_rules(text)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


def test_snapshot_round_trip(store: Store) -> None:
    store.policies.policy_write("p", RULES)
    copy = Store(seed=3)
    copy.restore(store.snapshot())
    assert copy.policies.policy_read("p").rules == RULES
