"""The MFA backend: methods of each type, and login enforcements."""

from __future__ import annotations

import base64
import json
import re

import pytest

from mockserver.backends import Store
from mockserver.backends.mfa import MFABackend, ServerError
from mockserver.errors import InvalidRequest, NotFound, UnsupportedPath

UNKNOWN = "00000000-0000-0000-0000-000000000000"
PINGID = base64.b64encode(
    b"use_signature=true\nidp_url=https://idp.example.com/pingid\n"
    b"org_alias=orgx\nadmin_url=https://admin.example.com\n"
    b"authenticator_url=https://auth.example.com\n"
).decode()


@pytest.fixture
def store() -> Store:
    return Store(seed=3)


@pytest.fixture
def mfa(store: Store) -> MFABackend:
    return store.mfa


def test_totp_method_defaults_and_full_replacement(mfa: MFABackend) -> None:
    method = mfa.mfa_create_method(
        "totp", {"issuer": "Acme", "period": 60, "digits": 8, "algorithm": "SHA256"}
    )
    assert mfa.mfa_read_method("totp", method.id).view() == {
        "algorithm": "SHA256",
        "digits": 8,
        "id": method.id,
        "issuer": "Acme",
        "key_size": 20,
        "max_validation_attempts": 5,
        "name": "",
        "namespace_id": "root",
        "namespace_path": "",
        "period": 60,
        "qr_size": 200,
        "skew": 1,
        "type": "totp",
    }
    mfa.mfa_configure_method("totp", method.id, {"issuer": "B", "method_name": "t"})
    view = mfa.mfa_read_method(None, method.id).view()
    assert (view["issuer"], view["name"], view["period"], view["digits"]) == (
        "B",
        "t",
        30,
        6,
    )
    # An update without a name keeps the name; everything else is replaced.
    mfa.mfa_configure_method("totp", method.id, {"issuer": "C", "period": "2m"})
    view = mfa.mfa_read_method(None, method.id).view()
    assert (view["issuer"], view["name"], view["period"]) == ("C", "t", 120)


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("abc", 'time: invalid duration "abc"'),
        (-5, "cannot provide negative value '-5'"),
        (0, "period must be greater than zero"),
    ],
)
def test_totp_period_refusals(mfa: MFABackend, period: object, message: str) -> None:
    with pytest.raises(InvalidRequest, match=re.escape(message)):
        mfa.mfa_create_method("totp", {"issuer": "A", "period": period})


def test_okta_view_shows_what_was_given(mfa: MFABackend) -> None:
    base = {"org_name": "o", "api_token": "t"}
    views = [
        mfa.mfa_create_method("okta", {**base, **extra}).view()
        for extra in ({}, {"production": False}, {"base_url": "example.com"})
    ]
    assert (views[0]["base_url"], "production" in views[0]) == ("okta.com", False)
    assert (views[1]["production"], "base_url" in views[1]) == (False, False)
    assert (views[2]["base_url"], "production" in views[2]) == ("example.com", False)


@pytest.mark.parametrize(
    ("type_", "body", "message"),
    [
        ("totp", {}, "issuer must be set"),
        ("totp", {"issuer": "a", "algorithm": "MD5"}, "unrecognized algorithm"),
        ("totp", {"issuer": "a", "digits": 7}, "digits can only be 6 or 8"),
        ("totp", {"issuer": "a", "period": 0}, "period must be greater than zero"),
        ("totp", {"issuer": "a", "skew": 2}, "skew must be 0 or 1"),
        ("okta", {}, "org_name must be set"),
        ("okta", {"org_name": "a"}, "api_token must be set"),
        ("duo", {}, "secret_key is empty"),
        ("duo", {"secret_key": "s", "integration_key": "i"}, "api_hostname is empty"),
        ("pingid", {}, "settings_file_base64 is empty"),
        ("pingid", {"settings_file_base64": "YWJj"}, "not in key=value format"),
    ],
)
def test_method_validation(
    mfa: MFABackend, type_: str, body: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidRequest, match=message):
        mfa.mfa_create_method(type_, body)


def test_views_of_each_type(mfa: MFABackend) -> None:
    okta = mfa.mfa_create_method("okta", {"org_name": "acme", "api_token": "t"})
    duo = mfa.mfa_create_method(
        "duo", {"secret_key": "s", "integration_key": "i", "api_hostname": "h"}
    )
    ping = mfa.mfa_create_method("pingid", {"settings_file_base64": PINGID})
    assert okta.view()["base_url"] == "okta.com"
    assert "api_token" not in okta.view()
    assert duo.view()["pushinfo"] == ""
    assert "secret_key" not in duo.view()
    assert ping.view()["org_alias"] == "orgx"
    assert ping.view()["use_signature"] is True
    assert [m.id for m in mfa.mfa_list_methods()] == sorted([okta.id, duo.id, ping.id])
    assert [m.id for m in mfa.mfa_list_methods("duo")] == [duo.id]
    with pytest.raises(NotFound):
        mfa.mfa_list_methods("totp")


