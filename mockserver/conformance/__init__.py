"""The conformance gate: do the mock, a real server and the API documents agree?

::

    target (mock | server URL)  x  document (repaired | published)  x  group
                     |
      runner: schemathesis phases (examples, coverage, fuzzing, stateful)
              + the token probe (authcheck)          differential: one scenario,
                     |                               mock vs server, compared
                 RunResult (findings, per-operation counts)
                     |
      baseline: known drift -> each finding new or known
                     |
      report: summary.md, junit.xml, conformance.json

Public surface: :class:`Settings` and :func:`run_group` run one group of
operations; :func:`~mockserver.conformance.differential.compare` runs the
differential scenario; :class:`Baseline` marks findings; :func:`write_reports`
writes the reports; ``vaultmock conformance`` (:mod:`.command`) does all of it.
The pytest suites in ``contract_tests/`` drive the same functions under
pytest-xdist.

Needs schemathesis (``pip install 'vaultmock[test]'``); nothing here runs in the
mock server.
"""

from __future__ import annotations

from mockserver.conformance.baseline import Baseline, BaselineError, Entry
from mockserver.conformance.model import DOCUMENTS, PHASES, Finding, RunResult
from mockserver.conformance.report import passed, terminal_summary, write_reports
from mockserver.conformance.runner import Settings, run_group
from mockserver.conformance.targets import (
    DevServer,
    Target,
    TargetError,
    mock_target,
    server_target,
)

__all__ = [
    "DOCUMENTS",
    "PHASES",
    "Baseline",
    "BaselineError",
    "DevServer",
    "Entry",
    "Finding",
    "RunResult",
    "Settings",
    "Target",
    "TargetError",
    "mock_target",
    "passed",
    "run_group",
    "server_target",
    "terminal_summary",
    "write_reports",
]
