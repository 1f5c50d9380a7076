"""Where the spec pipeline keeps its files, and how fragments are read.

::

    spec/source/identity-api.md                 the published markdown, as received
    spec/fragments/<family>/<operationId>.json  one published fragment per operation
    spec/repairs/<family>/<operationId>.json    JSON Patch ops against that fragment
    spec/repairs/components/<Schema>.json       schemas the fragments lack
    spec/repairs/document.json                  JSON Patch ops against the merged document
    spec/project/<operationId>.json             operations we author (same fragment shape)
    spec/observed/responses.json                what a real server answered, per operation
    mockserver/data/openapi.json                the merged, repaired, validated document

Every path handed out by this module is relative to the repository root (the
directory that holds ``spec/``), in POSIX form, so that messages and lint records
read the same on every machine.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mockserver.spec import pointer
from mockserver.spec.errors import FragmentError

logger = logging.getLogger(__name__)

SOURCE = Path("spec/source/identity-api.md")
FRAGMENTS = Path("spec/fragments")
REPAIRS = Path("spec/repairs")
COMPONENTS = REPAIRS / "components"
DOCUMENT_REPAIR = REPAIRS / "document.json"
EVERY_OPERATION_REPAIR = REPAIRS / "every-operation.json"
PROJECT = Path("spec/project")
OBSERVED = Path("spec/observed/responses.json")
OUTPUT = Path("mockserver/data/openapi.json")
PUBLISHED_OUTPUT = Path("mockserver/data/openapi-published.json")

FAMILIES = ("entities", "groups", "lookup", "mfa", "oidc")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Longest prefix first: "/identity/entity-alias" must not be read as "/identity/entity".
_FAMILY_PREFIXES = (
    ("/identity/entity-alias", "entities"),
    ("/identity/entity", "entities"),
    ("/identity/alias", "entities"),
    ("/identity/persona", "entities"),
    ("/identity/group-alias", "groups"),
    ("/identity/group", "groups"),
    ("/identity/lookup", "lookup"),
    ("/identity/mfa", "mfa"),
    ("/identity/oidc", "oidc"),
)

PATH_PARAM = re.compile(r"\{([^{}]+)\}")


def family_of(path: str) -> str | None:
    """The family a published path belongs to, or ``None`` for an unknown path."""
    for prefix, family in _FAMILY_PREFIXES:
        if path == prefix or path.startswith(prefix + "/"):
            return family
    return None


@dataclass(frozen=True)
class Operation:
    """One operation inside a fragment document."""

    path: str
    method: str
    operation_id: str | None

    @property
    def pointer(self) -> str:
        """JSON Pointer of the operation object inside its document."""
        return pointer.join("paths", self.path, self.method)


def operations(doc: Any) -> Iterator[Operation]:
    """Yield every operation of an OpenAPI document, in document order."""
    paths = doc.get("paths") if isinstance(doc, dict) else None
    if not isinstance(paths, dict):
        return
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        for method, op in item.items():
            if method in HTTP_METHODS:
                op_id = op.get("operationId") if isinstance(op, dict) else None
                yield Operation(path, method, op_id if isinstance(op_id, str) else None)


@dataclass(frozen=True)
class Fragment:
    """A fragment file: one small OpenAPI document for one operation.

    ``file`` is relative to the repository root; ``family`` is the folder the file
    sits in (``project`` for our own fragments).
    """

    file: Path
    family: str
    doc: dict[str, Any]

    @property
    def operation(self) -> Operation:
        """The fragment's single operation (the first, should it hold more)."""
        for op in operations(self.doc):
            return op
        raise FragmentError(
            f"{self.file}: holds no operation under 'paths'; a fragment must describe "
            "exactly one path and method: re-import it or fix the project fragment"
        )

    @property
    def operation_id(self) -> str:
        """The operationId, falling back to the file name when the op lacks one."""
        return self.operation.operation_id or self.file.stem

    @property
    def repair_file(self) -> Path:
        """Where the JSON Patch repair of this fragment lives (it may not exist)."""
        return REPAIRS / self.family / self.file.name


def read_json(root: Path, relative: Path) -> Any:
    """Read a JSON file below ``root``, naming the file and position on failure."""
    try:
        text = (root / relative).read_text(encoding="utf-8")
    except OSError as exc:
        raise FragmentError(
            f"{relative}: cannot be read ({exc.strerror}); check that --root points "
            "at the repository root (the folder holding spec/)"
        ) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FragmentError(
            f"{relative}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); fix "
            "the file or, for a published fragment, re-run 'vaultmock spec import'"
        ) from exc


def _load_dir(root: Path, folder: Path, family: str) -> list[Fragment]:
    fragments = []
    for file in sorted((root / folder).glob("*.json")):
        relative = file.relative_to(root)
        doc = read_json(root, relative)
        if not isinstance(doc, dict):
            raise FragmentError(
                f"{relative}: holds a JSON {type(doc).__name__}, not an OpenAPI "
                "document object; re-import it or fix the project fragment"
            )
        fragments.append(Fragment(Path(relative.as_posix()), family, doc))
    return fragments


def load_fragments(root: Path) -> list[Fragment]:
    """Every published fragment below ``root/spec/fragments``, sorted by file."""
    if not (root / FRAGMENTS).is_dir():
        raise FragmentError(
            f"{root / FRAGMENTS} does not exist; run 'vaultmock spec import' first, "
            "or pass --root pointing at the repository root"
        )
    fragments: list[Fragment] = []
    for family in FAMILIES:
        fragments.extend(_load_dir(root, FRAGMENTS / family, family))
    logger.debug("loaded %d published fragments from %s", len(fragments), root)
    return fragments


def load_project(root: Path) -> list[Fragment]:
    """Every fragment we author, below ``root/spec/project``, sorted by file."""
    return _load_dir(root, PROJECT, "project")


def write_json(path: Path, value: Any) -> bool:
    """Write ``value`` as sorted, indented JSON; only touch the file if it changed.

    Returns whether the file was written.
    """
    text = json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True
