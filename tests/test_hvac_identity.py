"""hvac's ``Identity`` client, and the auth calls a client makes around it, against
the mock and against a real ``bao server -dev``.

Every test runs twice: ``[mock]`` on an in-process mock server and ``[real]`` on a
real OpenBao dev server started for the session (``tests/realserver.py``). Both
must pass: what the mock answers is what the real server answers. Where the mock
deliberately differs (a ``500`` of the real server answered ``400``), the test
says so through :func:`refused`.

The OIDC methods of ``Identity`` (named keys, roles, signed tokens) belong to the
OIDC family and are tested there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import hvac
import pytest
from hvac import exceptions
from realserver import RealServer, wipe


@dataclass
class Target:
    """A server the suite runs against, and how to empty it between tests."""

    name: str
    url: str
    root_token: str
    clear: Callable[[], None]
    errors: list[BaseException] = field(default_factory=list)

    @property
    def is_mock(self) -> bool:
        return self.name == "mock"


@contextmanager
def connect(url: str, token: str) -> Iterator[hvac.Client]:
    """An hvac client whose connections are closed afterwards."""
    client = hvac.Client(url=url, token=token)
    try:
        yield client
    finally:
        client.adapter.close()


@pytest.fixture(params=["mock", "real"])
def target(request: pytest.FixtureRequest) -> Target:
    # Each server is started once per session (per xdist worker), whatever order
    # the tests run in; the target only picks one.
    if request.param == "real":
        server: RealServer = request.getfixturevalue("real_server")
        return Target("real", server.url, server.root_token, lambda: wipe(server.url))
    mock, errors = request.getfixturevalue("mock_server")
    errors.clear()
    return Target("mock", mock.url, mock.root_token, mock.store.reset, errors)


@pytest.fixture
def client(target: Target) -> Iterator[hvac.Client]:
    target.clear()
    with connect(target.url, target.root_token) as client:
        yield client
    # Nothing may escape as an unexpected error (a 500 of the mock's own making).
    assert target.errors == []


@pytest.fixture
def identity(client: hvac.Client) -> Any:
    return client.secrets.identity


def refused(
    target: Target,
    call: Callable[[], object],
    *,
    mock: type[exceptions.VaultError],
    real: type[exceptions.VaultError] | None = None,
    match: str | None = None,
) -> exceptions.VaultError:
    """Assert ``call`` fails with ``mock`` on the mock and ``real`` on the server.

    ``real`` defaults to ``mock``; they differ only where the mock answers 400
    for what the real server answers 500.
    """
    expected = mock if target.is_mock else (real or mock)
    with pytest.raises(expected, match=match) as caught:
        call()
    return caught.value


def accessor(client: hvac.Client, path: str, kind: str | None = None) -> str:
    """Enable an auth method at ``path`` and return its mount accessor."""
    client.sys.enable_auth_method(kind or path, path=path)
    return str(client.sys.list_auth_methods()["data"][f"{path}/"]["accessor"])


def raw(client: hvac.Client, method: str, path: str, body: object = None) -> Any:
    """A request hvac has no method for (or would check on the client side)."""
    return client.adapter.request(method, f"/v1/{path}", json=body)


# -- entities -------------------------------------------------------------------


def test_create_or_update_entity(identity: Any) -> None:
    made = identity.create_or_update_entity(
        name="alice", metadata={"team": "a"}, policies=["p2", "p1"]
    )
    assert made["data"]["name"] == "alice"
    assert made["data"]["aliases"] is None
    again = identity.create_or_update_entity(name="alice", policies=["p3"])
    assert again.status_code == 204
    read = identity.read_entity(made["data"]["id"])["data"]
    assert read["policies"] == ["p3"]
    assert read["metadata"] == {"team": "a"}
    assert read["direct_group_ids"] == []


def test_create_or_update_entity_by_name(identity: Any) -> None:
    made = identity.create_or_update_entity_by_name(name="bob", policies=["a"])
    assert made["data"]["name"] == "bob"
    assert (
        identity.create_or_update_entity_by_name("bob", disabled=True).status_code
        == 204
    )
    assert identity.read_entity_by_name("bob")["data"]["disabled"] is True


def test_read_entity_misses(identity: Any, target: Target) -> None:
    refused(target, lambda: identity.read_entity("nope"), mock=exceptions.InvalidPath)
    refused(
        target,
        lambda: identity.read_entity_by_name("nope"),
        mock=exceptions.InvalidPath,
    )


def test_update_entity(identity: Any, target: Target) -> None:
    made = identity.create_or_update_entity(name="carol")["data"]
    assert identity.update_entity(made["id"], name="caroline").status_code == 204
    assert identity.read_entity(made["id"])["data"]["name"] == "caroline"
    refused(
        target,
        lambda: identity.update_entity("nope", name="x"),
        mock=exceptions.InvalidRequest,
        match="entity not found from id",
    )


def test_delete_entity(identity: Any, target: Target) -> None:
    one = identity.create_or_update_entity(name="one")["data"]
    identity.create_or_update_entity(name="two")
    assert identity.delete_entity(one["id"]).status_code == 204
    assert identity.delete_entity(one["id"]).status_code == 204
    assert identity.delete_entity_by_name("two").status_code == 204
    assert identity.delete_entity_by_name("two").status_code == 204
    refused(target, identity.list_entities, mock=exceptions.InvalidPath)


def test_list_entities(identity: Any, target: Target) -> None:
    refused(target, identity.list_entities, mock=exceptions.InvalidPath)
    refused(target, identity.list_entities_by_name, mock=exceptions.InvalidPath)
    made = identity.create_or_update_entity(name="dave")["data"]
    identity.create_or_update_entity(name="erin")
    by_verb = identity.list_entities()["data"]
    assert made["id"] in by_verb["keys"]
    assert by_verb["key_info"][made["id"]] == {"name": "dave"}
    assert identity.list_entities(method="GET")["data"]["keys"] == by_verb["keys"]
    names = identity.list_entities_by_name()["data"]["keys"]
    assert sorted(names) == ["dave", "erin"]


def test_merge_entities(client: hvac.Client, identity: Any, target: Target) -> None:
    userpass = accessor(client, "userpass")
    source = identity.create_or_update_entity(name="src")["data"]["id"]
    dest = identity.create_or_update_entity(name="dst")["data"]["id"]
    alias = identity.create_or_update_entity_alias("src-login", source, userpass)
    group = identity.create_or_update_group("team", member_entity_ids=[source])
    assert identity.merge_entities([source], dest).status_code == 204
    refused(target, lambda: identity.read_entity(source), mock=exceptions.InvalidPath)
    merged = identity.read_entity(dest)["data"]
    assert [a["id"] for a in merged["aliases"]] == [alias["data"]["id"]]
    assert merged["merged_entity_ids"] == [source]
    members = identity.read_group(group["data"]["id"])["data"]["member_entity_ids"]
    assert members == [dest]
    refused(
        target,
        lambda: identity.merge_entities(["nope"], dest),
        mock=exceptions.InvalidRequest,
        match="entity id to merge from is invalid",
    )
    refused(
        target,
        lambda: identity.merge_entities([dest], "nope"),
        mock=exceptions.InvalidRequest,
        match="entity id to merge to is invalid",
    )


def test_entity_writes_refuse_bad_input(identity: Any, target: Target) -> None:
    refused(
        target,
        lambda: identity.create_or_update_entity("x", entity_id="nope"),
        mock=exceptions.InvalidRequest,
        match="entity not found from id",
    )
    refused(
        target,
        lambda: identity.create_or_update_entity_by_name("x", disabled="maybe"),
        mock=exceptions.InvalidRequest,
        match='field "disabled"',
    )


# -- entity aliases ---------------------------------------------------------------


def test_entity_alias_lifecycle(
    client: hvac.Client, identity: Any, target: Target
) -> None:
    userpass = accessor(client, "userpass")
    refused(target, identity.list_entity_aliases, mock=exceptions.InvalidPath)
    entity = identity.create_or_update_entity(name="frank")["data"]["id"]
    made = identity.create_or_update_entity_alias("frank", entity, userpass)["data"]
    assert made["canonical_id"] == entity
    read = identity.read_entity_alias(made["id"])["data"]
    assert (read["name"], read["mount_accessor"], read["mount_type"]) == (
        "frank",
        userpass,
        "userpass",
    )
    listed = identity.list_entity_aliases()["data"]
    assert listed["keys"] == [made["id"]]
    assert listed["key_info"][made["id"]]["canonical_id"] == entity
    identity.update_entity_alias(made["id"], "frank2", entity, userpass)
    assert identity.read_entity_alias(made["id"])["data"]["name"] == "frank2"
    assert identity.delete_entity_alias(made["id"]).status_code == 204
    refused(
        target,
        lambda: identity.read_entity_alias(made["id"]),
        mock=exceptions.InvalidPath,
    )


def test_entity_alias_refusals(
    client: hvac.Client, identity: Any, target: Target
) -> None:
    userpass = accessor(client, "userpass")
    entity = identity.create_or_update_entity(name="gina")["data"]["id"]
    refused(
        target,
        lambda: identity.create_or_update_entity_alias("gina", entity, "nope"),
        mock=exceptions.InvalidRequest,
        match="invalid mount accessor",
    )
    refused(
        target,
        lambda: identity.update_entity_alias("nope", "x", entity, userpass),
        mock=exceptions.InvalidRequest,
        match="invalid alias ID provided",
    )


# -- groups -----------------------------------------------------------------------


def test_create_group_with_members(identity: Any) -> None:
    alice = identity.create_or_update_entity(name="alice")["data"]["id"]
    inner = identity.create_or_update_group("inner", member_entity_ids=[alice])
    inner_id = inner["data"]["id"]
    assert inner["data"]["name"] == "inner"
    outer = identity.create_or_update_group(
        "outer",
        metadata={"k": "v"},
        policies=["b", "a", "b"],
        member_group_ids=[inner_id],
    )["data"]["id"]
    read = identity.read_group(outer)["data"]
    assert read["type"] == "internal"
    assert read["policies"] == ["a", "b"]
    assert read["metadata"] == {"k": "v"}
    assert read["member_group_ids"] == [inner_id]
    assert read["parent_group_ids"] is None
    assert read["alias"] == {}
    assert identity.read_group(inner_id)["data"]["parent_group_ids"] == [outer]
    entity = identity.read_entity(alice)["data"]
    assert entity["direct_group_ids"] == [inner_id]
    assert entity["inherited_group_ids"] == [outer]
    assert sorted(entity["group_ids"]) == sorted([inner_id, outer])
    info = identity.list_groups()["data"]["key_info"]
    assert info[inner_id] == {
        "name": "inner",
        "num_member_entities": 1,
        "num_parent_groups": 1,
    }
    assert info[outer]["num_parent_groups"] == 0


def test_create_or_update_group_updates_by_name(identity: Any) -> None:
    made = identity.create_or_update_group("ops", policies=["a"])["data"]
    again = identity.create_or_update_group("OPS", policies=["b"])
    assert again.status_code == 204
    read = identity.read_group(made["id"])["data"]
    assert (read["name"], read["policies"]) == ("OPS", ["b"])


def test_create_or_update_group_by_name(identity: Any) -> None:
    made = identity.create_or_update_group_by_name("qa", policies=["a"])
    assert made["data"]["name"] == "qa"
    assert (
        identity.create_or_update_group_by_name("qa", policies=["c"]).status_code == 204
    )
    assert identity.read_group_by_name("qa")["data"]["policies"] == ["c"]


def test_create_or_update_group_by_name_keeps_the_type(
    identity: Any, target: Target
) -> None:
    identity.create_or_update_group_by_name("qa")
    refused(
        target,
        lambda: identity.create_or_update_group_by_name("qa", group_type="external"),
        mock=exceptions.InvalidRequest,
        match="group type cannot be changed",
    )


def test_group_type_cannot_change(
    client: hvac.Client, identity: Any, target: Target
) -> None:
    made = identity.create_or_update_group("ext", group_type="external")["data"]
    assert identity.read_group(made["id"])["data"]["type"] == "external"
    refused(
        target,
        lambda: identity.update_group(made["id"], "ext", group_type="internal"),
        mock=exceptions.InvalidRequest,
        match="group type cannot be changed",
    )
    refused(
        target,
        lambda: raw(client, "POST", "identity/group", {"name": "x", "type": "odd"}),
        mock=exceptions.InvalidRequest,
        match='invalid group type "odd"',
    )


def test_external_group_takes_no_members(
    client: hvac.Client, identity: Any, target: Target
) -> None:
    entity = identity.create_or_update_entity(name="henry")["data"]["id"]
    body = {"name": "ext", "type": "external", "member_entity_ids": [entity]}
    refused(
        target,
        lambda: raw(client, "POST", "identity/group", body),
        mock=exceptions.InvalidRequest,
        match="member entities can't be set manually for external groups",
    )
    body = {"name": "ext", "type": "external", "member_group_ids": [entity]}
    refused(
        target,
        lambda: raw(client, "POST", "identity/group", body),
        mock=exceptions.InvalidRequest,
        match="member groups can't be set for external groups",
    )


def test_group_cycles_are_refused(identity: Any, target: Target) -> None:
    child = identity.create_or_update_group("child")["data"]["id"]
    parent = identity.create_or_update_group("parent", member_group_ids=[child])
    parent_id = parent["data"]["id"]
    refused(
        target,
        lambda: identity.update_group(child, "child", member_group_ids=[parent_id]),
        mock=exceptions.InvalidRequest,
        match="cyclic relationship detected for member group ID",
    )
    # The real server answers these 500; the mock answers the 400 it should.
    refused(
        target,
        lambda: identity.update_group(child, "child", member_group_ids=[child]),
        mock=exceptions.InvalidRequest,
        real=exceptions.InternalServerError,
        match="is same as the ID of the group",
    )


def test_unknown_member_ids(identity: Any, target: Target) -> None:
    refused(
        target,
        lambda: identity.create_or_update_group("g", member_entity_ids=["nope"]),
        mock=exceptions.InvalidRequest,
        real=exceptions.InternalServerError,
        match='invalid entity ID "nope"',
    )
    refused(
        target,
        lambda: identity.create_or_update_group("g", member_group_ids=["nope"]),
        mock=exceptions.InvalidRequest,
        real=exceptions.InternalServerError,
        match='invalid member group ID "nope"',
    )
    refused(target, identity.list_groups, mock=exceptions.InvalidPath)


def test_update_group(identity: Any, target: Target) -> None:
    made = identity.create_or_update_group("devs")["data"]["id"]
    entity = identity.create_or_update_entity(name="ivy")["data"]["id"]
    answer = identity.update_group(
        made, "developers", policies=["dev"], member_entity_ids=[entity]
    )
    assert answer.status_code == 204
    read = identity.read_group_by_name("developers")["data"]
    assert (read["id"], read["policies"], read["member_entity_ids"]) == (
        made,
        ["dev"],
        [entity],
    )
    refused(
        target,
        lambda: identity.update_group("nope", "x"),
        mock=exceptions.InvalidRequest,
        match="invalid group ID",
    )
    other = identity.create_or_update_group("other")["data"]["id"]
    refused(
        target,
        lambda: identity.update_group(other, "developers"),
        mock=exceptions.InvalidRequest,
        match="group name is already in use",
    )


def test_read_group_misses(identity: Any, target: Target) -> None:
    refused(target, lambda: identity.read_group("nope"), mock=exceptions.InvalidPath)
    refused(
        target, lambda: identity.read_group_by_name("nope"), mock=exceptions.InvalidPath
    )


def test_delete_group(identity: Any, target: Target) -> None:
    child = identity.create_or_update_group("child")["data"]["id"]
    parent = identity.create_or_update_group("parent", member_group_ids=[child])
    assert identity.delete_group(child).status_code == 204
    assert identity.delete_group(child).status_code == 204
    read = identity.read_group(parent["data"]["id"])["data"]
    assert read["member_group_ids"] is None
    assert identity.delete_group_by_name("parent").status_code == 204
    assert identity.delete_group_by_name("parent").status_code == 204
    refused(target, identity.list_groups, mock=exceptions.InvalidPath)


def test_deleting_an_entity_leaves_its_groups(identity: Any) -> None:
    one = identity.create_or_update_entity(name="one")["data"]["id"]
    two = identity.create_or_update_entity(name="two")["data"]["id"]
    group = identity.create_or_update_group("g", member_entity_ids=[one, two])
    identity.delete_entity(one)
    read = identity.read_group(group["data"]["id"])["data"]
    assert read["member_entity_ids"] == [two]


def test_list_groups(identity: Any, target: Target) -> None:
    refused(target, identity.list_groups, mock=exceptions.InvalidPath)
    refused(target, identity.list_groups_by_name, mock=exceptions.InvalidPath)
    ids = [identity.create_or_update_group(n)["data"]["id"] for n in ("b", "a", "c")]
    listed = identity.list_groups()["data"]
    assert listed["keys"] == sorted(ids)
    assert identity.list_groups(method="GET")["data"]["keys"] == sorted(ids)
    by_name = identity.list_groups_by_name()["data"]["keys"]
    # Names come in the order of the groups' ids, not sorted by name.
    names = {i: n for i, n in zip(ids, ("b", "a", "c"), strict=True)}
    assert by_name == [names[i] for i in sorted(ids)]


@pytest.mark.parametrize("how", ["update_group", "create_or_update_group"])
def test_hvac_update_without_member_ids_clears_them(
    identity: Any, target: Target, how: str
) -> None:
    # hvac sends member_entity_ids: null, which both servers read as "none".
    entity = identity.create_or_update_entity(name="jo")["data"]["id"]
    made = identity.create_or_update_group("g", member_entity_ids=[entity])["data"]
    if how == "update_group":
        identity.update_group(made["id"], "g", policies=["p"])
    else:
        identity.create_or_update_group("g", policies=["p"])
    assert identity.read_group(made["id"])["data"]["member_entity_ids"] == []


# -- group aliases ----------------------------------------------------------------


def test_group_alias_lifecycle(
    client: hvac.Client, identity: Any, target: Target
) -> None:
    userpass = accessor(client, "userpass")
    refused(target, identity.list_group_aliases, mock=exceptions.InvalidPath)
    group = identity.create_or_update_group("ext", group_type="external")["data"]["id"]
    made = identity.create_or_update_group_alias(
        "engineers", mount_accessor=userpass, canonical_id=group
    )["data"]
    assert made["canonical_id"] == group
    read = identity.read_group_alias(made["id"])["data"]
    assert (read["name"], read["mount_accessor"], read["mount_path"]) == (
        "engineers",
        userpass,
        "auth/userpass/",
    )
    embedded = identity.read_group(group)["data"]["alias"]
    assert (embedded["id"], embedded["name"]) == (made["id"], "engineers")
    info = identity.list_groups()["data"]["key_info"][group]["alias"]
    assert info["id"] == made["id"]
    listed = identity.list_group_aliases()["data"]
    assert listed["keys"] == [made["id"]]
    assert listed["key_info"][made["id"]]["canonical_id"] == group
    renamed = identity.update_group_alias(
        made["id"], "eng", mount_accessor=userpass, canonical_id=group
    )
    assert renamed["data"] == {"canonical_id": group, "id": made["id"]}
    unchanged = identity.update_group_alias(made["id"], "eng", mount_accessor=userpass)
    assert unchanged.status_code == 204
    assert identity.delete_group_alias(made["id"]).status_code == 204
    assert identity.delete_group_alias(made["id"]).status_code == 204
    assert identity.read_group(group)["data"]["alias"] == {}
    refused(
        target,
        lambda: identity.read_group_alias(made["id"]),
        mock=exceptions.InvalidPath,
    )


def test_group_alias_refusals(
    client: hvac.Client, identity: Any, target: Target
) -> None:
    userpass = accessor(client, "userpass")
    internal = identity.create_or_update_group("int")["data"]["id"]
    external = identity.create_or_update_group("ext", group_type="external")
    external_id = external["data"]["id"]
    cases: list[tuple[dict[str, str], str]] = [
        ({"mount_accessor": userpass, "canonical_id": internal}, "internal group"),
        ({"mount_accessor": "nope", "canonical_id": external_id}, "invalid mount"),
        ({"canonical_id": external_id}, "missing mount_accessor"),
        ({"mount_accessor": userpass, "canonical_id": "nope"}, "invalid group ID"),
    ]
    for fields, match in cases:
        refused(
            target,
            lambda fields=fields: identity.create_or_update_group_alias("a", **fields),
            mock=exceptions.InvalidRequest,
            match=match,
        )
    refused(
        target,
        lambda: raw(
            client, "POST", "identity/group-alias", {"mount_accessor": userpass}
        ),
        mock=exceptions.InvalidRequest,
        match="missing alias name",
    )
    identity.create_or_update_group_alias(
        "taken", mount_accessor=userpass, canonical_id=external_id
    )
    other = identity.create_or_update_group("ext2", group_type="external")
    refused(
        target,
        lambda: identity.create_or_update_group_alias(
            "taken", mount_accessor=userpass, canonical_id=other["data"]["id"]
        ),
        mock=exceptions.InvalidRequest,
        match="combination of mount and group alias name is already in use",
    )
    refused(
        target,
        lambda: identity.update_group_alias("nope", "x", mount_accessor=userpass),
        mock=exceptions.InvalidRequest,
        match="invalid group alias ID",
    )


def test_group_alias_without_group_makes_one(
    client: hvac.Client, identity: Any
) -> None:
    userpass = accessor(client, "userpass")
    made = identity.create_or_update_group_alias("team", mount_accessor=userpass)
    group = identity.read_group(made["data"]["canonical_id"])["data"]
    assert group["type"] == "external"
    assert group["alias"]["name"] == "team"
    assert group["name"].startswith("group_")


def test_a_second_alias_replaces_the_first(client: hvac.Client, identity: Any) -> None:
    userpass = accessor(client, "userpass")
    approle = accessor(client, "approle")
    group = identity.create_or_update_group("ext", group_type="external")["data"]["id"]
    first = identity.create_or_update_group_alias(
        "one", mount_accessor=userpass, canonical_id=group
    )["data"]["id"]
    second = identity.create_or_update_group_alias(
        "two", mount_accessor=approle, canonical_id=group
    )["data"]["id"]
    assert identity.read_group(group)["data"]["alias"]["id"] == second
    assert identity.list_group_aliases()["data"]["keys"] == [second]
    assert first != second


def test_deleting_an_external_group_deletes_its_alias(
    client: hvac.Client, identity: Any, target: Target
) -> None:
    userpass = accessor(client, "userpass")
    group = identity.create_or_update_group("ext", group_type="external")["data"]["id"]
    identity.create_or_update_group_alias(
        "a", mount_accessor=userpass, canonical_id=group
    )
    identity.delete_group(group)
    refused(target, identity.list_group_aliases, mock=exceptions.InvalidPath)


def test_lists_by_get(client: hvac.Client, identity: Any) -> None:
    userpass = accessor(client, "userpass")
    entity = identity.create_or_update_entity(name="lee")["data"]["id"]
    identity.create_or_update_entity_alias("lee", entity, userpass)
    group = identity.create_or_update_group("ext", group_type="external")["data"]["id"]
    identity.create_or_update_group_alias(
        "ext", mount_accessor=userpass, canonical_id=group
    )
    for method in (
        identity.list_entities_by_name,
        identity.list_entity_aliases,
        identity.list_groups_by_name,
        identity.list_group_aliases,
    ):
        assert method(method="GET")["data"] == method()["data"]
    with pytest.raises(exceptions.ParamValidationError):
        identity.list_groups(method="POST")


def test_validate_member_id_params_for_group_type() -> None:
    params: dict[str, Any] = {}
    hvac.api.secrets_engines.Identity.validate_member_id_params_for_group_type(
        "external", params, ["g"], ["e"]
    )
    assert params == {}
    hvac.api.secrets_engines.Identity.validate_member_id_params_for_group_type(
        "internal", params, ["g"], ["e"]
    )
    assert params == {"member_group_ids": ["g"], "member_entity_ids": ["e"]}


IDENTITY_CALLS: dict[str, Callable[[Any], object]] = {
    "create_or_update_entity": lambda i: i.create_or_update_entity("x"),
    "create_or_update_entity_alias": lambda i: i.create_or_update_entity_alias(
        "x", "e", "m"
    ),
    "create_or_update_entity_by_name": lambda i: i.create_or_update_entity_by_name("x"),
    "create_or_update_group": lambda i: i.create_or_update_group("x"),
    "create_or_update_group_alias": lambda i: i.create_or_update_group_alias("x"),
    "create_or_update_group_by_name": lambda i: i.create_or_update_group_by_name("x"),
    "delete_entity": lambda i: i.delete_entity("x"),
    "delete_entity_alias": lambda i: i.delete_entity_alias("x"),
    "delete_entity_by_name": lambda i: i.delete_entity_by_name("x"),
    "delete_group": lambda i: i.delete_group("x"),
    "delete_group_alias": lambda i: i.delete_group_alias("x"),
    "delete_group_by_name": lambda i: i.delete_group_by_name("x"),
    "list_entities": lambda i: i.list_entities(),
    "list_entities_by_name": lambda i: i.list_entities_by_name(),
    "list_entity_aliases": lambda i: i.list_entity_aliases(),
    "list_group_aliases": lambda i: i.list_group_aliases(),
    "list_groups": lambda i: i.list_groups(),
    "list_groups_by_name": lambda i: i.list_groups_by_name(),
    "lookup_entity": lambda i: i.lookup_entity(name="x"),
    "lookup_group": lambda i: i.lookup_group(name="x"),
    "merge_entities": lambda i: i.merge_entities(["a"], "b"),
    "read_entity": lambda i: i.read_entity("x"),
    "read_entity_alias": lambda i: i.read_entity_alias("x"),
    "read_entity_by_name": lambda i: i.read_entity_by_name("x"),
    "read_group": lambda i: i.read_group("x"),
    "read_group_alias": lambda i: i.read_group_alias("x"),
    "read_group_by_name": lambda i: i.read_group_by_name("x"),
    "update_entity": lambda i: i.update_entity("x"),
    "update_entity_alias": lambda i: i.update_entity_alias("x", "n", "c", "m"),
    "update_group": lambda i: i.update_group("x", "n"),
    "update_group_alias": lambda i: i.update_group_alias("x", "n"),
}


OIDC_METHODS = {
    "configure_tokens_backend",
    "create_named_key",
    "create_or_update_role",
    "delete_named_key",
    "delete_role",
    "generate_signed_id_token",
    "introspect_signed_id_token",
    "list_named_keys",
    "list_roles",
    "read_active_public_keys",
    "read_named_key",
    "read_role",
    "read_tokens_backend_configuration",
    "read_well_known_configurations",
    "rotate_named_key",
}
"""hvac's OIDC token methods, tested with the OIDC family."""


