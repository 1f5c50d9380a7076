"""Tests of mockserver.spec.errors: where the spec errors sit in the hierarchy."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver.errors import VaultMockError
from mockserver.spec.errors import (
    BuildError,
    FragmentError,
    FragmentImportError,
    RepairError,
    SpecError,
    UnrepairedDefectError,
)
from mockserver.spec.lint import Defect


@pytest.mark.parametrize(
    "error",
    [
        FragmentImportError,
        FragmentError,
        RepairError,
        BuildError,
        UnrepairedDefectError,
    ],
)
def test_every_spec_error_is_a_vaultmock_error(error: type[Exception]) -> None:
    assert issubclass(error, SpecError)
    assert issubclass(error, VaultMockError)


def test_unrepaired_defect_error_carries_the_defects() -> None:
    defect = Defect("dangling-ref", Path("spec/fragments/x.json"), "/a", "m", None)
    error = UnrepairedDefectError("1 defect", [defect])
    assert isinstance(error, BuildError)
    assert error.defects == [defect]
    assert str(error) == "1 defect"