def test_method_lookups_and_deletes(mfa: MFABackend) -> None:
    totp = mfa.mfa_create_method("totp", {"issuer": "a"})
    with pytest.raises(InvalidRequest, match="under MFA type okta"):
        mfa.mfa_read_method("okta", totp.id)
    with pytest.raises(NotFound):
        mfa.mfa_read_method(None, UNKNOWN)
    with pytest.raises(UnsupportedPath):
        mfa.mfa_read_method(None, "nope")
    mfa.mfa_configure_method("totp", UNKNOWN, {"issuer": "x"})
    assert UNKNOWN not in mfa.methods
    with pytest.raises(ServerError, match="does not match the MFA config type"):
        mfa.mfa_delete_method("okta", totp.id)
    mfa.mfa_delete_method("totp", UNKNOWN)
    mfa.mfa_delete_method("totp", totp.id)
    assert mfa.methods == {}


def test_create_with_an_existing_name_replaces_that_method(mfa: MFABackend) -> None:
    totp = mfa.mfa_create_method("totp", {"issuer": "a", "method_name": "m"})
    again = mfa.mfa_create_method(
        "okta", {"org_name": "o", "api_token": "t", "method_name": "m"}
    )
    assert again.id == totp.id
    assert mfa.mfa_read_method(None, totp.id).type == "okta"


def test_login_enforcement(store: Store, mfa: MFABackend) -> None:
    entity, _ = store.entities.entity_create(name="alice")
    store.mounts.sys_auth_enable("userpass", "userpass")
    accessor = store.mounts.mounts["userpass/"].accessor
    method = mfa.mfa_create_method("totp", {"issuer": "a"})
    with pytest.raises(InvalidRequest, match="missing method ids"):
        mfa.mfa_write_login_enforcement("e", auth_method_types=["userpass"])
    with pytest.raises(InvalidRequest, match="One of auth_method_accessors"):
        mfa.mfa_write_login_enforcement("e", mfa_method_ids=[method.id])
    bad: list[tuple[dict[str, list[str]], str]] = [
        ({"mfa_method_ids": ["nope"]}, "method ids doesn't exist"),
        ({"auth_method_accessors": ["nope"]}, "accessors provided is invalid"),
        ({"auth_method_types": ["nosuch"]}, "types provided is invalid"),
        # A known type counts only once a mount of it is enabled.
        ({"auth_method_types": ["ldap"]}, "types provided is invalid"),
        ({"identity_entity_ids": ["nope"]}, "entity ids doesn't exist"),
        ({"identity_group_ids": ["nope"]}, "group ids doesn't exist"),
    ]
    for fields, message in bad:
        arguments = {"mfa_method_ids": [method.id], "auth_method_types": ["token"]}
        arguments.update(fields)
        with pytest.raises(InvalidRequest, match=message):
            mfa.mfa_write_login_enforcement("e", **arguments)
    first = mfa.mfa_write_login_enforcement(
        "e", mfa_method_ids=[method.id], auth_method_accessors=[accessor]
    )
    second = mfa.mfa_write_login_enforcement(
        "e", mfa_method_ids=[method.id], identity_entity_ids=[entity.id]
    )
    assert second.id == first.id
    # An update keeps the targets it is not given.
    assert second.view() == {
        "auth_method_accessors": [accessor],
        "auth_method_types": [],
        "id": first.id,
        "identity_entity_ids": [entity.id],
        "identity_group_ids": [],
        "mfa_method_ids": [method.id],
        "name": "e",
        "namespace_id": "root",
        "namespace_path": "",
    }
    third = mfa.mfa_write_login_enforcement(
        "e", mfa_method_ids=[method.id], auth_method_accessors=[]
    )
    assert (third.auth_method_accessors, third.identity_entity_ids) == ([], [entity.id])
    with pytest.raises(InvalidRequest, match="missing method ids"):
        mfa.mfa_write_login_enforcement("e", identity_entity_ids=[entity.id])
    with pytest.raises(ServerError, match="still used by an enforcement"):
        mfa.mfa_delete_method("totp", method.id)
    assert [e.name for e in mfa.mfa_list_login_enforcements()] == ["e"]
    mfa.mfa_delete_login_enforcement("e")
    mfa.mfa_delete_login_enforcement("e")
    with pytest.raises(NotFound):
        mfa.mfa_read_login_enforcement("e")
    with pytest.raises(NotFound):
        mfa.mfa_list_login_enforcements()


def test_snapshot_restore(store: Store) -> None:
    entity, _ = store.entities.entity_create(name="alice")
    method = store.mfa.mfa_create_method("totp", {"issuer": "a"})
    store.mfa.mfa_admin_generate_totp_secret(method.id, entity.id)
    store.mounts.sys_auth_enable("userpass", "userpass")
    store.mfa.mfa_write_login_enforcement(
        "e", mfa_method_ids=[method.id], auth_method_types=["userpass"]
    )
    data = json.loads(json.dumps(store.snapshot()))
    other = Store(seed=3)
    other.restore(data)
    assert other.mfa.snapshot() == store.mfa.snapshot()
    store.reset()
    assert store.mfa.methods == {}


def test_enforcement_group_ids_must_name_groups(store: Store, mfa: MFABackend) -> None:
    method = mfa.mfa_create_method("totp", {"issuer": "a"})
    group, _ = store.groups.group_create(name="devs")
    with pytest.raises(InvalidRequest, match="group ids doesn't exist"):
        mfa.mfa_write_login_enforcement(
            "e", mfa_method_ids=[method.id], identity_group_ids=["nope"]
        )
    written = mfa.mfa_write_login_enforcement(
        "e", mfa_method_ids=[method.id], identity_group_ids=[group.id]
    )
    assert written.identity_group_ids == [group.id]
