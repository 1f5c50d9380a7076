"""Tests of mockserver.spec.pointer: JSON Pointer and JSON Patch."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.spec.errors import RepairError
from mockserver.spec.pointer import (
    apply_patch,
    escape,
    exists,
    join,
    resolve,
    split,
    walk,
)

DOC: dict[str, Any] = {
    "paths": {"/identity/entity/id/{id}": {"get": {"responses": {"200": {}}}}},
    "list": [1, 2, 3],
    "a~b": {"c/d": True},
}


def test_escape_and_split_are_inverse() -> None:
    pointer = join("paths", "/identity/entity", "a~b", 0)
    assert pointer == "/paths/~1identity~1entity/a~0b/0"
    assert split(pointer) == ["paths", "/identity/entity", "a~b", "0"]
    assert escape("~/") == "~0~1"
    assert split("") == []
    with pytest.raises(ValueError, match="must be empty or start with '/'"):
        split("paths")


def test_resolve_and_exists() -> None:
    assert resolve(DOC, "/paths/~1identity~1entity~1id~1{id}/get/responses/200") == {}
    assert resolve(DOC, "/list/2") == 3
    assert resolve(DOC, "/a~0b/c~1d") is True
    assert resolve(DOC, "") is DOC
    assert not exists(DOC, "/list/3")
    assert not exists(DOC, "/list/01")
    assert not exists(DOC, "/list/-")
    assert not exists(DOC, "/nope")
    assert not exists(DOC, "/list/0/deeper")


def test_walk_yields_every_pointer() -> None:
    pointers = dict(walk({"a": [{"b": 1}]}))
    assert pointers == {
        "": {"a": [{"b": 1}]},
        "/a": [{"b": 1}],
        "/a/0": {"b": 1},
        "/a/0/b": 1,
    }


def test_rfc6902_operations() -> None:
    doc = {"a": {"b": 1}, "l": [1, 2]}
    ops = [
        {"op": "add", "path": "/a/c", "value": 2, "why": "x"},
        {"op": "add", "path": "/l/-", "value": 3},
        {"op": "add", "path": "/l/0", "value": 0},
        {"op": "replace", "path": "/a/b", "value": 10},
        {"op": "remove", "path": "/l/1"},
        {"op": "copy", "from": "/a", "path": "/copy"},
        {"op": "move", "from": "/a/c", "path": "/moved"},
        {"op": "test", "path": "/moved", "value": 2},
    ]
    result = apply_patch(doc, ops)
    assert result == {
        "a": {"b": 10},
        "l": [0, 2, 3],
        "copy": {"b": 10, "c": 2},
        "moved": 2,
    }
    assert doc == {"a": {"b": 1}, "l": [1, 2]}, "the input is never mutated"


def test_replace_the_whole_document() -> None:
    assert apply_patch({"a": 1}, [{"op": "replace", "path": "", "value": [1]}]) == [1]


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (
            {"op": "remove", "path": "/missing"},
            r"repairs/x\.json op #0: remove '/missing' does not apply",
        ),
        (
            {"op": "replace", "path": "/missing", "value": 1},
            r"replace '/missing' does not apply",
        ),
        (
            {"op": "add", "path": "/missing/deeper", "value": 1},
            r"add '/missing/deeper' does not apply",
        ),
        ({"op": "test", "path": "/a", "value": 2}, r"test failed"),
        ({"op": "add", "path": "/b"}, r"add needs a 'value'"),
        ({"op": "move", "path": "/b"}, r"move needs a string 'from'"),
        (
            {"op": "move", "from": "/a", "path": "/a/x"},
            r"cannot move a value into one of its children",
        ),
        ({"op": "frobnicate", "path": "/a"}, r"needs 'op' \(one of"),
        ({"op": "add", "path": 3, "value": 1}, r"a string 'path'"),
    ],
)
def test_bad_ops_name_the_file_and_op(op: dict[str, Any], message: str) -> None:
    with pytest.raises(RepairError, match=message):
        apply_patch({"a": 1}, [op], source="repairs/x.json")
