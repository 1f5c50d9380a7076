"""JSON Pointers (RFC 6901) and JSON Patch (RFC 6902) over plain JSON values.

Repairs are JSON Patch documents and defects are located by JSON Pointer, so both
live here, small and dependency-free. Values are the ``dict``/``list``/scalar trees
that :func:`json.loads` returns; patching works on a deep copy and never mutates its
input.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator, Sequence
from typing import Any

from mockserver.spec.errors import RepairError

logger = logging.getLogger(__name__)

PATCH_OPS = frozenset({"add", "remove", "replace", "move", "copy", "test"})


def escape(token: str) -> str:
    """Escape one reference token (``~`` and ``/``) for use in a pointer."""
    return token.replace("~", "~0").replace("/", "~1")


def join(*tokens: str | int) -> str:
    """Build a pointer from unescaped reference tokens: ``join("a/b", 0)``."""
    return "".join("/" + escape(str(t)) for t in tokens)


def split(pointer: str) -> list[str]:
    """Split a pointer into unescaped reference tokens.

    Raises :class:`ValueError` when the pointer is not empty and does not start
    with ``/``.
    """
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"JSON pointer {pointer!r} must be empty or start with '/'")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def resolve(doc: Any, pointer: str) -> Any:
    """Return the value at ``pointer``; :class:`KeyError` when it does not exist."""
    node = doc
    for token in split(pointer):
        if isinstance(node, dict):
            if token not in node:
                raise KeyError(pointer)
            node = node[token]
        elif isinstance(node, list):
            index = _index(token, len(node), pointer, allow_end=False)
            node = node[index]
        else:
            raise KeyError(pointer)
    return node


def exists(doc: Any, pointer: str) -> bool:
    """Whether ``pointer`` names a value in ``doc``."""
    try:
        resolve(doc, pointer)
    except KeyError:
        return False
    return True


def walk(node: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    """Yield ``(pointer, value)`` for ``node`` and every value below it, depth first."""
    yield pointer, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, pointer + "/" + escape(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{pointer}/{index}")


def _index(token: str, length: int, pointer: str, *, allow_end: bool) -> int:
    if allow_end and token == "-":
        return length
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise KeyError(pointer)
    index = int(token)
    if index > length or (index == length and not allow_end):
        raise KeyError(pointer)
    return index


def _parent(doc: Any, pointer: str) -> tuple[Any, str]:
    tokens = split(pointer)
    if not tokens:
        raise KeyError(pointer)
    parent = resolve(doc, join(*tokens[:-1]))
    return parent, tokens[-1]


def _add(doc: Any, pointer: str, value: Any) -> Any:
    if pointer == "":
        return value
    parent, token = _parent(doc, pointer)
    if isinstance(parent, dict):
        parent[token] = value
    elif isinstance(parent, list):
        parent.insert(_index(token, len(parent), pointer, allow_end=True), value)
    else:
        raise KeyError(pointer)
    return doc


def _remove(doc: Any, pointer: str) -> Any:
    parent, token = _parent(doc, pointer)
    if isinstance(parent, dict):
        if token not in parent:
            raise KeyError(pointer)
        return parent.pop(token)
    if isinstance(parent, list):
        return parent.pop(_index(token, len(parent), pointer, allow_end=False))
    raise KeyError(pointer)


def apply_patch(doc: Any, ops: Sequence[dict[str, Any]], *, source: str = "") -> Any:
    """Apply RFC 6902 operations to a copy of ``doc`` and return the copy.

    Each op is a dict with ``op``, ``path`` and, by op, ``value`` or ``from``;
    other members (our ``why``) are ignored. ``source`` names the repair file in
    error messages. Raises :class:`RepairError` naming the file, the op's index and
    its path when an op is malformed or does not apply.
    """
    result = copy.deepcopy(doc)
    for index, op in enumerate(ops):
        where = f"{source or 'patch'} op #{index}"
        kind = op.get("op")
        path = op.get("path")
        if kind not in PATCH_OPS or not isinstance(path, str):
            raise RepairError(
                f"{where}: needs 'op' (one of {sorted(PATCH_OPS)}) and a string "
                f"'path', got op={kind!r} path={path!r}; fix the repair file"
            )
        try:
            result = _apply_one(result, kind, path, op)
        except (KeyError, ValueError) as exc:
            raise RepairError(
                f"{where}: {kind} {path!r} does not apply ({exc.__class__.__name__}: "
                f"{exc}); the fragment probably changed since the repair was "
                "written: re-run 'vaultmock spec lint' and update the repair"
            ) from exc
    logger.debug("applied %d patch ops from %s", len(ops), source or "patch")
    return result


def _apply_one(doc: Any, kind: str, path: str, op: dict[str, Any]) -> Any:
    if kind in ("add", "replace", "test") and "value" not in op:
        raise ValueError(f"{kind} needs a 'value'")
    if kind == "add":
        return _add(doc, path, copy.deepcopy(op["value"]))
    if kind == "remove":
        _remove(doc, path)
        return doc
    if kind == "replace":
        resolve(doc, path)
        if path == "":
            return copy.deepcopy(op["value"])
        _remove(doc, path)
        return _add(doc, path, copy.deepcopy(op["value"]))
    if kind == "test":
        if resolve(doc, path) != op["value"]:
            raise ValueError(f"test failed: value at {path!r} differs")
        return doc
    source = op.get("from")
    if not isinstance(source, str):
        raise ValueError(f"{kind} needs a string 'from'")
    if kind == "move":
        if path.startswith(source + "/"):
            raise ValueError("cannot move a value into one of its children")
        value = _remove(doc, source)
        return _add(doc, path, value)
    return _add(doc, path, copy.deepcopy(resolve(doc, source)))
