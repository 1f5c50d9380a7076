"""The real ``bao`` command line, pointed at the mock with ``BAO_ADDR``."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator

import pytest
from realserver import RealServerError, find_bao

from mockserver.config import ServerConfig
from mockserver.server import MockServer


def _bao() -> str:
    try:
        return find_bao()
    except RealServerError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0)) as server:
        yield server


def bao(mock: MockServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BAO_ADDR": mock.url, "BAO_TOKEN": mock.root_token}
    env.pop("VAULT_ADDR", None)
    return subprocess.run(
        [_bao(), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_write_read_list(mock: MockServer) -> None:
    mock.store.reset()
    written = bao(
        mock, "write", "-format=json", "identity/entity", "name=alice", "policies=a,b"
    )
    assert written.returncode == 0, written.stderr
    entity_id = json.loads(written.stdout)["data"]["id"]

    read = bao(mock, "read", "-format=json", "identity/entity/name/alice")
    assert read.returncode == 0, read.stderr
    data = json.loads(read.stdout)["data"]
    assert (data["id"], data["policies"]) == (entity_id, ["a", "b"])

    listed = bao(mock, "list", "-format=json", "identity/entity/id")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == [entity_id]


def test_read_missing_reports_no_value(mock: MockServer) -> None:
    missing = bao(mock, "read", "identity/entity/id/nope")
    assert missing.returncode == 2
    assert "No value found at identity/entity/id/nope" in missing.stderr


def test_bad_token_is_permission_denied(mock: MockServer) -> None:
    denied = subprocess.run(
        [_bao(), "list", "identity/entity/id"],
        env={**os.environ, "BAO_ADDR": mock.url, "BAO_TOKEN": "wrong"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert denied.returncode == 2
    assert "permission denied" in denied.stderr