def test_the_suite_knows_every_identity_method() -> None:
    public = {
        name
        for name in dir(hvac.api.secrets_engines.Identity)
        if not name.startswith("_")
        and callable(getattr(hvac.api.secrets_engines.Identity, name))
    }
    extra = {"validate_member_id_params_for_group_type"}
    assert public - OIDC_METHODS - extra == set(IDENTITY_CALLS)


@pytest.mark.parametrize("method", sorted(IDENTITY_CALLS))
def test_every_method_refuses_an_unknown_token(
    client: hvac.Client, target: Target, method: str
) -> None:
    with connect(target.url, "not-a-token") as stranger:
        refused(
            target,
            lambda: IDENTITY_CALLS[method](stranger.secrets.identity),
            mock=exceptions.Forbidden,
            match="permission denied",
        )


# -- lookups ----------------------------------------------------------------------


def test_lookup_entity(client: hvac.Client, identity: Any, target: Target) -> None:
    userpass = accessor(client, "userpass")
    entity = identity.create_or_update_entity(name="kim")["data"]["id"]
    alias = identity.create_or_update_entity_alias("kim", entity, userpass)["data"]
    found = [
        identity.lookup_entity(name="KIM"),
        identity.lookup_entity(entity_id=entity),
        identity.lookup_entity(alias_id=alias["id"]),
        identity.lookup_entity(alias_name="kim", alias_mount_accessor=userpass),
    ]
    assert [f["data"]["id"] for f in found] == [entity] * 4
    misses = [
        identity.lookup_entity(name="nobody"),
        identity.lookup_entity(entity_id="nope"),
        identity.lookup_entity(alias_id="nope"),
        identity.lookup_entity(alias_name="kim", alias_mount_accessor="nope"),
    ]
    assert [m.status_code for m in misses] == [204] * 4
    refused(
        target,
        identity.lookup_entity,
        mock=exceptions.InvalidRequest,
        match="query parameter not supplied",
    )


