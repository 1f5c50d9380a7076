"""Fixtures shared by the HTTP tests of the handlers: one app per test module,
driven through starlette's test client, its state reset before every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mockserver.app import MockApp, create_app
from mockserver.config import ServerConfig

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
