"""The drift a team already knows about, so that the gate fails only on new drift.

A baseline is a JSON file kept in the repository::

    {
      "about": "...",
      "entries": [
        {"document": "published", "target": "real",
         "operation": "POST /identity/entity/id/{id}",
         "check": "status_code_conformance", "kind": "undocumented status 204",
         "why": "The server answers 204 to an update; the fragment documents 200."}
      ]
    }

An entry covers every finding with the same document, target name, operation,
check and kind. ``target`` and ``operation`` may be ``*`` (any); ``why`` says
what the server does and why the disagreement is accepted. Entries that nothing
matched in a run are *not seen*: the drift may be gone (prune it), or the run did
not reach it (fewer examples, fewer phases).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mockserver.conformance.classify import CAT_PATH
from mockserver.conformance.model import KNOWN, NEW, Finding, RunResult
from mockserver.errors import StartupError

logger = logging.getLogger(__name__)

ANY = "*"
ABOUT = (
    "Known drift between the targets and the documents. `vaultmock conformance` "
    "and `make conformance` fail only on findings no entry covers. Each entry "
    "says in `why` what the server does. Regenerate with --update-baseline, then "
    "explain the new entries."
)
UNEXPLAINED = "NEW: explain what the server does, or fix the cause"


class BaselineError(StartupError):
    """The baseline file cannot be read; the message names the file and the fix."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One known disagreement (see the module docstring)."""

    document: str
    target: str
    operation: str
    check: str
    kind: str
    why: str

    def covers(self, finding: Finding) -> bool:
        """Whether this entry accounts for ``finding``."""
        return (
            self.document == finding.document
            and self.target in (ANY, finding.target)
            and self.operation in (ANY, finding.operation)
            and self.check == finding.check
            and self.kind == finding.kind
        )

    @property
    def sort_key(self) -> tuple[str, ...]:
        """Entries are written in this order, so diffs stay small."""
        return (self.document, self.target, self.operation, self.check, self.kind)


class Baseline:
    """The entries of a baseline file, and the matching of findings against them."""

    def __init__(self, entries: Iterable[Entry] = (), path: Path | None = None) -> None:
        self.entries = list(entries)
        self.path = path

    @classmethod
    def load(cls, path: Path) -> Baseline:
        """Read ``path``; a missing file is an empty baseline.

        Raises :class:`BaselineError` naming the file and the entry at fault.
        """
        if not path.exists():
            logger.debug("no baseline at %s: every finding is new", path)
            return cls(path=path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise BaselineError(
                f"cannot read the baseline {path}: {exc}. Fix the file, or delete it "
                "and record a new one with --update-baseline"
            ) from exc
        raw = data.get("entries") if isinstance(data, dict) else None
        if not isinstance(raw, list):
            raise BaselineError(
                f'{path} is not a baseline: expected {{"entries": [...]}}. Record one '
                "with --update-baseline"
            )
        entries = []
        fields = ("document", "target", "operation", "check", "kind", "why")
        for index, item in enumerate(raw):
            if not isinstance(item, dict) or not all(
                isinstance(item.get(name), str) for name in fields
            ):
                raise BaselineError(
                    f"{path}: entry #{index} needs the text fields {', '.join(fields)}; "
                    f"got {json.dumps(item)[:200]}"
                )
            entries.append(Entry(**{name: item[name] for name in fields}))
        return cls(entries, path=path)

    def match(self, finding: Finding) -> Entry | None:
        """The entry that covers ``finding``, if any."""
        return next((entry for entry in self.entries if entry.covers(finding)), None)

    def apply(self, results: Iterable[RunResult]) -> None:
        """Mark each finding of ``results`` :data:`KNOWN` (with its reason) or :data:`NEW`."""
        for result in results:
            for finding in result.findings:
                entry = self.match(finding)
                finding.status = NEW if entry is None else KNOWN
                finding.reason = "" if entry is None else entry.why

    def not_seen(self, results: Iterable[RunResult]) -> list[Entry]:
        """Entries for runs that took place but matched none of their findings."""
        results = list(results)
        ran = {(r.document, r.target) for r in results}
        findings = [f for r in results for f in r.findings]
        return [
            entry
            for entry in self.entries
            if any(
                entry.document == document and entry.target in (ANY, target)
                for document, target in ran
            )
            and not any(entry.covers(f) for f in findings)
        ]

    def updated(self, results: Iterable[RunResult], *, prune: bool = False) -> Baseline:
        """This baseline plus an entry for every new finding of ``results``.

        With ``prune``, entries no finding matched are dropped. A new entry's
        ``why`` asks for an explanation. A finding caused by a path the server
        refuses before routing becomes one entry for every operation and target,
        since no operation has a say in it.
        """
        results = list(results)
        stale = set(self.not_seen(results)) if prune else set()
        entries = [e for e in self.entries if e not in stale]
        for result in results:
            for finding in result.findings:
                if any(entry.covers(finding) for entry in entries):
                    continue
                everywhere = finding.category == CAT_PATH
                entries.append(
                    Entry(
                        document=finding.document,
                        target=ANY if everywhere else finding.target,
                        operation=ANY if everywhere else finding.operation,
                        check=finding.check,
                        kind=finding.kind,
                        why=f"{UNEXPLAINED} ({finding.category})",
                    )
                )
        return Baseline(entries, path=self.path)

    def save(self, path: Path | None = None) -> Path:
        """Write the baseline (sorted, one entry per block) to ``path``."""
        path = path or self.path
        if path is None:
            raise BaselineError("no file to save the baseline to: give --baseline FILE")
        document: dict[str, Any] = {
            "about": ABOUT,
            "entries": [
                asdict(e) for e in sorted(self.entries, key=lambda e: e.sort_key)
            ],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
        return path