def test_lookup_group(client: hvac.Client, identity: Any, target: Target) -> None:
    userpass = accessor(client, "userpass")
    group = identity.create_or_update_group("ext", group_type="external")["data"]["id"]
    alias = identity.create_or_update_group_alias(
        "grp", mount_accessor=userpass, canonical_id=group
    )["data"]
    found = [
        identity.lookup_group(name="EXT"),
        identity.lookup_group(group_id=group),
        identity.lookup_group(alias_id=alias["id"]),
        identity.lookup_group(alias_name="grp", alias_mount_accessor=userpass),
    ]
    assert [f["data"]["id"] for f in found] == [group] * 4
    assert identity.lookup_group(name="nope").status_code == 204
    refused(
        target,
        identity.lookup_group,
        mock=exceptions.InvalidRequest,
        match="query parameter not supplied",
    )


@pytest.mark.parametrize("kind", ["entity", "group"])
def test_lookup_criteria_refusals(
    client: hvac.Client, target: Target, kind: str
) -> None:
    path = f"identity/lookup/{kind}"
    refused(
        target,
        lambda: raw(client, "POST", path, {"name": "a", "id": "b"}),
        mock=exceptions.InvalidRequest,
        match="query parameter conflict",
    )
    refused(
        target,
        lambda: raw(client, "POST", path, {"alias_name": "a"}),
        mock=exceptions.InvalidRequest,
        match="both 'alias_name' and 'alias_mount_accessor' needs to be set",
    )


