"""The pytest plugin (``vaultmock_pytest.plugin``), exercised through ``pytester``.

Each test writes a small test file, runs pytest on it (inline, or in a
subprocess for xdist) under the strict settings a careful project uses, and
checks the outcome.
"""

from __future__ import annotations

import faker
import httpcore
import hvac
import pytest
import requests
from vaultmock_pytest import factory, handle, plugin

pytest_plugins = ["pytester"]

# Loaded once here, as the inner runs would load them: pytester unloads the
# modules a test imported when it ends, and reloading them in every test is slow
# and splits their exception classes in two.
plugin.load_server_code()
_PRELOADED = (faker, hvac, httpcore, requests, factory, handle)

STRICT_INI = """
[pytest]
addopts = --strict-markers --strict-config -p no:cacheprovider -p no:randomly
xfail_strict = true
filterwarnings = error
"""

# Plugins of this environment that have nothing to do with vaultmock; switched
# off in subprocess runs, where each worker would import them anew.
UNRELATED = ["-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:anyio"]

THREE_LINES = """
def test_entity(vaultmock_client):
    made = vaultmock_client.secrets.identity.create_or_update_entity(name="ann")
    assert vaultmock_client.secrets.identity.read_entity(made["data"]["id"])["data"]["name"] == "ann"
"""


