"""Logging in as an entity in one line (``VaultFactory.login_as``), through
pytester: the same test file proves a refusal on the mock and on a real
``bao server -dev`` (``--vaultmock-target``)."""

from __future__ import annotations

import faker
import httpcore
import hvac
import pytest
import requests
from realserver import RealServer
from vaultmock_pytest import factory, handle, plugin

pytest_plugins = ["pytester"]

# Loaded once here, as the inner runs would load them (see test_plugin_factory).
plugin.load_server_code()
_PRELOADED = (faker, hvac, httpcore, requests, factory, handle)

STRICT_INI = """
[pytest]
addopts = --strict-markers --strict-config -p no:cacheprovider
xfail_strict = true
filterwarnings = error
"""

REFUSALS = """
import hvac
import pytest

READ_GROUPS = 'path "identity/group/name/*" { capabilities = ["read"] }'

def test_entity_with_a_policy_is_refused(vaultmock_factory):
    reader = vaultmock_factory.policy(READ_GROUPS)
    client = vaultmock_factory.login_as("svc-reader", policies=[reader]).client()
    assert client.get("/v1/identity/group/name/nobody").status_code == 404
    refused = client.post("/v1/identity/group", json={"name": "mine"})
    assert refused.status_code == 403
    assert refused.json() == {"errors": ["1 error occurred:\\n\\t* permission denied\\n\\n"]}

def test_hvac_raises_forbidden(vaultmock_factory):
    ann = vaultmock_factory.entity(policies=[vaultmock_factory.policy(READ_GROUPS)])
    login = vaultmock_factory.login_as(ann)
    assert login.entity_id == ann.id
    assert login.policies == ("default",)
    assert login.identity_policies == ann.policies
    with pytest.raises(hvac.exceptions.Forbidden):
        login.hvac_client().secrets.identity.create_or_update_group(name="mine")

def test_policy_change_applies_without_a_new_login(vaultmock_factory, vaultmock_client):
    login = vaultmock_factory.login_as()
    client = login.client()
    assert client.get("/v1/identity/group/name/g").status_code == 403
    reader = vaultmock_factory.policy(READ_GROUPS)
    vaultmock_client.secrets.identity.update_entity(login.entity_id, policies=[reader])
    assert client.get("/v1/identity/group/name/g").status_code == 404

def test_token_policies(vaultmock_factory):
    reader = vaultmock_factory.policy(READ_GROUPS)
    login = vaultmock_factory.login_as(token_policies=[reader])
    assert login.policies == tuple(sorted(["default", reader]))
    assert login.client().get("/v1/identity/group/name/g").status_code == 404
"""


@pytest.fixture
def strict(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(STRICT_INI)
    pytester.makepyfile(REFUSALS)
    return pytester


def test_login_as_on_the_mock(strict: pytest.Pytester) -> None:
    strict.runpytest().assert_outcomes(passed=4)


def test_login_as_against_a_real_server(
    strict: pytest.Pytester, real_server: RealServer
) -> None:
    result = strict.runpytest(
        "--vaultmock-target", real_server.url, "--vaultmock-token", "root"
    )
    result.assert_outcomes(passed=4)
