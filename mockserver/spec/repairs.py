"""Read the repair files and apply them.

Published fragments are never edited. What is wrong with them is fixed by small
files beside them (see ``spec/README.md``):

``spec/repairs/<family>/<operationId>.json``
    a JSON Patch (RFC 6902) array applied to that one fragment (``project`` for a
    fragment of ``spec/project``); every op carries a
    ``"why"`` string saying what the real server does (extra members are allowed by
    RFC 6902 and ignored when patching);
``spec/repairs/components/<Name>.json``
    ``{"why": ..., "schema": {...}}``: the schema ``#/components/schemas/<Name>``
    that fragments reference but never define, written from what the server sends;
``spec/repairs/document.json``
    a JSON Patch array applied to the merged document (security scheme, servers,
    info);
``spec/repairs/every-operation.json``
    JSON Patch ops applied to every operation object of the merged document, for
    what the server answers whatever the operation (a path with a character that
    is not printable answers 400). Each op's ``path`` is relative to the
    operation; ``"where"`` (a pointer that must exist in the operation) and
    ``"unless"`` (a pointer that must not) choose the operations it applies to,
    so that an op never overwrites what a fragment or its repair documents.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockserver.spec.errors import RepairError
from mockserver.spec.layout import (
    COMPONENTS,
    DOCUMENT_REPAIR,
    EVERY_OPERATION_REPAIR,
    FAMILIES,
    HTTP_METHODS,
    REPAIRS,
    Fragment,
    read_json,
)
from mockserver.spec.pointer import apply_patch, exists

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Component:
    """A schema we supply under ``#/components/schemas/<name>``."""

    name: str
    file: Path
    why: str
    schema: dict[str, Any]


@dataclass
class Repairs:
    """Every repair file of a repository, read and checked."""

    patches: dict[Path, list[dict[str, Any]]] = field(default_factory=dict)
    components: dict[str, Component] = field(default_factory=dict)
    document: list[dict[str, Any]] = field(default_factory=list)
    every_operation: list[dict[str, Any]] = field(default_factory=list)

    def patch(self, fragment: Fragment) -> dict[str, Any]:
        """The fragment's document with its patch applied (a copy if it has none)."""
        ops = self.patches.get(fragment.repair_file)
        if ops is None:
            return copy.deepcopy(fragment.doc)
        result = apply_patch(fragment.doc, ops, source=str(fragment.repair_file))
        if not isinstance(result, dict):
            raise RepairError(
                f"{fragment.repair_file}: turns the fragment into a JSON "
                f"{type(result).__name__}; a repair must leave an OpenAPI document"
            )
        return result

    def document_settings(self, base: dict[str, Any]) -> dict[str, Any]:
        """Apply the document repair to a copy of ``base``, a merged document."""
        result = apply_patch(base, self.document, source=str(DOCUMENT_REPAIR))
        if not isinstance(result, dict):
            raise RepairError(
                f"{DOCUMENT_REPAIR}: must leave an OpenAPI document object"
            )
        return result

    def every_operation_settings(self, base: dict[str, Any]) -> dict[str, Any]:
        """Apply the every-operation repair to each operation of a copy of ``base``.

        An op applies to an operation where its ``where`` pointer (if any) exists
        and its ``unless`` pointer (if any) does not, both read in the operation
        as the earlier ops left it; its ``path`` is relative to the operation.
        """
        result = copy.deepcopy(base)
        for path, item in result.get("paths", {}).items():
            for method in [m for m in item if m in HTTP_METHODS]:
                operation = item[method]
                for index, op in enumerate(self.every_operation):
                    where, unless = op.get("where"), op.get("unless")
                    if where is not None and not exists(operation, where):
                        continue
                    if unless is not None and exists(operation, unless):
                        continue
                    operation = apply_patch(
                        operation,
                        [op],
                        source=f"{EVERY_OPERATION_REPAIR} op #{index} on "
                        f"{method.upper()} {path}",
                    )
                item[method] = operation
        return result

    def every_operation_statuses(self) -> frozenset[str]:
        """The statuses the every-operation repair adds under ``/responses``."""
        return frozenset(
            path.split("/")[2]
            for op in self.every_operation
            if op.get("op") == "add"
            and isinstance(path := op.get("path"), str)
            and path.startswith("/responses/")
            and path.count("/") == 2
        )


def check_every_operation_ops(ops: Any, source: Path) -> list[dict[str, Any]]:
    """:func:`check_ops`, and each op's ``where``/``unless`` is a JSON pointer."""
    checked = check_ops(ops, source)
    for index, op in enumerate(checked):
        for key in ("where", "unless"):
            value = op.get(key)
            if value is not None and (
                not isinstance(value, str) or not value.startswith("/")
            ):
                raise RepairError(
                    f"{source} op #{index}: {key!r} must be a JSON pointer into the "
                    f"operation (starting with '/'), got {value!r}"
                )
    return checked


def check_ops(ops: Any, source: Path) -> list[dict[str, Any]]:
    """Check that ``ops`` is a list of patch ops, each with a non-empty ``why``."""
    if not isinstance(ops, list):
        raise RepairError(
            f"{source}: must hold a JSON array of JSON Patch operations, got a JSON "
            f"{type(ops).__name__}; see spec/README.md for the format"
        )
    for index, op in enumerate(ops):
        if not isinstance(op, dict):
            raise RepairError(f"{source} op #{index}: must be a JSON object")
        why = op.get("why")
        if not isinstance(why, str) or not why.strip():
            raise RepairError(
                f"{source} op #{index} ({op.get('op')} {op.get('path')}): has no 'why'; "
                "every repair op says what the real server does, so that a reviewer "
                "can check it"
            )
    return ops


def _load_component(root: Path, relative: Path) -> Component:
    data = read_json(root, relative)
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("why"), str)
        or not isinstance(data.get("schema"), dict)
    ):
        raise RepairError(
            f'{relative}: must be {{"why": "...", "schema": {{...}}}}; the file '
            "name is the schema name"
        )
    return Component(relative.stem, relative, data["why"], data["schema"])


def load_repairs(root: Path) -> Repairs:
    """Read every repair file below ``root/spec/repairs``."""
    repairs = Repairs()
    for family in (*FAMILIES, "project"):
        for file in sorted((root / REPAIRS / family).glob("*.json")):
            relative = Path(file.relative_to(root).as_posix())
            repairs.patches[relative] = check_ops(read_json(root, relative), relative)
    for file in sorted((root / COMPONENTS).glob("*.json")):
        component = _load_component(root, Path(file.relative_to(root).as_posix()))
        repairs.components[component.name] = component
    if (root / DOCUMENT_REPAIR).exists():
        repairs.document = check_ops(read_json(root, DOCUMENT_REPAIR), DOCUMENT_REPAIR)
    if (root / EVERY_OPERATION_REPAIR).exists():
        repairs.every_operation = check_every_operation_ops(
            read_json(root, EVERY_OPERATION_REPAIR), EVERY_OPERATION_REPAIR
        )
    logger.debug(
        "loaded %d patches, %d component schemas, %d document ops, "
        "%d every-operation ops",
        len(repairs.patches),
        len(repairs.components),
        len(repairs.document),
        len(repairs.every_operation),
    )
    return repairs


def orphan_patches(repairs: Repairs, fragments: list[Fragment]) -> list[Path]:
    """Patch files whose fragment does not exist (its operation left the edition)."""
    known = {f.repair_file for f in fragments}
    return sorted(p for p in repairs.patches if p not in known)
