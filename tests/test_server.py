from __future__ import annotations

import socket

import httpx
import pytest

from mockserver.config import ServerConfig
from mockserver.errors import PortInUseError
from mockserver.server import MockServer, bind


def test_mock_server_serves_on_a_free_loopback_port() -> None:
    with MockServer(ServerConfig(port=0)) as mock:
        assert mock.url.startswith("http://127.0.0.1:")
        answer = httpx.request(
            "LIST",
            f"{mock.url}/v1/identity/entity/id",
            headers={"X-Vault-Token": mock.root_token},
        )
        assert (answer.status_code, answer.json()) == (404, {"errors": []})
        mock.store.entities.entity_create(name="direct")
        listed = httpx.request(
            "LIST",
            f"{mock.url}/v1/identity/entity/name",
            headers={"X-Vault-Token": mock.root_token},
        )
        assert listed.json()["data"]["keys"] == ["direct"]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{mock.url}/v1/sys/health", timeout=2)


def test_a_taken_port_is_a_startup_error_that_says_what_to_do() -> None:
    taken = bind("127.0.0.1", 0)
    try:
        port = taken.getsockname()[1]
        with pytest.raises(PortInUseError, match=r"already in use.*--port"):
            bind("127.0.0.1", port)
    finally:
        taken.close()


def test_bound_sockets_are_tcp_so_replies_are_not_delayed() -> None:
    sock = bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_the_root_token_is_configurable() -> None:
    with MockServer(ServerConfig(port=0, root_token="s.custom")) as mock:
        assert mock.root_token == "s.custom"
        ok = httpx.get(f"{mock.url}/v1/sys/auth", headers={"X-Vault-Token": "s.custom"})
        denied = httpx.get(f"{mock.url}/v1/sys/auth", headers={"X-Vault-Token": "root"})
        assert (ok.status_code, denied.status_code) == (200, 403)