# -- persona (the legacy surface over entities and entity aliases) ----------------


def test_persona(client: hvac.Client, identity: Any, target: Target) -> None:
    userpass = accessor(client, "userpass")
    made = raw(
        client,
        "POST",
        "identity/persona",
        {"name": "legacy", "mount_accessor": userpass, "metadata": {"a": "b"}},
    )["data"]
    assert made["aliases"] is None
    entity = identity.read_entity(made["id"])["data"]
    assert (entity["name"], entity["metadata"], entity["aliases"]) == (
        "legacy",
        {"a": "b"},
        [],
    )
    again = raw(client, "POST", "identity/persona", {"name": "legacy"})
    assert again.status_code == 204
    raw(client, "POST", f"identity/persona/id/{made['id']}", {"name": "renamed"})
    assert identity.read_entity(made["id"])["data"]["name"] == "renamed"
    refused(
        target,
        lambda: raw(client, "GET", f"identity/persona/id/{made['id']}"),
        mock=exceptions.InvalidPath,
    )
    alias = identity.create_or_update_entity_alias("p", made["id"], userpass)["data"]
    read = raw(client, "GET", f"identity/persona/id/{alias['id']}")["data"]
    assert read["canonical_id"] == made["id"]
    assert raw(client, "LIST", "identity/persona/id")["data"]["keys"] == [alias["id"]]
    raw(client, "DELETE", f"identity/persona/id/{alias['id']}")
    refused(
        target,
        lambda: raw(client, "LIST", "identity/persona/id"),
        mock=exceptions.InvalidPath,
    )
    refused(
        target,
        lambda: raw(
            client, "POST", f"identity/persona/id/{alias['id']}", {"name": "x"}
        ),
        mock=exceptions.InvalidRequest,
        match="entity not found from id",
    )


