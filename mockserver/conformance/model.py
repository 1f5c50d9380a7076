"""What a conformance run finds, in plain data that survives JSON.

A run over one target and one document produces a :class:`RunResult`: for each
operation, how many requests each phase sent and how many answered ``5xx``, and
the :class:`Finding` list. A finding is one *kind* of disagreement on one
operation (``undocumented status 204``), with the first request that showed it as
a ``curl`` command; repeats of the same kind only raise its count.

Everything here converts to and from JSON (``to_dict``/``from_dict``), so results
computed in pytest-xdist workers can be merged by the controller and re-read by
the report writer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

DOCUMENTS = ("repaired", "published")
"""The two documents a run checks against: the repaired one the mock serves, and
the published fragments merged as they are."""

PHASES = ("examples", "coverage", "fuzzing", "stateful", "auth")
"""Every phase a run may have: the four schemathesis phases and the token probe
(:mod:`mockserver.conformance.authcheck`). The differential scenario reports
under the phase name ``differential``."""

NEW = "new"
KNOWN = "known"


@dataclass(slots=True)
class Finding:
    """One kind of disagreement between a target and a document, on one operation.

    ``kind`` is the stable signature the baseline matches (``undocumented status
    204``); ``category`` groups kinds for the summary (``204 instead of 200``).
    ``curl`` reproduces the first request that showed it, with the address and
    token left as ``$VAULT_ADDR`` and ``$VAULT_TOKEN``. ``status`` is
    :data:`NEW` until a baseline entry accounts for it (then :data:`KNOWN`, and
    ``reason`` holds the entry's explanation).
    """

    target: str
    document: str
    operation: str
    phase: str
    check: str
    kind: str
    category: str
    title: str
    message: str
    curl: str
    count: int = 1
    status: str = NEW
    reason: str = ""

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """What makes two findings the same one."""
        return (self.target, self.document, self.operation, self.check, self.kind)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """The finding that :meth:`to_dict` wrote."""
        return cls(**data)


@dataclass(slots=True)
class OperationStats:
    """How one operation fared in one run: requests and ``5xx`` answers per phase."""

    requests: dict[str, int] = field(default_factory=dict)
    server_errors: dict[str, int] = field(default_factory=dict)

    def add(self, phase: str, status: int | None) -> None:
        """Count one request of ``phase`` that was answered ``status``."""
        self.requests[phase] = self.requests.get(phase, 0) + 1
        if status is not None and status >= 500:
            self.server_errors[phase] = self.server_errors.get(phase, 0) + 1

    def merge(self, other: OperationStats) -> None:
        """Add the counts of ``other`` to these."""
        for phase, n in other.requests.items():
            self.requests[phase] = self.requests.get(phase, 0) + n
        for phase, n in other.server_errors.items():
            self.server_errors[phase] = self.server_errors.get(phase, 0) + n

    @property
    def total(self) -> int:
        """Requests over every phase."""
        return sum(self.requests.values())


@dataclass(slots=True)
class RunResult:
    """Everything one run over (target, document, a group of operations) found.

    ``errors`` are problems of the run itself (a phase that crashed, a server
    that stopped answering), not of the target: any of them fails the gate.
    ``notes`` say what a run left out and why (a stateful phase without links).
    """

    target: str
    document: str
    group: str
    phases: list[str]
    operations: dict[str, OperationStats] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def stats(self, operation: str) -> OperationStats:
        """The counters of ``operation``, created on first use."""
        found = self.operations.get(operation)
        if found is None:
            found = self.operations[operation] = OperationStats()
        return found

    def add_finding(self, finding: Finding) -> None:
        """Record ``finding``, or count it again if its kind is already known."""
        for existing in self.findings:
            if existing.key == finding.key:
                existing.count += finding.count
                return
        self.findings.append(finding)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return {
            "target": self.target,
            "document": self.document,
            "group": self.group,
            "phases": list(self.phases),
            "seconds": round(self.seconds, 3),
            "operations": {
                name: {"requests": s.requests, "server_errors": s.server_errors}
                for name, s in sorted(self.operations.items())
            },
            "findings": [f.to_dict() for f in self.findings],
            "errors": list(self.errors),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        """The result that :meth:`to_dict` wrote."""
        result = cls(
            target=data["target"],
            document=data["document"],
            group=data["group"],
            phases=list(data["phases"]),
            seconds=float(data.get("seconds", 0.0)),
            errors=list(data.get("errors", [])),
            notes=list(data.get("notes", [])),
        )
        for name, counts in data.get("operations", {}).items():
            result.operations[name] = OperationStats(
                requests=dict(counts.get("requests", {})),
                server_errors=dict(counts.get("server_errors", {})),
            )
        result.findings = [Finding.from_dict(f) for f in data.get("findings", [])]
        return result
