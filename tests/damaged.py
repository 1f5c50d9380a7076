"""A real snapshot and a table of damaged copies of it, one corrupted field each.

Shared by the tests of restore in the store, the admin API and state files.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from mockserver.backends import Store

Snapshot = dict[str, Any]


def populated_store(*, seed: int | None = 3, root_token: str = "root") -> Store:
    """A store with entities, aliases, groups, tokens, a user, a policy, a key."""
    store = Store(seed=seed, root_token=root_token)
    userpass = store.mounts.sys_auth_enable("userpass", "userpass")
    alice, _ = store.entities.entity_create(name="alice", metadata={"team": "a"})
    bob, _ = store.entities.entity_create(name="bob")
    store.entities.entity_create_alias(
        name="alice", mount_accessor=userpass.accessor, canonical_id=alice.id
    )
    inner, _ = store.groups.group_create(name="inner", member_entity_ids=[bob.id])
    store.groups.group_create(
        name="outer", member_entity_ids=[alice.id], member_group_ids=[inner.id]
    )
    root = store.tokens.tokens[root_token]
    store.auth.token_create(root, {"policies": ["reader"]})
    store.userpass.user_write("userpass/", "carol", {"password": "pw"})
    store.policies.policy_write("reader", 'path "secret/*" { capabilities = ["read"] }')
    store.oidc.oidc_write_key("signer")
    return store


def _set(path: str, value: Any) -> Callable[[Snapshot], None]:
    keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]

    def corrupt(data: Snapshot) -> None:
        target: Any = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return corrupt


def _entity_named(name: str) -> Callable[[Snapshot], None]:
    def corrupt(data: Snapshot) -> None:
        data["entities"]["entities"][1]["name"] = name

    return corrupt


def _group_member_of_itself(data: Snapshot) -> None:
    group = data["groups"]["groups"][0]
    group["member_group_ids"] = [group["id"]]


def _drop_field(data: Snapshot) -> None:
    del data["entities"]["entities"][0]["name"]


def _unknown_field(data: Snapshot) -> None:
    data["entities"]["entities"][0]["colour"] = "red"


def _ordinary_token(field: str, value: Any) -> Callable[[Snapshot], None]:
    # The token the root token created (not the root token itself).
    def corrupt(data: Snapshot) -> None:
        token = next(t for t in data["tokens"]["tokens"] if t["id"] != "root")
        token[field] = value

    return corrupt


DAMAGED: dict[str, tuple[Callable[[Snapshot], None], str]] = {
    # case: (corruption, a part of the message it is refused with)
    "entity name int": (
        _set("entities.entities.0.name", 7),
        "entities: entity 0: field 'name' must be a string, not int",
    ),
    "entity name null": (
        _set("entities.entities.0.name", None),
        "field 'name' must be a string, not null",
    ),
    "entity metadata list": (
        _set("entities.entities.0.metadata", ["a"]),
        "field 'metadata' must be an object of strings, not list",
    ),
    "entity creation_time": (
        _set("entities.entities.0.creation_time", "yesterday"),
        "creation_time must be an RFC 3339 timestamp",
    ),
    "entity without name": (_drop_field, "lacks required field(s) 'name'"),
    "entity unknown field": (_unknown_field, "field 'colour' is not a field"),
    "duplicate entity name": (_entity_named("ALICE"), "clashes with entity"),
    "alias of missing entity": (
        _set("entities.aliases.0.canonical_id", "nobody"),
        "which does not exist",
    ),
    "alias on missing mount": (
        _set("entities.aliases.0.mount_accessor", "auth_nowhere"),
        "mount accessor 'auth_nowhere', which does not exist",
    ),
    "group member missing": (
        _set("groups.groups.0.member_entity_ids", ["nobody"]),
        "member entity 'nobody', which does not exist",
    ),
    "group its own member": (_group_member_of_itself, "has a cycle"),
    "token policies null": (
        _ordinary_token("policies", None),
        "field 'policies' must be a list of strings, not null",
    ),
    "token issued_at text": (
        _ordinary_token("issued_at", "now"),
        "field 'issued_at' must be a number, not str",
    ),
    "token ttl bool": (
        _ordinary_token("ttl", True),
        "field 'ttl' must be an integer, not bool",
    ),
    "userpass digest int": (
        _set("userpass.users.userpass/.0.digest", 5),
        "field 'digest' must be a string, not int",
    ),
    "userpass token settings": (
        _set("userpass.users.userpass/.0.token.token_policies", "a"),
        "field 'token': field 'token_policies' must be a list of strings",
    ),
    "policy version text": (
        _set("policies.policies.0.version", "1"),
        "field 'version' must be an integer, not str",
    ),
    "oidc key period": (
        _set("oidc.keys.0.rotation_period", None),
        "field 'rotation_period' must be an integer, not null",
    ),
    "random seed text": (_set("random.seed", "x"), "random"),
    "entities not a list": (_set("entities.entities", {}), "must be a list"),
}


def damaged(snapshot: Snapshot, case: str) -> Snapshot:
    """A deep copy of ``snapshot`` with the corruption of ``case``."""
    data = copy.deepcopy(snapshot)
    DAMAGED[case][0](data)
    return data
