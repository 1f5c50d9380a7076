"""The gate: every operation, every phase, each target against each document.

Against the repaired document any failure is a regression (of the mock, or of
the repairs); against the published one, a real server's failures are the
published API's drift, and the baseline holds the drift already known.
"""

from __future__ import annotations

from collections.abc import Callable

from mockserver.conformance import RunResult, Settings, Target, run_group
from mockserver.conformance.differential import compare


def test_conformance(
    run: tuple[str, str, str, tuple[str, ...]],
    target_for: Callable[[str], Target],
    gate: Callable[[RunResult], None],
    settings_for: Callable[[tuple[str, ...]], Settings],
) -> None:
    """schemathesis phases and the token probe over one group of operations."""
    target_name, document, group, phases = run
    target = target_for(target_name)
    result = run_group(target, document, group, settings_for(phases))
    gate(result)


def test_differential(
    differential_targets: tuple[str, str],
    target_for: Callable[[str], Target],
    gate: Callable[[RunResult], None],
) -> None:
    """One scenario on the real server and the mock: same statuses, same shapes."""
    reference, candidate = differential_targets
    gate(compare(target_for(reference), target_for(candidate)))