# -- the auth surface -------------------------------------------------------------


def test_userpass_login_acts_as_an_entity(client: hvac.Client, target: Target) -> None:
    userpass = accessor(client, "userpass")
    client.auth.userpass.create_or_update_user("Alice", "s3cret", policies=["dev"])
    assert client.auth.userpass.list_user()["data"]["keys"] == ["alice"]
    login = client.auth.userpass.login("alice", "s3cret", use_token=False)["auth"]
    assert login["metadata"] == {"username": "alice"}
    assert login["token_policies"] == ["default", "dev"]
    with connect(target.url, login["client_token"]) as user:
        me = user.auth.token.lookup_self()["data"]
    assert me["display_name"] == "userpass-alice"
    assert me["path"] == "auth/userpass/login/alice"
    found = client.secrets.identity.lookup_entity(
        alias_name="alice", alias_mount_accessor=userpass
    )["data"]
    assert me["entity_id"] == found["id"] == login["entity_id"]
    again = client.auth.userpass.login("alice", "s3cret", use_token=False)["auth"]
    assert again["entity_id"] == login["entity_id"]
    refused(
        target,
        lambda: client.auth.userpass.login("alice", "wrong", use_token=False),
        mock=exceptions.InvalidRequest,
        match="invalid username or password",
    )


