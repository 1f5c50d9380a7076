"""The ``vaultmock`` command.

Every option of ``serve`` can also come from an environment variable
(``VAULTMOCK_HOST``, ``VAULTMOCK_PORT``, ``VAULTMOCK_ROOT_TOKEN``, ``VAULTMOCK_SEED``,
``VAULTMOCK_PRELOAD``, ``VAULTMOCK_LOG_LEVEL``); a flag wins over the variable.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from mockserver import __version__
from mockserver.config import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_ROOT_TOKEN,
    ServerConfig,
)
from mockserver.errors import StartupError

logger = logging.getLogger(__name__)

LOG_LEVELS = ("debug", "info", "warning", "error")


def _env(name: str, default: str) -> str:
    return os.environ.get(f"VAULTMOCK_{name}", default)


def _int_env(name: str, default: int | None) -> int | None:
    raw = os.environ.get(f"VAULTMOCK_{name}")
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(
            f"vaultmock: VAULTMOCK_{name}={raw!r} is not a whole number"
        ) from None


def _add_serve(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="run the mock server",
        description="Serve the identity API on HOST:PORT until interrupted.",
    )
    serve.add_argument(
        "--host",
        default=_env("HOST", DEFAULT_HOST),
        help="address to listen on (default: %(default)s, loopback only)",
    )
    serve.add_argument(
        "--port",
        type=int,
        default=_int_env("PORT", DEFAULT_PORT),
        help="port to listen on, 0 for any free one (default: %(default)s)",
    )
    serve.add_argument(
        "--root-token",
        default=_env("ROOT_TOKEN", DEFAULT_ROOT_TOKEN),
        help="the token that may do everything (default: %(default)s)",
    )
    serve.add_argument(
        "--seed",
        type=int,
        default=_int_env("SEED", None),
        help="make every generated id, name and timestamp repeat",
    )
    serve.add_argument(
        "--preload",
        type=int,
        default=_int_env("PRELOAD", 0),
        metavar="N",
        help="start with N realistic entities with userpass aliases",
    )
    serve.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        default=_env("LOG_LEVEL", "warning"),
        help="(default: %(default)s)",
    )
    serve.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    from mockserver.server import serve

    if args.preload < 0:
        raise SystemExit("vaultmock: --preload takes a number of entities, 0 or more")
    serve(
        ServerConfig(
            host=args.host,
            port=args.port,
            root_token=args.root_token,
            seed=args.seed,
            preload=args.preload,
            log_level=args.log_level,
        )
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``vaultmock``."""
    parser = argparse.ArgumentParser(
        prog="vaultmock",
        description="Mock and contract-test kit for the Vault identity API.",
    )
    parser.add_argument(
        "--version", action="version", version=f"vaultmock {__version__}"
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    _add_serve(subparsers)
    try:
        from mockserver.spec.commands import register
    except ImportError:  # pragma: no cover - the spec tools ship with the package
        logger.debug("spec commands unavailable")
    else:
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``vaultmock``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = getattr(args, "log_level", "warning")
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        code: int = args.func(args)
    except StartupError as exc:
        print(f"vaultmock: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
