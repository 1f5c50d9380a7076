"""The conformance gate as a pytest suite, spread over pytest-xdist workers.

One test per target x document x group of operations x phase set; each runs
:func:`mockserver.conformance.run_group` against a fresh server (a new mock, or a
new ``bao server -dev`` on 127.0.0.1 unless ``--conformance-url`` names one),
marks its findings with the baseline and fails on any new one. Each worker
writes its results to a folder the controller chose; when the session ends the
controller merges them into the reports (``summary.md``, ``junit.xml``,
``conformance.json``) and prints the summary.

Options (``pytest contract_tests --help``, group ``conformance``) choose the
targets, documents, groups, phases, the number of examples and the baseline.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mockserver.conformance import (
    DOCUMENTS,
    PHASES,
    Baseline,
    DevServer,
    RunResult,
    Settings,
    Target,
    mock_target,
    server_target,
    terminal_summary,
    write_reports,
)
from mockserver.conformance.documents import GROUPS, OTHER, group_names, load
from mockserver.conformance.model import NEW
from mockserver.conformance.report import passed

HERE = Path(__file__).parent
BASELINE = HERE / "baseline.json"
PHASE_SETS = {
    "unit": ("examples", "coverage", "fuzzing"),
    "stateful": ("stateful", "auth"),
}
TARGETS = ("mock", "real")


@dataclass
class GateState:
    """What the controller knows about the session."""

    parts: Path
    owned: bool


STATE = pytest.StashKey[GateState]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "vaultmock conformance gate")
    group.addoption(
        "--conformance-targets",
        default="mock,real",
        help="comma-separated: mock (the mock, in process) and/or real (default: %(default)s)",
    )
    group.addoption(
        "--conformance-url",
        default=None,
        help="the real target's address; default: a fresh `bao server -dev` on "
        "127.0.0.1 for each test",
    )
    group.addoption(
        "--conformance-token",
        default=os.environ.get("VAULT_TOKEN"),
        help="token for --conformance-url (default: $VAULT_TOKEN)",
    )
    group.addoption(
        "--conformance-documents",
        default=",".join(DOCUMENTS),
        help="comma-separated documents (default: %(default)s)",
    )
    group.addoption(
        "--conformance-groups",
        default="all",
        help=f"comma-separated groups among {', '.join((*GROUPS, OTHER))} (default: all)",
    )
    group.addoption(
        "--conformance-phases",
        default=",".join(PHASES),
        help="comma-separated phases (default: %(default)s)",
    )
    group.addoption(
        "--conformance-max-examples",
        type=int,
        default=int(os.environ.get("CONFORMANCE_MAX_EXAMPLES", "5")),
        help="generated cases per operation and stateful sequences "
        "(default: $CONFORMANCE_MAX_EXAMPLES or 5)",
    )
    group.addoption(
        "--conformance-stateful-steps",
        type=int,
        default=8,
        help="longest stateful sequence (default: %(default)s)",
    )
    group.addoption("--conformance-seed", type=int, default=0)
    group.addoption(
        "--conformance-differential",
        action="store_true",
        default=False,
        help="also compare the mock with the real target over the differential scenario",
    )
    group.addoption(
        "--conformance-baseline",
        default=str(BASELINE),
        help="known drift (default: contract_tests/baseline.json)",
    )
    group.addoption(
        "--conformance-update-baseline",
        action="store_true",
        default=False,
        help="add every new finding to the baseline instead of failing",
    )
    group.addoption(
        "--conformance-report-dir",
        default="reports/conformance",
        help="where the reports go (default: %(default)s)",
    )


def _split(config: pytest.Config, name: str) -> list[str]:
    return [v.strip() for v in str(config.getoption(name)).split(",") if v.strip()]


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    if _is_worker(config):
        parts = Path(config.workerinput["conformance_parts"])  # type: ignore[attr-defined]
        config.stash[STATE] = GateState(parts=parts, owned=False)
        return
    parts = Path(tempfile.mkdtemp(prefix="vaultmock-conformance-"))
    config.stash[STATE] = GateState(parts=parts, owned=True)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Tell each xdist worker where to write its results."""
    node.workerinput["conformance_parts"] = str(node.config.stash[STATE].parts)