def test_approle_login_acts_as_an_entity(client: hvac.Client, target: Target) -> None:
    approle = accessor(client, "approle")
    client.auth.approle.create_or_update_approle("web", token_policies=["svc"])
    role_id = client.auth.approle.read_role_id("web")["data"]["role_id"]
    secret = client.auth.approle.generate_secret_id("web", metadata={"env": "ci"})
    login = client.auth.approle.login(
        role_id, secret["data"]["secret_id"], use_token=False
    )["auth"]
    assert login["metadata"] == {"env": "ci", "role_name": "web"}
    with connect(target.url, login["client_token"]) as machine:
        me = machine.auth.token.lookup_self()["data"]
    found = client.secrets.identity.lookup_entity(
        alias_name=role_id, alias_mount_accessor=approle
    )["data"]
    assert me["entity_id"] == found["id"] == login["entity_id"]
    refused(
        target,
        lambda: client.auth.approle.login(role_id, "wrong", use_token=False),
        mock=exceptions.InvalidRequest,
        match="invalid role or secret ID",
    )


def test_token_identity_policies_come_from_groups(client: hvac.Client) -> None:
    accessor(client, "userpass")
    client.auth.userpass.create_or_update_user("bo", "pw")
    entity = client.auth.userpass.login("bo", "pw", use_token=False)["auth"][
        "entity_id"
    ]
    identity = client.secrets.identity
    identity.update_entity(entity, policies=["own"])
    identity.create_or_update_group(
        "grp", policies=["shared"], member_entity_ids=[entity]
    )
    login = client.auth.userpass.login("bo", "pw", use_token=False)["auth"]
    assert login["identity_policies"] == ["own", "shared"]
    assert login["policies"] == ["default", "own", "shared"]


