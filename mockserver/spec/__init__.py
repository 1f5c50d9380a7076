"""The API document of vaultmock: import, lint, repair, merge and validate it.

The published identity API arrives as markdown holding one small OpenAPI document
per operation (a *fragment*). This package turns it into the one document the
server serves:

1. :func:`import_fragments` files each published block under ``spec/fragments``;
2. :func:`lint` lists every defect of those fragments and the repair that fixes it;
3. :func:`build_document` applies the repairs (``spec/repairs``), adds our own
   operations (``spec/project``), merges everything and validates the result;
4. :func:`write_document` writes it to ``mockserver/data/openapi.json``;
5. :func:`load_document` reads that packaged JSON at server start.

Only :func:`load_document` runs in the server, and it needs nothing but the
standard library; the build functions import prance and openapi-spec-validator
when they are called.
"""

from __future__ import annotations

import json
import logging
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mockserver.errors import DocumentError

# The submodule mockserver.spec.lint shares its name with the function lint()
# below. Importing it here, before the function is defined, makes the function win
# the package attribute for good; a later import of the submodule (from anywhere)
# finds it in sys.modules and leaves the attribute alone. It needs only the
# standard library at import time.
from mockserver.spec import lint as _lint_module

if TYPE_CHECKING:
    from mockserver.spec.lint import Defect

logger = logging.getLogger(__name__)

__all__ = [
    "build_document",
    "import_fragments",
    "lint",
    "load_document",
    "write_document",
]


def import_fragments(source: Path, dest: Path) -> list[Path]:
    """Split the published markdown ``source`` into fragments below ``dest``.

    ``dest`` is the fragments folder, normally ``<root>/spec/fragments``; each
    fragment lands in ``dest/<family>/<operationId>.json`` as the exact text of its
    block. Returns the fragment paths in markdown order. Raises
    :class:`~mockserver.spec.errors.FragmentImportError` naming the markdown line of
    a block that is not valid JSON or lacks a path, a method or an operationId.
    """
    from mockserver.spec.importer import import_fragments as _import

    return _import(source, dest)


def lint(root: Path) -> list[Defect]:
    """List every defect of the published fragments below ``root/spec/fragments``.

    Each :class:`~mockserver.spec.lint.Defect` names its kind, fragment file, JSON
    pointer, a message, and the repair file that fixes it (``None`` if none does).
    """
    return _lint_module.lint(root)


def build_document(root: Path) -> dict[str, Any]:
    """Build the merged, repaired and validated OpenAPI 3.0 document.

    Raises :class:`~mockserver.spec.errors.UnrepairedDefectError` naming the
    fragment file and JSON pointer of each defect that has no repair, and
    :class:`~mockserver.spec.errors.BuildError` when the result does not validate.
    """
    from mockserver.spec.merge import build_document as _build

    return _build(root)


def write_document(root: Path, out: Path) -> Path:
    """Build the document and write it to ``out`` (sorted keys, stable); return it."""
    from mockserver.spec.merge import write_document as _write

    return _write(root, out)


def load_document() -> dict[str, Any]:
    """Read the packaged ``mockserver/data/openapi.json`` (what the server serves).

    Raises :class:`~mockserver.errors.DocumentError` when the file is missing or not
    a JSON object.
    """
    resource = resources.files("mockserver").joinpath("data/openapi.json")
    try:
        text = resource.read_text(encoding="utf-8")
    except (FileNotFoundError, OSError) as exc:
        raise DocumentError(
            "mockserver/data/openapi.json is missing from the installed package; the "
            "document is built at release time: run 'vaultmock spec build' in a "
            "checkout, or reinstall vaultmock"
        ) from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(
            f"mockserver/data/openapi.json is not valid JSON (line {exc.lineno}: "
            f"{exc.msg}); the file was damaged: rebuild it with 'vaultmock spec build'"
        ) from exc
    if not isinstance(doc, dict) or "paths" not in doc:
        raise DocumentError(
            "mockserver/data/openapi.json is not an OpenAPI document (no 'paths'); "
            "rebuild it with 'vaultmock spec build'"
        )
    logger.debug("loaded the API document: %d paths", len(doc["paths"]))
    return doc
