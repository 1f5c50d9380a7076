"""The benchmark's table: each figure for the mock and the real server, their
ratio, and the target it answers to."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the table."""

    section: str
    metric: str
    unit: str
    mock: float | None
    real: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """The mock's figure over the real server's."""
        if self.mock is None or self.real is None or self.real == 0:
            return None
        return self.mock / self.real


def _number(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit in ("req/s", "MB", "bytes"):
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _ratio(row: Row) -> str:
    ratio = row.ratio
    if ratio is None:
        return ""
    if ratio < 0.1:
        return f"1/{1 / ratio:,.0f}"
    return f"{ratio:.2f}x"


def _verdict(row: Row) -> str:
    if row.met is None:
        return row.target
    return f"{row.target} {'MET' if row.met else 'NOT MET'}"


HEADER = ("metric", "unit", "vaultmock", "openbao", "mock/real", "target")


def cells(row: Row) -> tuple[str, ...]:
    """The row as the strings of the table."""
    return (
        f"{row.section}: {row.metric}",
        row.unit,
        _number(row.mock, row.unit),
        _number(row.real, row.unit),
        _ratio(row),
        _verdict(row),
    )


def text_table(rows: list[Row]) -> str:
    """The table as aligned plain text."""
    lines = [HEADER, *(cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]
    out = []
    for n, line in enumerate(lines):
        out.append(
            "  ".join(
                cell.ljust(w) if i in (0, 1, 5) else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
        )
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def markdown_table(rows: list[Row]) -> str:
    """The table in Markdown."""
    out = [
        "| " + " | ".join(HEADER) + " |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        out.append("| " + " | ".join(cells(row)) + " |")
    notes = [f"- {r.section}: {r.metric}: {r.note}" for r in rows if r.note]
    if notes:
        out += ["", *notes]
    return "\n".join(out)


def write(
    rows: list[Row], results: dict[str, Any], directory: Path, reproduce: str
) -> tuple[Path, Path]:
    """Write ``results.json`` and ``RESULTS.md`` into ``directory``."""
    env = results.get("environment", {})
    data = {
        **results,
        "table": [
            {
                "section": r.section,
                "metric": r.metric,
                "unit": r.unit,
                "vaultmock": r.mock,
                "openbao": r.real,
                "ratio": r.ratio,
                "target": r.target,
                "met": r.met,
                "note": r.note,
            }
            for r in rows
        ],
    }
    json_path = directory / "results.json"
    json_path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    lines = [
        "# Benchmark results",
        "",
        f"Measured {env.get('started', '?')} on {env.get('cpus', '?')} CPUs "
        f"({env.get('cpu_model', 'unknown CPU')}), load average "
        f"{env.get('load_before', '?')} before and {env.get('load_after', '?')} "
        f"after; {env.get('python', '')}; {env.get('openbao', '')}; vaultmock at "
        f"{env.get('commit', '?')}.",
        "",
        f"Reproduce with `{reproduce}`. Both servers ran on loopback on this "
        "machine in the same run, driven by the same load generator "
        "(`bench/loadgen.py`).",
        "",
        markdown_table(rows),
        "",
    ]
    md_path = directory / "RESULTS.md"
    md_path.write_text("\n".join(lines))
    return json_path, md_path