@pytest.fixture
def strict(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester project with strict markers and config, and warnings as errors."""
    pytester.makeini(STRICT_INI)
    return pytester


def test_three_line_test_passes(strict: pytest.Pytester) -> None:
    strict.makepyfile(THREE_LINES)
    result = strict.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["vaultmock: mock over http, seed random"])


def test_three_line_test_passes_under_xdist(strict: pytest.Pytester) -> None:
    strict.makepyfile(
        THREE_LINES
        + """
import os

import pytest

@pytest.mark.parametrize("n", range(6))
def test_worker_has_its_own_server(vaultmock, n, request):
    worker = os.environ["PYTEST_XDIST_WORKER"]
    with open(request.config.rootpath / f"{worker}.url", "a") as out:
        out.write(vaultmock.url + "\\n")
    assert vaultmock.client().request("LIST", "/v1/identity/entity/id").status_code == 404
    vaultmock.client().post("/v1/identity/entity", json={"name": f"n{n}"})
"""
    )
    result = strict.runpytest_subprocess("-n", "2", *UNRELATED)
    result.assert_outcomes(passed=7)
    seen = {
        path.stem: set(path.read_text().split()) for path in strict.path.glob("gw*.url")
    }
    assert sorted(seen) == ["gw0", "gw1"]
    assert all(len(urls) == 1 for urls in seen.values())
    assert seen["gw0"] != seen["gw1"]


def test_each_test_starts_from_an_empty_mock(strict: pytest.Pytester) -> None:
    strict.makepyfile(
        """
import hvac
import pytest

@pytest.mark.parametrize("n", range(3))
def test_create(vaultmock, vaultmock_client, n):
    assert vaultmock.journal() == []
    with pytest.raises(hvac.exceptions.InvalidPath):
        vaultmock_client.secrets.identity.list_entities()
    vaultmock_client.secrets.identity.create_or_update_entity(name="ann")
    vaultmock_client.sys.enable_auth_method("userpass")
    vaultmock.fault(path="sys/health", status=503)
"""
    )
    strict.runpytest().assert_outcomes(passed=3)


def test_handle_resets_snapshots_restores_and_reads_the_journal(
    strict: pytest.Pytester,
) -> None:
    strict.makepyfile(
        """
def test_handle(vaultmock):
    client = vaultmock.client()
    assert vaultmock.url.startswith("http://127.0.0.1:")
    assert vaultmock.token == "root" and vaultmock.mode == "http" and vaultmock.is_mock
    client.post("/v1/identity/entity", json={"name": "ann"})
    saved = vaultmock.snapshot()
    client.post("/v1/identity/entity", json={"name": "bob"})
    assert sorted(client.request("LIST", "/v1/identity/entity/name").json()["data"]["keys"]) == ["ann", "bob"]

    posts = vaultmock.journal(method="POST", path="/identity/entity")
    assert [(e.status, e.body) for e in posts] == [(200, {"name": "ann"}), (200, {"name": "bob"})]
    assert [e.method for e in vaultmock.journal(path="/v1/identity/entity/name")] == ["LIST"]

    vaultmock.restore(saved)
    assert client.request("LIST", "/v1/identity/entity/name").json()["data"]["keys"] == ["ann"]
    vaultmock.reset()
    assert vaultmock.journal() == []
    assert client.request("LIST", "/v1/identity/entity/name").status_code == 404
"""
    )
    strict.runpytest().assert_outcomes(passed=1)


def test_seed_makes_ids_repeat(strict: pytest.Pytester) -> None:
    strict.makepyfile(
        """
import pytest

IDS = []

@pytest.mark.vaultmock(seed=7)
@pytest.mark.parametrize("n", range(2))
def test_seeded(vaultmock, n):
    IDS.append(vaultmock.client().post("/v1/identity/entity", json={"name": "a"}).json()["data"]["id"])

@pytest.mark.vaultmock(seed=8)
def test_other_seed(vaultmock):
    IDS.append(vaultmock.client().post("/v1/identity/entity", json={"name": "a"}).json()["data"]["id"])

def test_seed_method(vaultmock):
    vaultmock.seed(7)
    IDS.append(vaultmock.client().post("/v1/identity/entity", json={"name": "a"}).json()["data"]["id"])

def test_compare():
    assert IDS[0] == IDS[1] == IDS[3]
    assert IDS[2] != IDS[0]
"""
    )
    strict.runpytest().assert_outcomes(passed=5)


def test_marker_preloads_entities_for_one_test(strict: pytest.Pytester) -> None:
    strict.makepyfile(
        """
import pytest

pytestmark = pytest.mark.vaultmock(seed=1)

@pytest.mark.vaultmock(preload=5)
def test_preloaded(vaultmock_client):
    assert len(vaultmock_client.secrets.identity.list_entities()["data"]["keys"]) == 5

def test_not_preloaded(vaultmock):
    assert vaultmock.client().request("LIST", "/v1/identity/entity/id").status_code == 404

def test_preload_method(vaultmock):
    vaultmock.preload(3)
    assert len(vaultmock.client().request("LIST", "/v1/identity/entity/id").json()["data"]["keys"]) == 3
"""
    )
    strict.runpytest().assert_outcomes(passed=3)


def test_marker_sets_the_root_token(strict: pytest.Pytester) -> None:
    strict.makepyfile(
        """
import pytest

@pytest.mark.vaultmock(root_token="s3cret")
def test_token(vaultmock, vaultmock_token, vaultmock_client):
    assert vaultmock_token == "s3cret"
    assert "token/" in vaultmock_client.sys.list_auth_methods()["data"]
    refused = vaultmock.client(headers={"X-Vault-Token": "root"}).get("/v1/sys/auth")
    assert refused.status_code == 403

def test_default_token(vaultmock_token, vaultmock):
    assert vaultmock_token == "root"
    assert vaultmock.client(headers={"X-Vault-Token": "s3cret"}).get("/v1/sys/auth").status_code == 403
"""
    )
    strict.runpytest().assert_outcomes(passed=2)


def test_marker_starts_from_a_snapshot(strict: pytest.Pytester) -> None:
    strict.makeconftest(
        """
import json

from mockserver.backends import Store

def pytest_configure(config):
    store = Store(seed=3)
    store.entities.entity_create(name="from-snapshot")
    config.snapshot = store.snapshot()
    (config.rootpath / "state.json").write_text(json.dumps(config.snapshot))
"""
    )
    strict.makepyfile(
        """
import pytest

@pytest.mark.vaultmock(snapshot="state.json")
def test_from_file(vaultmock):
    assert vaultmock.client().get("/v1/identity/entity/name/from-snapshot").status_code == 200

def test_from_dict(vaultmock, request):
    vaultmock.restore(request.config.snapshot)
    assert vaultmock.client().get("/v1/identity/entity/name/from-snapshot").status_code == 200

def test_without(vaultmock):
    assert vaultmock.client().get("/v1/identity/entity/name/from-snapshot").status_code == 404
"""
    )
    strict.runpytest().assert_outcomes(passed=3)


def test_marker_arguments_are_checked(strict: pytest.Pytester) -> None:
    strict.makepyfile(
        """
import pytest

@pytest.mark.vaultmock(sead=1)
def test_typo(vaultmock):
    pass

@pytest.mark.vaultmock(preload=-1)
def test_negative(vaultmock):
    pass

@pytest.mark.vaultmock(snapshot="missing.json")
def test_missing_file(vaultmock):
    pass
"""
    )
    result = strict.runpytest()
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(
        [
            "*unknown argument(s) sead; it takes seed, preload, root_token, snapshot, mode*",
            "*vaultmock(preload=...) must be a whole number, 0 or more, got -1*",
            "*vaultmock(snapshot='missing.json') cannot be read*",
        ]
    )


def test_marker_is_registered(strict: pytest.Pytester) -> None:
    result = strict.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.vaultmock(*seed=None, preload=0*"])


def test_fixtures_are_documented(strict: pytest.Pytester) -> None:
    result = strict.runpytest("--fixtures")
    result.stdout.fnmatch_lines(
        [
            "*fixtures defined from vaultmock_pytest.plugin*",
            "vaultmock_settings [[]session scope[]] -- *",
            "vaultmock -- *",
            "*The server this test talks to*",
            "vaultmock_client -- *",
            "vaultmock_url -- *",
            "vaultmock_token -- *",
            "vaultmock_factory -- *",
        ]
    )


@pytest.mark.parametrize("mode", ["http", "inprocess"])
def test_an_error_inside_the_mock_fails_the_test_that_caused_it(
    strict: pytest.Pytester, mode: str
) -> None:
    strict.makepyfile(
        """
def explode(**fields):
    raise ZeroDivisionError("the backend divided by zero")

def test_client_sees_500(vaultmock, vaultmock_client, monkeypatch):
    monkeypatch.setattr(vaultmock.store.entities, "entity_create", explode)
    vaultmock_client.secrets.identity.create_or_update_entity(name="ann")

def test_500_ignored_by_the_test(vaultmock, monkeypatch):
    monkeypatch.setattr(vaultmock.store.entities, "entity_create", explode)
    assert vaultmock.client().post("/v1/identity/entity", json={"name": "a"}).status_code == 500

def test_outside_the_handlers(vaultmock, vaultmock_client, monkeypatch):
    def broken_lookup(presented):
        raise LookupError("the token table is gone")
    monkeypatch.setattr(vaultmock.store.tokens, "authenticate", broken_lookup)
    vaultmock_client.secrets.identity.list_entities()

def test_next_test_is_clean(vaultmock_client):
    vaultmock_client.secrets.identity.create_or_update_entity(name="ann")
"""
    )
    result = strict.runpytest("--vaultmock-mode", mode)
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines(
        [
            "*def explode(**fields):",
            '>       raise ZeroDivisionError("the backend divided by zero")',
            "E       ZeroDivisionError: the backend divided by zero",
            "*The above exception was the direct cause of the following exception*",
            "E   vaultmock_pytest.errors.MockServerError: the mock raised "
            "ZeroDivisionError('the backend divided by zero') while serving this "
            "test's request; the client saw InternalServerError*",
            "*_ test_500_ignored_by_the_test _*",
            "E       ZeroDivisionError: the backend divided by zero",
            "E   vaultmock_pytest.errors.MockServerError: the mock raised "
            "ZeroDivisionError('the backend divided by zero') while serving this "
            "test's request. This is a bug in vaultmock*",
            "*_ test_outside_the_handlers _*",
            "E       LookupError: the token table is gone",
            "E   vaultmock_pytest.errors.MockServerError: the mock raised "
            "LookupError('the token table is gone') while serving this test's "
            "request; the client saw*",
        ]
    )


def test_an_error_while_setting_up_is_a_setup_error(strict: pytest.Pytester) -> None:
    strict.makepyfile(
        """
import pytest

@pytest.fixture
def broken(vaultmock, monkeypatch):
    def explode(**fields):
        raise KeyError("lost")
    monkeypatch.setattr(vaultmock.store.entities, "entity_create", explode)
    vaultmock.client().post("/v1/identity/entity", json={"name": "a"})

def test_uses_broken(broken):
    pass
"""
    )
    result = strict.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_uses_broken*",
            "E   *MockServerError: the mock raised KeyError('lost')*",
        ]
    )


def test_fault_injection_is_cleared_between_tests(strict: pytest.Pytester) -> None:
    strict.makepyfile(
        """
import hvac
import pytest

def test_faulty(vaultmock, vaultmock_client):
    vaultmock.fault(path="identity/entity*", status=503, times=1)
    with pytest.raises(hvac.exceptions.VaultDown):
        vaultmock_client.secrets.identity.create_or_update_entity(name="ann")
    vaultmock_client.secrets.identity.create_or_update_entity(name="ann")

def test_sealed(vaultmock, vaultmock_client):
    vaultmock.faults.sealed = True
    assert vaultmock_client.sys.is_sealed()

def test_clean(vaultmock_client):
    assert not vaultmock_client.sys.is_sealed()
    vaultmock_client.secrets.identity.create_or_update_entity(name="ann")
"""
    )
    strict.runpytest().assert_outcomes(passed=3)


def test_inprocess_mode_serves_without_a_socket(strict: pytest.Pytester) -> None:
    strict.makepyfile(
        """
import asyncio
import socket

def test_no_socket(vaultmock, vaultmock_client, vaultmock_url, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("in-process mode opened a socket")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert vaultmock.mode == "inprocess"
    assert vaultmock_url == "http://vaultmock.invalid"
    made = vaultmock_client.secrets.identity.create_or_update_entity(name="ann")
    assert vaultmock_client.secrets.identity.list_entities()["data"]["keys"] == [made["data"]["id"]]
    assert [e.method for e in vaultmock.journal(path="/identity/entity/id")] == ["LIST"]

def test_from_an_async_test(vaultmock):
    async def inside_a_loop():
        return vaultmock.client().get("/v1/sys/health").json()["sealed"]
    assert asyncio.run(inside_a_loop()) is False
"""
    )
    result = strict.runpytest("--vaultmock-mode", "inprocess")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["vaultmock: mock over inprocess, seed random"])


def test_modes_can_be_mixed_in_one_session(strict: pytest.Pytester) -> None:
    strict.makepyfile(
        """
import pytest

@pytest.mark.vaultmock(mode="inprocess")
def test_inprocess(vaultmock, vaultmock_client):
    assert vaultmock.mode == "inprocess"
    vaultmock_client.secrets.identity.create_or_update_entity(name="ann")

def test_http(vaultmock, vaultmock_client):
    assert vaultmock.mode == "http"
    vaultmock_client.secrets.identity.create_or_update_entity(name="ann")
"""
    )
    strict.runpytest().assert_outcomes(passed=2)


def test_settings_fixture_can_be_overridden(strict: pytest.Pytester) -> None:
    strict.makeconftest(
        """
import pytest
import vaultmock_pytest

@pytest.fixture(scope="session")
def vaultmock_settings():
    return vaultmock_pytest.Settings(mode="inprocess", root_token="from-conftest")
"""
    )
    strict.makepyfile(
        """
def test_settings(vaultmock):
    assert (vaultmock.mode, vaultmock.token) == ("inprocess", "from-conftest")
"""
    )
    strict.runpytest().assert_outcomes(passed=1)


def test_plugin_can_be_switched_off(strict: pytest.Pytester) -> None:
    strict.makepyfile(
        """
def test_without(vaultmock):
    pass
"""
    )
    result = strict.runpytest("-p", "no:vaultmock")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'vaultmock' not found*"])
