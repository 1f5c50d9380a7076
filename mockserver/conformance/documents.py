"""The two documents a run checks against, and how their operations are grouped.

``repaired``
    ``mockserver/data/openapi.json``: the published fragments with our repairs and
    project operations, the document the mock serves. Any failure against it is a
    regression (of the mock, or of the repairs).
``published``
    ``mockserver/data/openapi-published.json``: the published fragments merged as
    they are. A real server's failures against it are the drift of the published
    API, which the baseline records.

Operations are split into :data:`GROUPS` by path, so that a run can be spread over
pytest-xdist workers and a stateful run sees the operations that link to each
other.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from mockserver.errors import DocumentError

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

GROUPS: dict[str, str] = {
    "entities": r"^/identity/(entity|entity-alias|alias|persona)(/|$)|^/identity/lookup/entity$",
    "groups": r"^/identity/(group|group-alias)(/|$)|^/identity/lookup/group$",
    "mfa": r"^/identity/mfa/",
    "oidc": r"^/identity/oidc/",
    "auth": r"^/(auth|sys)/",
}
"""Operation groups by path (a regular expression each). An operation no group
matches falls into ``other``, so none is left out."""

OTHER = "other"

STATEFUL_SOURCES: dict[str, tuple[str, ...]] = {
    "entities": ("GET /sys/auth",),
    "groups": ("GET /sys/auth",),
}
"""Read-only operations a group's stateful run also calls: ``GET /sys/auth`` gives
the accessor of the ``token/`` mount, which aliases need."""

EXCLUDED: dict[str, str] = {
    "POST /auth/token/revoke-self": "revokes the token the run itself uses; every "
    "later request would answer 403",
}
"""Operations a run never sends, and why."""


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of a document: ``label`` is ``METHOD /path``."""

    method: str
    path: str
    operation_id: str
    definition: dict[str, Any]

    @property
    def label(self) -> str:
        """``METHOD /path``, the name reports use."""
        return f"{self.method.upper()} {self.path}"


def load(name: str) -> dict[str, Any]:
    """A fresh copy of the document ``name`` (``repaired`` or ``published``).

    Raises :class:`~mockserver.errors.DocumentError` for another name or a missing
    or damaged file.
    """
    return copy.deepcopy(_load(name))


@cache
def _load(name: str) -> dict[str, Any]:
    files = {"repaired": "openapi.json", "published": "openapi-published.json"}
    if name not in files:
        raise DocumentError(
            f"no document called {name!r}: choose one of {', '.join(files)}"
        )
    resource = resources.files("mockserver").joinpath(f"data/{files[name]}")
    try:
        doc = json.loads(resource.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DocumentError(
            f"cannot read mockserver/data/{files[name]}: {exc}. Reinstall vaultmock, "
            "or run `vaultmock spec build` in a checkout"
        ) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("paths"), dict):
        raise DocumentError(
            f"mockserver/data/{files[name]} is not an OpenAPI document; rebuild it "
            "with `vaultmock spec build`"
        )
    return doc


def operations(document: dict[str, Any]) -> list[Operation]:
    """Every operation of ``document``, in document order."""
    found = []
    for path, item in document.get("paths", {}).items():
        for method, definition in item.items():
            if method in METHODS and isinstance(definition, dict):
                found.append(
                    Operation(
                        method=method,
                        path=path,
                        operation_id=str(definition.get("operationId", "")),
                        definition=definition,
                    )
                )
    return found


def group_of(path: str) -> str:
    """The group whose expression matches ``path``, else :data:`OTHER`."""
    for name, pattern in GROUPS.items():
        if re.search(pattern, path):
            return name
    return OTHER


def group_names(document: dict[str, Any]) -> list[str]:
    """The groups ``document`` has operations in, in :data:`GROUPS` order."""
    present = {group_of(op.path) for op in operations(document)}
    return [name for name in (*GROUPS, OTHER) if name in present]


def in_group(operation: Operation, group: str, *, stateful: bool = False) -> bool:
    """Whether a run of ``group`` sends ``operation`` (never an excluded one).

    A stateful run also calls the group's :data:`STATEFUL_SOURCES`.
    """
    if operation.label in EXCLUDED:
        return False
    if group_of(operation.path) == group:
        return True
    return stateful and operation.label in STATEFUL_SOURCES.get(group, ())


def open_operations(document: dict[str, Any]) -> set[str]:
    """Labels of the operations ``document`` declares as needing no token.

    An operation is open when its effective ``security`` is empty or holds an
    empty requirement. A document that declares no security at all says nothing,
    and the set is empty.
    """
    default = document.get("security")
    found = set()
    for op in operations(document):
        security = op.definition.get("security", default)
        if security is not None and (not security or {} in security):
            found.add(op.label)
    return found


def declares_security(document: dict[str, Any]) -> bool:
    """Whether ``document`` says anything about tokens at all."""
    if document.get("security") is not None:
        return True
    return any("security" in op.definition for op in operations(document))