def _settings(config: pytest.Config, phases: tuple[str, ...]) -> Settings:
    return Settings(
        phases=phases,
        max_examples=int(config.getoption("--conformance-max-examples")),
        stateful_steps=int(config.getoption("--conformance-stateful-steps")),
        seed=int(config.getoption("--conformance-seed")),
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    config = metafunc.config
    if "run" in metafunc.fixturenames:
        targets = [t for t in _split(config, "--conformance-targets") if t in TARGETS]
        documents = [
            d for d in _split(config, "--conformance-documents") if d in DOCUMENTS
        ]
        wanted = _split(config, "--conformance-groups")
        phases = _split(config, "--conformance-phases")
        params = []
        for document in documents:
            groups = [
                g for g in group_names(load(document)) if "all" in wanted or g in wanted
            ]
            for group in groups:
                for set_name, members in PHASE_SETS.items():
                    chosen = tuple(p for p in members if p in phases)
                    if not chosen:
                        continue
                    for target in targets:
                        params.append(
                            pytest.param(
                                (target, document, group, chosen),
                                id=f"{target}-{document}-{group}-{set_name}",
                            )
                        )
        metafunc.parametrize("run", params)
    if "differential_targets" in metafunc.fixturenames:
        targets = _split(config, "--conformance-targets")
        enabled = bool(config.getoption("--conformance-differential"))
        both = enabled and "mock" in targets and "real" in targets
        reason = "the differential scenario needs --conformance-differential and both targets"
        marks = [] if both else [pytest.mark.skip(reason=reason)]
        metafunc.parametrize(
            "differential_targets",
            [pytest.param(("real", "mock"), id="real-vs-mock", marks=marks)],
        )


@pytest.fixture
def settings_for(request: pytest.FixtureRequest) -> Any:
    """A function that turns a phase set into the run settings of the options."""

    def make(phases: tuple[str, ...]) -> Settings:
        return _settings(request.config, phases)

    return make


@pytest.fixture
def real_target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The real server of one test: the given URL, or a fresh dev server."""
    url = request.config.getoption("--conformance-url")
    if url:
        token = request.config.getoption("--conformance-token")
        if not token:
            pytest.fail("--conformance-url needs --conformance-token (or VAULT_TOKEN)")
        yield server_target(str(url), str(token))
        return
    with DevServer() as dev:
        yield dev.target("real")


@pytest.fixture
def target_for(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A function that enters the target named ``mock`` or ``real`` for this test."""
    stack: list[Any] = []

    def enter(name: str) -> Target:
        if name == "mock":
            manager = mock_target()
            stack.append(manager)
            return manager.__enter__()
        return request.getfixturevalue("real_target")  # type: ignore[no-any-return]

    yield enter
    for manager in reversed(stack):
        manager.__exit__(None, None, None)


@pytest.fixture
def gate(request: pytest.FixtureRequest) -> Any:
    """Record a result for the reports, and fail the test on new findings."""
    config = request.config
    baseline = Baseline.load(Path(str(config.getoption("--conformance-baseline"))))
    parts = config.stash[STATE].parts

    def record(result: RunResult) -> None:
        baseline.apply([result])
        name = f"{uuid.uuid4().hex}.json"
        (parts / name).write_text(json.dumps(result.to_dict()))
        if config.getoption("--conformance-update-baseline"):
            return
        problems = _explain(result)
        if problems:
            pytest.fail(problems, pytrace=False)

    return record


def _explain(result: RunResult) -> str:
    new = [f for f in result.findings if f.status == NEW]
    if not new and not result.errors:
        return ""
    lines = [
        f"{result.target} / {result.document} / {result.group} "
        f"({', '.join(result.phases)}): {len(new)} new findings, "
        f"{len(result.errors)} run errors"
    ]
    for error in result.errors:
        lines.append(f"  run error: {error}")
    for finding in new:
        lines.append(
            f"  {finding.operation}: {finding.kind} "
            f"({finding.phase}, {finding.check}, seen {finding.count}x)"
        )
        message = [line for line in finding.message.splitlines() if line.strip()]
        shown = message[:3] + [m for m in message[3:] if m.startswith("Answered ")]
        lines += ["    " + line for line in shown]
        lines += ["    " + line for line in finding.curl.splitlines()]
    lines.append(
        "If this drift is accepted, record it: `make conformance-baseline`, then "
        "explain each new entry of contract_tests/baseline.json."
    )
    return "\n".join(lines)


def _load_parts(parts: Path) -> list[RunResult]:
    results = []
    for file in sorted(parts.glob("*.json")):
        results.append(RunResult.from_dict(json.loads(file.read_text())))
    return results


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    state = config.stash.get(STATE, None)
    if state is None or not state.owned:
        return
    results = _load_parts(state.parts)
    shutil.rmtree(state.parts, ignore_errors=True)
    if not results:
        return
    results.sort(key=lambda r: (r.target, r.document, r.group, r.phases))
    baseline = Baseline.load(Path(str(config.getoption("--conformance-baseline"))))
    baseline.apply(results)
    report_dir = Path(str(config.getoption("--conformance-report-dir")))
    meta = {
        "max_examples": config.getoption("--conformance-max-examples"),
        "stateful_steps": config.getoption("--conformance-stateful-steps"),
        "seed": config.getoption("--conformance-seed"),
        "phases": config.getoption("--conformance-phases"),
    }
    write_reports(report_dir, results, baseline.not_seen(results), meta)
    if config.getoption("--conformance-update-baseline"):
        baseline.updated(results).save()
    config.stash[SUMMARY] = terminal_summary(results, report_dir) + (
        "" if passed(results) else "\n  (the gate failed)"
    )


SUMMARY = pytest.StashKey[str]()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    text = config.stash.get(SUMMARY, None)
    if text:
        terminalreporter.section("conformance")
        terminalreporter.write_line(text)
