"""Fixtures shared by the tests.

* ``app_client`` and ``client``: one app per test module, driven through
  starlette's test client, its state reset before every test;
* ``real_server``, ``mock_server`` and ``target``: a real ``bao server -dev`` and a
  mock on loopback ports, one of each per session (per xdist worker), and a test
  parametrised over both.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from identity_targets import Target, mock_target, real_target
from realserver import RealServer
from starlette.testclient import TestClient

from mockserver.app import MockApp, create_app
from mockserver.config import ServerConfig
from mockserver.server import MockServer

AppClient = tuple[MockApp, TestClient, list[BaseException]]


@pytest.fixture(scope="module")
def app_client() -> Iterator[AppClient]:
    """The app, a client on it, and the unexpected errors it raised."""
    errors: list[BaseException] = []
    app = create_app(ServerConfig(seed=7, on_error=errors.append))
    with TestClient(app, base_url="http://127.0.0.1:8200") as client:
        yield app, client, errors


@pytest.fixture
def client(app_client: AppClient) -> TestClient:
    """The module's client, on a freshly reset store with no errors recorded."""
    app, client, errors = app_client
    app.store.reset()
    errors.clear()
    return client


@pytest.fixture(scope="session")
def real_server() -> Iterator[RealServer]:
    """A real ``bao server -dev`` on a free loopback port."""
    with RealServer() as server:
        yield server


@pytest.fixture(scope="session")
def mock_server() -> Iterator[tuple[MockServer, list[BaseException]]]:
    """The mock on a free loopback port, and the unexpected errors it raised."""
    errors: list[BaseException] = []
    with MockServer(ServerConfig(port=0, on_error=errors.append)) as mock:
        yield mock, errors


@pytest.fixture(params=["mock", "real"])
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The test runs once against the mock and once against the real server."""
    if request.param == "real":
        with real_target(request.getfixturevalue("real_server")) as real:
            yield real
        return
    mock, errors = request.getfixturevalue("mock_server")
    with mock_target(mock, errors) as mocked:
        yield mocked
