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
    info).
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
    FAMILIES,
    REPAIRS,
    Fragment,
    read_json,
)
from mockserver.spec.pointer import apply_patch

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
    logger.debug(
        "loaded %d patches, %d component schemas, %d document ops",
        len(repairs.patches),
        len(repairs.components),
        len(repairs.document),
    )
    return repairs


def orphan_patches(repairs: Repairs, fragments: list[Fragment]) -> list[Path]:
    """Patch files whose fragment does not exist (its operation left the edition)."""
    known = {f.repair_file for f in fragments}
    return sorted(p for p in repairs.patches if p not in known)
