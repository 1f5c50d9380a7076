"""The ``vaultmock conformance`` command.

::

    vaultmock conformance                                   # the mock, both documents
    vaultmock conformance --target https://vault.example:8200 --token "$VAULT_TOKEN"
    vaultmock conformance --dev-server --mock --differential  # what `make conformance` checks

Exit codes: 0 when no finding is new and the runs went through, 1 when the gate
fails (new drift, or a run error), 2 when the run cannot start (no server at the
address, an unreadable baseline).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from mockserver.conformance.baseline import Baseline
from mockserver.conformance.documents import (
    GROUPS,
    OTHER,
    group_names,
    group_of,
    load,
    operations,
)
from mockserver.conformance.model import DOCUMENTS, PHASES, RunResult
from mockserver.conformance.report import passed, terminal_summary, write_reports
from mockserver.conformance.runner import Settings, run_group
from mockserver.conformance.targets import (
    DevServer,
    Target,
    TargetError,
    check_reachable,
    mock_target,
    server_target,
)

logger = logging.getLogger(__name__)

DEFAULT_BASELINE = Path("conformance-baseline.json")
DEFAULT_REPORT_DIR = Path("reports/conformance")


def _phases(text: str) -> tuple[str, ...]:
    chosen = tuple(p.strip() for p in text.split(",") if p.strip())
    unknown = [p for p in chosen if p not in PHASES]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown phase {', '.join(unknown) or '(none given)'}: choose among "
            f"{', '.join(PHASES)}, separated by commas"
        )
    return chosen


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive whole number")
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``conformance`` to the ``vaultmock`` command line."""
    parser = subparsers.add_parser(
        "conformance",
        help="check the mock and a server against the API documents",
        description="Run schemathesis (examples, coverage, fuzzing, stateful "
        "sequences) and a token probe over every operation of the repaired and the "
        "published API documents, against the mock and/or a running server; "
        "compare the findings with a baseline of known drift; write JSON, JUnit XML "
        "and Markdown reports. The run creates and deletes objects on the server: "
        "point it at a test deployment.",
    )
    parser.add_argument(
        "--target",
        metavar="URL",
        help="a running Vault-compatible server, as http(s)://HOST:PORT",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("VAULT_TOKEN"),
        help="token for --target, with rights on identity/, auth/ and sys/ "
        "(default: $VAULT_TOKEN)",
    )
    parser.add_argument(
        "--name",
        default="real",
        help="the server's name in reports and baseline entries (default: %(default)s)",
    )
    parser.add_argument(
        "--dev-server",
        action="store_true",
        help="start a fresh `bao server -dev` on 127.0.0.1 as the server to test",
    )
    parser.add_argument(
        "--mock",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="test the mock too (default: only when no server is given)",
    )
    parser.add_argument(
        "--document",
        choices=(*DOCUMENTS, "both"),
        default="both",
        help="the document to check against (default: %(default)s)",
    )
    parser.add_argument(
        "--group",
        action="append",
        choices=(*GROUPS, OTHER),
        help="only these groups of operations (repeatable; default: all)",
    )
    parser.add_argument(
        "--operation",
        action="append",
        metavar="'METHOD /path'",
        help="only this operation, e.g. 'POST /identity/entity' (repeatable)",
    )
    parser.add_argument(
        "--phases",
        type=_phases,
        default=PHASES,
        help=f"comma-separated phases (default: {','.join(PHASES)})",
    )
    parser.add_argument(
        "--max-examples",
        type=_positive,
        default=10,
        help="generated cases per operation, and stateful sequences (default: %(default)s)",
    )
    parser.add_argument(
        "--stateful-steps",
        type=_positive,
        default=10,
        help="longest stateful sequence (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
    parser.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="threads sending requests (default: %(default)s)",
    )
    parser.add_argument(
        "--differential",
        action="store_true",
        help="also play the differential scenario on the server and the mock and "
        "compare them (needs a server)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        default=DEFAULT_BASELINE,
        help="the known drift (default: %(default)s; missing means none)",
    )
    parser.add_argument(
        "--update-baseline",
        action="store_true",
        help="add every new finding to the baseline file, then explain each",
    )
    parser.add_argument(
        "--prune-baseline",
        action="store_true",
        help="with --update-baseline: drop entries this run did not see",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=DEFAULT_REPORT_DIR,
        help="where summary.md, junit.xml and conformance.json go (default: %(default)s)",
    )
    parser.set_defaults(func=run_command)


