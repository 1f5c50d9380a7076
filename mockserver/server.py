"""Run the mock over HTTP: in the foreground (the CLI) or in a background thread
(the pytest plugin, scripts).

The HTTP parser is h11, which accepts the ``LIST`` verb that Vault clients send.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import threading
from types import TracebackType

import uvicorn

from mockserver.app import MockApp, create_app
from mockserver.backends import Store
from mockserver.config import ServerConfig
from mockserver.errors import PortInUseError, StartupError
from mockserver.wire.guard import MAX_HEADER_BYTES

logger = logging.getLogger(__name__)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port); port 0 picks a free one.

    Raises :class:`PortInUseError` with a way out when the address is taken.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Naming the protocol matters: asyncio turns Nagle's algorithm off only on
    # sockets whose proto is IPPROTO_TCP, and accepted connections inherit it.
    # With proto 0 every response waits ~40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(
                f"{host}:{port} is already in use (another vaultmock, or a real "
                "server?). Stop it, or pick another port with --port (0 picks a "
                "free one)"
            ) from exc
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _uvicorn_config(app: MockApp, config: ServerConfig) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        http="h11",
        loop="asyncio",
        # The app's lifespan saves the state file at shutdown, before uvicorn
        # re-raises the signal that stopped it.
        lifespan="on",
        log_level=config.log_level,
        # Logging is configured by the caller; access lines come from the app's
        # own access log, which never shows a token.
        log_config=None,
        access_log=False,
        server_header=False,
        date_header=True,
        # Header blocks up to the real server's limit (1 MiB + 4 KiB); the request
        # guard answers 431 beyond it, as the real server does.
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
    )


def serve(config: ServerConfig) -> None:
    """Serve in the foreground until interrupted."""
    app = create_app(config)
    sock = bind(config.host, config.port)
    host, port = sock.getsockname()[:2]
    logger.warning("vaultmock listening on http://%s:%s (root token set)", host, port)
    server = uvicorn.Server(_uvicorn_config(app, config))
    server.run(sockets=[sock])


class MockServer:
    """A mock server on a loopback port, in a background thread.

    >>> with MockServer() as mock:               # doctest: +SKIP
    ...     hvac.Client(url=mock.url, token=mock.root_token)

    ``store`` is the live state: reset, snapshot and restore act on it directly.
    """

    def __init__(self, config: ServerConfig | None = None) -> None:
        self.config = config or ServerConfig(port=0)
        self.app = create_app(self.config)
        self.store: Store = self.app.store
        self._sock = bind(self.config.host, self.config.port)
        host, port = self._sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{port}"
        self._server = uvicorn.Server(_uvicorn_config(self.app, self.config))
        self._thread: threading.Thread | None = None

    @property
    def root_token(self) -> str:
        """The token that may do everything."""
        return self.config.root_token

    def start(self) -> MockServer:
        """Start serving; returns once the server accepts connections."""
        if self._thread is not None:
            return self
        self._thread = threading.Thread(
            target=self._run, name=f"vaultmock {self.url}", daemon=True
        )
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise StartupError(f"the mock server on {self.url} failed to start")
            self._thread.join(0.005)
        return self

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._sock]))

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._thread is None:
            self._sock.close()
            return
        self._server.should_exit = True
        self._thread.join(10)
        self._thread = None
        with contextlib.suppress(OSError):
            self._sock.close()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
