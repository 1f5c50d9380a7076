"""The ``vaultmock_factory`` fixture (``vaultmock_pytest.factory``), through pytester."""

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
addopts = --strict-markers --strict-config -p no:cacheprovider
xfail_strict = true
filterwarnings = error
"""


@pytest.fixture
def strict(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester project with strict markers and config, and warnings as errors."""
    pytester.makeini(STRICT_INI)
    return pytester


def test_factory_makes_realistic_objects(strict: pytest.Pytester) -> None:
    strict.makepyfile(
        """
import re

def test_entity(vaultmock_factory, vaultmock_client):
    ann = vaultmock_factory.entity()
    assert re.fullmatch(r"[a-z']+\\.[a-z']+", ann.name), ann.name
    assert set(ann.metadata) == {"email", "team", "title"}
    assert ann.policies == ("default", f"team-{ann.metadata['team']}")
    [alias] = ann.aliases
    assert alias.mount_path == "userpass/" and alias.canonical_id == ann.id
    read = vaultmock_client.secrets.identity.read_entity(ann.id)["data"]
    assert read["name"] == ann.name
    assert [a["name"] for a in read["aliases"]] == [alias.name]

def test_entity_arguments(vaultmock_factory, vaultmock_client):
    bob = vaultmock_factory.entity("bob", aliases=["userpass", "approle"], policies=["ops"], metadata={"k": "v"})
    assert (bob.name, bob.policies, bob.metadata) == ("bob", ("ops",), {"k": "v"})
    assert [a.mount_path for a in bob.aliases] == ["userpass/", "approle/"]
    assert vaultmock_factory.entity(aliases=0).aliases == ()
    assert len(vaultmock_factory.entities(3)) == 3
    assert len(vaultmock_client.secrets.identity.list_entities()["data"]["keys"]) == 5

def test_group(vaultmock_factory, vaultmock_client):
    ann = vaultmock_factory.entity()
    team = vaultmock_factory.group(members=[ann])
    read = vaultmock_client.secrets.identity.read_group(team.id)["data"]
    assert read["member_entity_ids"] == [ann.id]
    assert read["name"] == team.name
    crowd = vaultmock_factory.group(members=3)
    assert len(crowd.member_entity_ids) == 3

def test_oidc_role(vaultmock_factory):
    role = vaultmock_factory.oidc_role()
    assert role.key == "default" and role.client_id
    key = vaultmock_factory.oidc_key()
    assert vaultmock_factory.oidc_role(key=key, ttl="1h").key == key
"""
    )
    strict.runpytest().assert_outcomes(passed=4)


def test_names_repeat_from_one_run_to_the_next(strict: pytest.Pytester) -> None:
    strict.makepyfile(
        """
import pytest

@pytest.mark.parametrize("n", range(2))
def test_names(vaultmock_factory, request, n):
    with open(request.config.rootpath / "names.txt", "a") as out:
        out.write(f"{request.node.name} {vaultmock_factory.entity().name}\\n")

@pytest.mark.vaultmock(seed=5)
def test_seeded(vaultmock_factory, request):
    with open(request.config.rootpath / "names.txt", "a") as out:
        out.write(f"seeded {vaultmock_factory.entity().name}\\n")
"""
    )
    strict.runpytest().assert_outcomes(passed=3)
    strict.runpytest().assert_outcomes(passed=3)
    lines = (strict.path / "names.txt").read_text().splitlines()
    assert lines[:3] == lines[3:]
    assert len({line.split()[1] for line in lines[:3]}) == 3


def test_factory_says_when_the_mock_lacks_a_family(strict: pytest.Pytester) -> None:
    strict.makepyfile(
        """
import pytest
from vaultmock_pytest import FactoryError, NotImplementedByMock

def test_unbuilt(vaultmock, vaultmock_factory):
    vaultmock.fault(path="identity/group", status=501, errors=["vaultmock does not implement 'group-create' yet"])
    with pytest.raises(NotImplementedByMock) as raised:
        vaultmock_factory.group()
    assert raised.value.status == 501
    assert "the mock does not implement POST /v1/identity/group yet" in str(raised.value)
    assert "--vaultmock-target" in str(raised.value)

def test_refused(vaultmock_factory):
    with pytest.raises(FactoryError, match="answered 400"):
        vaultmock_factory.group(member_groups=["no-such-group"])
"""
    )
    strict.runpytest().assert_outcomes(passed=2)