def test_token_create_lookup_revoke(client: hvac.Client, target: Target) -> None:
    made = client.auth.token.create(
        policies=["p1"], ttl="1h", display_name="My App", meta={"k": "v"}
    )
    assert made["warnings"] == ['Policy "p1" does not exist']
    token = made["auth"]["client_token"]
    assert made["auth"]["policies"] == ["default", "p1"]
    assert made["auth"]["lease_duration"] == 3600
    looked = client.auth.token.lookup(token)["data"]
    assert (looked["display_name"], looked["meta"], looked["creation_ttl"]) == (
        "token-My-App",
        {"k": "v"},
        3600,
    )
    assert 3590 <= looked["ttl"] <= 3600
    client.auth.token.revoke(token)
    refused(
        target,
        lambda: client.auth.token.lookup(token),
        mock=exceptions.Forbidden,
        match="bad token",
    )
    refused(
        target,
        lambda: client.auth.token.create(ttl="soon"),
        mock=exceptions.InvalidRequest,
        match='invalid duration "soon"',
    )


def test_tokens_expire(client: hvac.Client, target: Target) -> None:
    token = client.auth.token.create(ttl="1s")["auth"]["client_token"]
    time.sleep(1.2)
    with connect(target.url, token) as expired:
        refused(target, expired.auth.token.lookup_self, mock=exceptions.Forbidden)


