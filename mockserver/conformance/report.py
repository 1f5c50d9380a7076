"""Reports of a conformance run: JSON for machines, JUnit XML for CI, Markdown for people.

:func:`write_reports` writes, into one folder:

``conformance.json``
    every run, every finding with its status (new or known), the baseline
    entries no finding matched, and the totals;
``junit.xml``
    one test suite per target and document, one test case per operation; an
    operation with new findings fails, known ones are listed in its output;
``summary.md``
    a table of operation by target by document, the count of drift by category,
    and the first failing case of each cell as a ``curl`` command.

:func:`terminal_summary` is the short text the command prints.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockserver.conformance.baseline import Entry
from mockserver.conformance.model import KNOWN, NEW, Finding, RunResult

TERMINAL_LIMIT = 25
"""The most new findings the terminal summary lists; the reports hold them all."""

COLUMN_ORDER = {"repaired": 0, "published": 1, "differential": 2}

CURL_NOTE = (
    "Every command reads the server address and token from `$VAULT_ADDR` and "
    "`$VAULT_TOKEN`. For the mock: `vaultmock serve` and "
    "`export VAULT_ADDR=http://127.0.0.1:8200 VAULT_TOKEN=root`."
)


@dataclass(slots=True)
class Cell:
    """What one operation did on one target and document."""

    ran: bool = False
    requests: int = 0
    server_errors: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def new(self) -> list[Finding]:
        """Findings no baseline entry covers."""
        return [f for f in self.findings if f.status == NEW]

    @property
    def known(self) -> list[Finding]:
        """Findings the baseline covers."""
        return [f for f in self.findings if f.status == KNOWN]

    def text(self) -> str:
        """The cell as the table shows it."""
        if not self.ran:
            return "-"
        parts = []
        if self.new:
            parts.append(f"**{len(self.new)} new**")
        if self.known:
            parts.append(f"{len(self.known)} known")
        return " · ".join(parts) or "ok"

    def first(self) -> Finding | None:
        """The finding a reader should look at first: a new one if any."""
        ordered = self.new + self.known
        return ordered[0] if ordered else None


Column = tuple[str, str]


@dataclass(slots=True)
class Matrix:
    """Every run folded into operation x (target, document) cells."""

    columns: list[Column]
    operations: list[str]
    cells: dict[tuple[str, Column], Cell]
    errors: list[str]
    notes: list[str]

    @classmethod
    def build(cls, results: Iterable[RunResult]) -> Matrix:
        """Fold ``results`` into cells."""
        cells: dict[tuple[str, Column], Cell] = {}
        columns: set[Column] = set()
        errors: list[str] = []
        notes: list[str] = []
        for result in results:
            column = (result.target, result.document)
            columns.add(column)
            for message in result.notes:
                note = f"{result.target}/{result.document}: {message}"
                if note not in notes:
                    notes.append(note)
            for message in result.errors:
                errors.append(
                    f"{result.target}/{result.document}/{result.group}: {message}"
                )
            for operation, stats in result.operations.items():
                cell = cells.setdefault((operation, column), Cell())
                cell.ran = True
                cell.requests += stats.total
                cell.server_errors += sum(stats.server_errors.values())
            for finding in result.findings:
                cell = cells.setdefault((finding.operation, column), Cell())
                cell.ran = True
                cell.findings.append(finding)
        operations = sorted({op for op, _ in cells}, key=_operation_order)
        ordered = sorted(
            columns,
            key=lambda c: (c[0] != "mock", c[0], COLUMN_ORDER.get(c[1], 9), c[1]),
        )
        return cls(ordered, operations, cells, errors, notes)

    def cell(self, operation: str, column: Column) -> Cell:
        """The cell of ``operation`` in ``column`` (an empty one if it did not run)."""
        return self.cells.get((operation, column), Cell())

    def findings(self) -> list[Finding]:
        """Every finding, in table order."""
        return [
            f
            for op in self.operations
            for c in self.columns
            for f in self.cell(op, c).findings
        ]


def _operation_order(label: str) -> tuple[str, str]:
    method, _, path = label.partition(" ")
    return (path, method)


def _label(column: Column) -> str:
    return f"{column[0]} / {column[1]}"


def totals(results: Sequence[RunResult]) -> dict[str, Any]:
    """Counts a CI job can act on: new and known findings, run errors, requests."""
    findings = [f for r in results for f in r.findings]
    return {
        "new": sum(1 for f in findings if f.status == NEW),
        "known": sum(1 for f in findings if f.status == KNOWN),
        "errors": sum(len(r.errors) for r in results),
        "requests": sum(s.total for r in results for s in r.operations.values()),
        "server_errors": sum(
            sum(s.server_errors.values())
            for r in results
            for s in r.operations.values()
        ),
    }


def passed(results: Sequence[RunResult]) -> bool:
    """Whether the gate passes: no new finding and no run error."""
    counts = totals(results)
    return bool(counts["new"] == 0 and counts["errors"] == 0)


def categories(results: Sequence[RunResult]) -> dict[Column, Counter[str]]:
    """Drift counted by category, per (target, document)."""
    counted: dict[Column, Counter[str]] = {}
    for result in results:
        counter = counted.setdefault((result.target, result.document), Counter())
        for finding in result.findings:
            counter[finding.category] += 1
    return counted


def write_json(
    path: Path,
    results: Sequence[RunResult],
    not_seen: Sequence[Entry],
    meta: dict[str, Any],
) -> Path:
    """Write ``conformance.json``."""
    document = {
        "passed": passed(results),
        "totals": totals(results),
        "meta": meta,
        "categories": {
            _label(column): dict(sorted(counter.items()))
            for column, counter in sorted(categories(results).items())
        },
        "runs": [r.to_dict() for r in results],
        "baseline_not_seen": [
            {
                "document": e.document,
                "target": e.target,
                "operation": e.operation,
                "check": e.check,
                "kind": e.kind,
            }
            for e in not_seen
        ],
    }
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    return path


def write_junit(path: Path, results: Sequence[RunResult]) -> Path:
    """Write ``junit.xml``: a suite per (target, document), a case per operation."""
    matrix = Matrix.build(results)
    root = ET.Element("testsuites", name="vaultmock conformance")
    seconds: dict[Column, float] = {}
    for result in results:
        column = (result.target, result.document)
        seconds[column] = seconds.get(column, 0.0) + result.seconds
    for column in matrix.columns:
        suite = ET.SubElement(
            root, "testsuite", name=f"conformance.{column[0]}.{column[1]}"
        )
        tests = failures = 0
        for operation in matrix.operations:
            cell = matrix.cell(operation, column)
            if not cell.ran:
                continue
            tests += 1
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"conformance.{column[0]}.{column[1]}",
                name=operation,
            )
            if cell.new:
                failures += 1
                failure = ET.SubElement(
                    case,
                    "failure",
                    message=f"{len(cell.new)} new: "
                    + "; ".join(f.kind for f in cell.new),
                )
                failure.text = "\n\n".join(_finding_text(f) for f in cell.new)
            out = [f"{cell.requests} requests, {cell.server_errors} answered 5xx"]
            out += [f"known: {f.kind} ({f.reason})" for f in cell.known]
            ET.SubElement(case, "system-out").text = "\n".join(out)
        errors = [e for e in matrix.errors if e.startswith(f"{column[0]}/{column[1]}/")]
        if errors:
            case = ET.SubElement(
                suite, "testcase", classname=suite.get("name", ""), name="run"
            )
            ET.SubElement(
                case, "error", message=f"{len(errors)} run errors"
            ).text = "\n".join(errors)
            tests += 1
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", str(1 if errors else 0))
        suite.set("time", f"{seconds.get(column, 0.0):.3f}")
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


def _finding_text(finding: Finding) -> str:
    lines = [
        f"{finding.operation}: {finding.kind} ({finding.phase}, {finding.check}, "
        f"seen {finding.count}x)",
    ]
    if finding.message:
        lines.append(finding.message)
    lines.append(finding.curl)
    return "\n".join(lines)


def markdown(
    results: Sequence[RunResult], not_seen: Sequence[Entry], meta: dict[str, Any]
) -> str:
    """The readable summary (the text of ``summary.md``)."""
    matrix = Matrix.build(results)
    counts = totals(results)
    verdict = "PASSED" if passed(results) else "FAILED"
    out = [
        f"# Conformance: {verdict}",
        "",
        f"{counts['new']} new findings, {counts['known']} known (baseline), "
        f"{counts['errors']} run errors; {counts['requests']} requests, "
        f"{counts['server_errors']} answered 5xx.",
        "",
    ]
    if meta:
        out += ["Settings: " + ", ".join(f"{k}={v}" for k, v in meta.items()), ""]
    if matrix.errors:
        out += ["## Run errors", ""] + [f"- {e}" for e in matrix.errors] + [""]
    if matrix.notes:
        out += ["## Left out", ""] + [f"- {n}" for n in matrix.notes] + [""]
    out += ["## Operations", ""]
    header = "| operation | " + " | ".join(_label(c) for c in matrix.columns) + " |"
    out += [header, "|" + " --- |" * (len(matrix.columns) + 1)]
    for operation in matrix.operations:
        row = [matrix.cell(operation, c).text() for c in matrix.columns]
        out.append(f"| `{operation}` | " + " | ".join(row) + " |")
    out += ["", "## Drift by category", ""]
    counted = categories(results)
    names = sorted({name for counter in counted.values() for name in counter})
    out += ["| category | " + " | ".join(_label(c) for c in matrix.columns) + " |"]
    out += ["|" + " --- |" * (len(matrix.columns) + 1)]
    for name in names:
        row = [str(counted.get(c, Counter())[name] or "") for c in matrix.columns]
        out.append(f"| {name} | " + " | ".join(row) + " |")
    out += ["", "## First failing case of each operation", "", CURL_NOTE, ""]
    for operation in matrix.operations:
        shown = [(c, matrix.cell(operation, c).first()) for c in matrix.columns]
        shown = [(c, f) for c, f in shown if f is not None]
        if not shown:
            continue
        out += [f"### `{operation}`", ""]
        for column, finding in shown:
            assert finding is not None
            cell = matrix.cell(operation, column)
            label = "NEW" if finding.status == NEW else "known"
            others = len(cell.findings) - 1
            more = f" (+{others} more)" if others else ""
            out += [
                f"**{_label(column)}** — {label}: {finding.kind}{more}",
                "",
            ]
            if finding.status == KNOWN and finding.reason:
                out += [f"> {finding.reason}", ""]
            out += ["```sh", finding.curl, "```", ""]
    if not_seen:
        out += [
            "## Baseline entries not seen",
            "",
            "The drift may be gone (prune the entry), or this run did not reach it.",
            "",
        ]
        out += [
            f"- {e.target} / {e.document}: `{e.operation}` {e.check}: {e.kind}"
            for e in not_seen
        ]
        out.append("")
    return "\n".join(out)


def terminal_summary(
    results: Sequence[RunResult], report_dir: Path | None = None
) -> str:
    """A short text: totals, drift by category, and every new finding with its curl."""
    counts = totals(results)
    verdict = "passed" if passed(results) else "FAILED"
    lines = [
        f"conformance {verdict}: {counts['new']} new, {counts['known']} known, "
        f"{counts['errors']} run errors ({counts['requests']} requests, "
        f"{counts['server_errors']} answered 5xx)"
    ]
    for column, counter in sorted(categories(results).items()):
        if counter:
            text = ", ".join(f"{name} {n}" for name, n in sorted(counter.items()))
            lines.append(f"  {_label(column)}: {text}")
    matrix = Matrix.build(results)
    for message in matrix.errors:
        lines.append(f"  run error: {message}")
    shown: set[tuple[str, ...]] = set()
    for finding in matrix.findings():
        if finding.status != NEW or finding.key in shown:
            continue
        shown.add(finding.key)
        if len(shown) > TERMINAL_LIMIT:
            continue
        lines.append(
            f"  NEW {finding.target}/{finding.document} {finding.operation}: "
            f"{finding.kind}\n    {finding.curl}"
        )
    if len(shown) > TERMINAL_LIMIT:
        lines.append(
            f"  ... and {len(shown) - TERMINAL_LIMIT} more new findings: see summary.md"
        )
    if report_dir is not None:
        lines.append(f"  reports: {report_dir}/summary.md, junit.xml, conformance.json")
    return "\n".join(lines)


def write_reports(
    directory: Path,
    results: Sequence[RunResult],
    not_seen: Sequence[Entry] = (),
    meta: dict[str, Any] | None = None,
) -> dict[str, Path]:
    """Write the three reports into ``directory``; return their paths by format."""
    directory.mkdir(parents=True, exist_ok=True)
    meta = meta or {}
    summary = directory / "summary.md"
    summary.write_text(markdown(results, not_seen, meta))
    return {
        "json": write_json(directory / "conformance.json", results, not_seen, meta),
        "junit": write_junit(directory / "junit.xml", results),
        "summary": summary,
    }
