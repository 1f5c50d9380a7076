"""Exceptions raised while importing, repairing and building the API document.

They are all startup-time errors: none of them can happen while the server answers
requests, because the server only reads the finished JSON document.

::

    VaultMockError                (mockserver.errors)
    └── SpecError
        ├── FragmentImportError   a markdown block cannot become a fragment
        ├── FragmentError         a fragment file on disk cannot be read
        ├── RepairError           a repair file is malformed or does not apply
        └── BuildError            the merged document cannot be built
            └── UnrepairedDefectError   a published defect has no repair
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mockserver.errors import VaultMockError

if TYPE_CHECKING:
    from mockserver.spec.lint import Defect


class SpecError(VaultMockError):
    """Base class of the errors of the spec pipeline."""


class FragmentImportError(SpecError):
    """A block of the published markdown cannot be turned into a fragment."""


class FragmentError(SpecError):
    """A fragment file under ``spec/fragments`` or ``spec/project`` is unreadable."""


class RepairError(SpecError):
    """A repair file is malformed, or one of its operations does not apply."""


class BuildError(SpecError):
    """The merged document cannot be built or does not validate."""


class UnrepairedDefectError(BuildError):
    """At least one defect of the published fragments has no repair.

    ``defects`` holds the unrepaired defects so that callers can list them.
    """

    def __init__(self, message: str, defects: list[Defect]) -> None:
        super().__init__(message)
        self.defects = defects