@contextlib.contextmanager
def _server(args: argparse.Namespace) -> Iterator[Target | None]:
    if args.target and args.dev_server:
        raise SystemExit(
            "vaultmock conformance: give --target or --dev-server, not both"
        )
    if args.dev_server:
        with DevServer() as dev:
            yield dev.target(args.name)
        return
    if not args.target:
        yield None
        return
    if not args.token:
        raise SystemExit(
            "vaultmock conformance: --target needs a token: pass --token or set VAULT_TOKEN"
        )
    target = server_target(args.target, args.token, name=args.name)
    check_reachable(target)
    if not target.is_loopback:
        print(
            f"vaultmock conformance: testing {target.url}; the run creates, changes and "
            "deletes identity objects, auth mounts and policies there",
            file=sys.stderr,
        )
    yield target


def _groups(args: argparse.Namespace, document: str) -> list[str]:
    doc = load(document)
    present = group_names(doc)
    if args.operation:
        wanted = {
            group_of(op.path) for op in operations(doc) if op.label in args.operation
        }
        present = [g for g in present if g in wanted]
    return [g for g in present if not args.group or g in args.group]


def _progress(result: RunResult) -> None:
    new = sum(1 for f in result.findings if f.status == "new")
    requests = sum(s.total for s in result.operations.values())
    print(
        f"{result.target} / {result.document} / {result.group}: {requests} requests, "
        f"{len(result.findings)} findings ({new} new), {len(result.errors)} errors "
        f"[{result.seconds:.1f} s]",
        file=sys.stderr,
    )


def run_command(args: argparse.Namespace) -> int:
    """Run ``vaultmock conformance``; returns the exit code."""
    try:
        import schemathesis  # noqa: F401
    except ImportError as exc:
        raise TargetError(
            "vaultmock conformance needs schemathesis, which is not installed: "
            "pip install 'vaultmock[test]'"
        ) from exc
    settings = Settings(
        phases=args.phases,
        max_examples=args.max_examples,
        stateful_steps=args.stateful_steps,
        seed=args.seed,
        workers=args.workers,
    )
    documents = DOCUMENTS if args.document == "both" else (args.document,)
    baseline = Baseline.load(args.baseline)
    results: list[RunResult] = []
    with _server(args) as server:
        use_mock = args.mock if args.mock is not None else server is None
        if args.differential:
            if server is None:
                raise SystemExit(
                    "vaultmock conformance: --differential compares the mock with a "
                    "server: give --target or --dev-server"
                )
            from mockserver.conformance.differential import compare

            with mock_target() as mock:
                results.append(compare(server, mock))
            baseline.apply(results[-1:])
            _progress(results[-1])
        for document in documents:
            for group in _groups(args, document):
                if use_mock:
                    with mock_target() as mock:
                        results.append(
                            run_group(
                                mock, document, group, settings, only=args.operation
                            )
                        )
                    baseline.apply(results[-1:])
                    _progress(results[-1])
                if server is not None:
                    results.append(
                        run_group(
                            server, document, group, settings, only=args.operation
                        )
                    )
                    baseline.apply(results[-1:])
                    _progress(results[-1])
    meta = {
        "phases": ",".join(settings.phases),
        "max_examples": settings.max_examples,
        "stateful_steps": settings.stateful_steps,
        "seed": settings.seed,
    }
    not_seen = baseline.not_seen(results)
    paths = write_reports(args.report_dir, results, not_seen, meta)
    print(terminal_summary(results, args.report_dir))
    if args.update_baseline:
        saved = baseline.updated(results, prune=args.prune_baseline).save(args.baseline)
        print(f"baseline written to {saved}: explain each new entry's 'why'")
        return 0
    logger.debug("reports: %s", paths)
    return 0 if passed(results) else 1
