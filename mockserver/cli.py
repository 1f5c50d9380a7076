"""The ``vaultmock`` command.

Every option of ``serve`` can also come from an environment variable
(``VAULTMOCK_HOST``, ``VAULTMOCK_PORT``, ``VAULTMOCK_ROOT_TOKEN``, ``VAULTMOCK_SEED``,
``VAULTMOCK_PRELOAD``, ``VAULTMOCK_LOG_LEVEL``, ``VAULTMOCK_LOG_FORMAT``,
``VAULTMOCK_STATE_FILE``, ``VAULTMOCK_ADMIN_AUTH``, ``VAULTMOCK_SEALED``, and
``VAULTMOCK_FAULTS`` with several faults separated by ``;``); a flag wins over the
variable.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from mockserver import __version__
from mockserver.backends.seed import MAX_PRELOAD
from mockserver.config import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_ROOT_TOKEN,
    ServerConfig,
)
from mockserver.errors import StartupError
from mockserver.wire.faults import FaultRule, FaultSpecError

logger = logging.getLogger(__name__)

LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMATS = ("text", "json")
ADMIN_AUTH = ("auto", "token", "off")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


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


def _bool_env(name: str) -> bool:
    raw = os.environ.get(f"VAULTMOCK_{name}", "").strip().lower()
    if raw not in _TRUE + _FALSE:
        raise SystemExit(f"vaultmock: VAULTMOCK_{name}={raw!r} is not true or false")
    return raw in _TRUE


def _fault(text: str) -> FaultRule:
    try:
        return FaultRule.parse(text)
    except FaultSpecError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _env_faults() -> list[FaultRule]:
    raw = os.environ.get("VAULTMOCK_FAULTS", "")
    try:
        return [FaultRule.parse(item) for item in raw.split(";") if item.strip()]
    except FaultSpecError as exc:
        raise SystemExit(f"vaultmock: VAULTMOCK_FAULTS: {exc}") from None


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
    serve.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default=_env("LOG_FORMAT", "text"),
        help="text, or json for one JSON object per line (default: %(default)s)",
    )
    serve.add_argument(
        "--state-file",
        type=Path,
        default=_env("STATE_FILE", "") or None,
        metavar="PATH",
        help="load the state from PATH at start and save it there at shutdown",
    )
    serve.add_argument(
        "--fault",
        type=_fault,
        action="append",
        default=None,
        metavar="SPEC",
        help="inject a fault, e.g. status=503,path=/v1/identity/entity/*,times=2 "
        "(keys: path, regex, methods, status, error, latency, rate, times); "
        "repeatable",
    )
    serve.add_argument(
        "--sealed",
        action=argparse.BooleanOptionalAction,
        default=_bool_env("SEALED"),
        help="answer like a sealed server until POST /_vaultmock/unseal",
    )
    serve.add_argument(
        "--admin-auth",
        choices=ADMIN_AUTH,
        default=_env("ADMIN_AUTH", "auto"),
        help="when the admin API (/_vaultmock) needs the root token: auto (unless "
        "listening on loopback), token (always), off (never) (default: %(default)s)",
    )
    serve.set_defaults(func=_serve)


def serve_config(args: argparse.Namespace) -> ServerConfig:
    """The server settings of parsed ``serve`` arguments.

    ``--fault`` flags replace the faults of ``VAULTMOCK_FAULTS`` rather than add
    to them, as every other flag replaces its variable.
    """
    if not 0 <= args.preload <= MAX_PRELOAD:
        raise SystemExit(
            f"vaultmock: --preload takes a number of entities from 0 to {MAX_PRELOAD:,}"
        )
    return ServerConfig(
        host=args.host,
        port=args.port,
        root_token=args.root_token,
        seed=args.seed,
        preload=args.preload,
        log_level=args.log_level,
        log_format=args.log_format,
        state_file=args.state_file,
        faults=tuple(args.fault if args.fault is not None else _env_faults()),
        sealed=args.sealed,
        admin_auth=args.admin_auth,
    )


def _serve(args: argparse.Namespace) -> int:
    from mockserver.server import serve

    serve(serve_config(args))
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
    try:
        from mockserver.conformance.command import register as register_conformance
    except ImportError:  # pragma: no cover - ships with the package
        logger.debug("conformance command unavailable")
    else:
        register_conformance(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``vaultmock``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = getattr(args, "log_level", "warning")
    handler = logging.StreamHandler()
    if getattr(args, "log_format", "text") == "json":
        from mockserver.wire.accesslog import JsonFormatter

        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
    logging.basicConfig(level=level.upper(), handlers=[handler])
    # Warnings go through the same handler, so a JSON log stays all JSON.
    logging.captureWarnings(True)
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
