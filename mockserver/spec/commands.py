"""The ``vaultmock spec`` commands: import, lint, build, observe.

Each command takes ``--root``, the repository root holding ``spec/`` (default: the
current directory), and returns an exit code: 0 for success, 1 when it found a
problem (an unrepaired defect, a stale document, a build error), 2 for bad usage.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from mockserver.spec.errors import SpecError
from mockserver.spec.layout import OBSERVED, OUTPUT, PUBLISHED_OUTPUT, SOURCE

logger = logging.getLogger(__name__)

DEFAULT_OBSERVE_ADDRESS = "http://127.0.0.1:8210"


def _fail(error: Exception) -> int:
    print(f"vaultmock spec: {error}", file=sys.stderr)
    return 1


def cmd_import(args: argparse.Namespace) -> int:
    """``spec import``: split the published markdown into fragment files."""
    from mockserver.spec.importer import import_fragments

    root: Path = args.root
    source: Path = args.source or root / SOURCE
    try:
        written = import_fragments(source, root / "spec" / "fragments")
    except SpecError as exc:
        return _fail(exc)
    print(f"{len(written)} fragments in {root / 'spec' / 'fragments'}; see 'git diff'")
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    """``spec lint``: one line per defect; exit 1 if any defect has no repair."""
    from mockserver.spec.lint import counts, lint

    try:
        defects = lint(args.root)
    except SpecError as exc:
        return _fail(exc)
    for defect in defects:
        print(defect.line())
    unrepaired = sum(1 for d in defects if not d.repaired)
    summary = ", ".join(f"{kind} {n}" for kind, n in counts(defects).items())
    print(
        f"{len(defects)} defects ({summary or 'none'}); {unrepaired} unrepaired",
        file=sys.stderr,
    )
    return 1 if unrepaired else 0


def _outputs(root: Path) -> list[tuple[Path, str]]:
    from mockserver.spec.merge import build_document, build_published_document, dumps

    return [
        (root / OUTPUT, dumps(build_document(root))),
        (root / PUBLISHED_OUTPUT, dumps(build_published_document(root))),
    ]


def cmd_build(args: argparse.Namespace) -> int:
    """``spec build``: write the documents; with ``--check`` only compare them."""
    root: Path = args.root
    try:
        outputs = _outputs(root)
    except SpecError as exc:
        return _fail(exc)
    stale = []
    for path, text in outputs:
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    if stale:
        print(
            "vaultmock spec: out of date with a fresh build: "
            + ", ".join(str(p) for p in stale)
            + "; run 'vaultmock spec build' and commit the result",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_observe(args: argparse.Namespace) -> int:
    """``spec observe``: record what a real server on this machine answers."""
    from mockserver.spec.observe import observe, write_record

    root: Path = args.root
    # One line per request would drown the summary.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        observed = observe(root, args.address)
    except SpecError as exc:
        return _fail(exc)
    changed = write_record(root / OBSERVED, observed, args.server)
    print(
        f"observed {len(observed)} operations at {args.address}; "
        f"{root / OBSERVED} {'changed' if changed else 'unchanged'}"
    )
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``spec`` and its subcommands to the ``vaultmock`` command line."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--root",
        type=Path,
        default=Path.cwd(),
        help="repository root, the folder holding spec/ (default: the current folder)",
    )
    spec = subparsers.add_parser(
        "spec",
        help="import, lint and build the API document",
        description="Work on the API document: the published fragments, their "
        "repairs and the merged document the server serves.",
    )
    commands = spec.add_subparsers(
        dest="spec_command", metavar="COMMAND", required=True
    )

    imp = commands.add_parser(
        "import",
        parents=[common],
        help="split the published markdown into spec/fragments",
        description="Write each ```json block of the published markdown, as is, to "
        "spec/fragments/<family>/<operationId>.json.",
    )
    imp.add_argument(
        "--source",
        type=Path,
        default=None,
        help=f"the published markdown (default: <root>/{SOURCE})",
    )
    imp.set_defaults(func=cmd_import)

    lint = commands.add_parser(
        "lint",
        parents=[common],
        help="list the defects of the published fragments",
        description="Print 'file#pointer: kind: message [repaired by FILE | "
        "UNREPAIRED]' for every defect; exit 1 if any is unrepaired.",
    )
    lint.set_defaults(func=cmd_lint)

    build = commands.add_parser(
        "build",
        parents=[common],
        help=f"write {OUTPUT} (and {PUBLISHED_OUTPUT.name})",
        description="Merge the fragments, repairs and project fragments, validate "
        "the result and write it.",
    )
    build.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the committed documents differ from a fresh build",
    )
    build.set_defaults(func=cmd_build)

    obs = commands.add_parser(
        "observe",
        parents=[common],
        help=f"record a real server's answers in {OBSERVED}",
        description="Play the scenario against a throw-away real server on this "
        "machine (it creates and deletes objects, then seals the server).",
    )
    obs.add_argument(
        "--address",
        default=DEFAULT_OBSERVE_ADDRESS,
        help="the real server, loopback only (default: %(default)s)",
    )
    obs.add_argument(
        "--server",
        default="OpenBao v2.7.2",
        help="name and version of the server, written into the record",
    )
    obs.set_defaults(func=cmd_observe)