def test_token_role_binds_an_entity_alias(client: hvac.Client, target: Target) -> None:
    client.auth.token.create_or_update_role(
        "svc", allowed_entity_aliases=["svc-*"], allowed_policies=["p"]
    )
    made = client.auth.token.create(role_name="svc", entity_alias="svc-web")["auth"]
    assert made["policies"] == ["default", "p"]
    mounts = client.sys.list_auth_methods()["data"]
    found = client.secrets.identity.lookup_entity(
        alias_name="svc-web", alias_mount_accessor=mounts["token/"]["accessor"]
    )["data"]
    assert made["entity_id"] == found["id"]
    refused(
        target,
        lambda: client.auth.token.create(role_name="svc", entity_alias="other"),
        mock=exceptions.InvalidRequest,
        match="invalid 'entity_alias' value",
    )
    refused(
        target,
        lambda: client.auth.token.create(entity_alias="svc-web"),
        mock=exceptions.InvalidRequest,
        match="only allowed in combination with token role",
    )


def test_policies_are_stored(client: hvac.Client, target: Target) -> None:
    rules = 'path "secret/*" {\n  capabilities = ["read"]\n}\n'
    client.sys.create_or_update_policy("Readers", rules)
    assert client.sys.list_policies()["data"]["policies"] == [
        "default",
        "readers",
        "root",
    ]
    assert client.sys.read_policy("readers")["data"]["rules"] == rules
    client.sys.create_or_update_acl_policy("writers", rules)
    assert client.sys.read_acl_policy("writers")["data"]["policy"] == rules
    assert client.sys.list_acl_policies()["data"]["keys"] == [
        "default",
        "readers",
        "writers",
        "root",
    ]
    client.sys.delete_policy("readers")
    client.sys.delete_acl_policy("writers")
    refused(
        target, lambda: client.sys.read_policy("readers"), mock=exceptions.InvalidPath
    )
    refused(
        target,
        lambda: client.sys.delete_policy("root"),
        mock=exceptions.InvalidRequest,
        match='cannot delete "root" policy',
    )
    refused(
        target,
        lambda: client.sys.create_or_update_policy("bad", "path {"),
        mock=exceptions.InvalidRequest,
        match="failed to parse policy",
    )
