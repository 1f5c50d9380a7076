"""The persona surface over HTTP: entities on write, entity aliases on read."""

from __future__ import annotations

from badinput import sweep
from starlette.testclient import TestClient
from vaulthttp import call

from mockserver.app import MockApp


def test_create_makes_an_entity(client: TestClient) -> None:
    made = call(
        client,
        "POST",
        "/identity/persona",
        json={"name": "old", "mount_accessor": "ignored", "policies": ["p"]},
    ).json()
    assert made["data"]["aliases"] is None
    assert made["warnings"] == [
        "Endpoint ignored these unrecognized parameters: [policies]"
    ]
    entity = call(client, "GET", f"/identity/entity/id/{made['data']['id']}").json()
    assert entity["data"]["policies"] == []
    again = call(client, "POST", "/identity/persona", json={"name": "old"})
    assert again.status_code == 204
    update = call(
        client,
        "POST",
        f"/identity/persona/id/{made['data']['id']}",
        json={"metadata": "team=a"},
    )
    assert update.status_code == 204
    entity = call(client, "GET", f"/identity/entity/id/{made['data']['id']}").json()
    assert entity["data"]["metadata"] == {"team": "a"}


def test_reads_act_on_entity_aliases(client: TestClient) -> None:
    assert call(client, "LIST", "/identity/persona/id").status_code == 404
    call(client, "POST", "/sys/auth/userpass", json={"type": "userpass"})
    mount = call(client, "GET", "/sys/auth").json()["data"]["userpass/"]["accessor"]
    alias = call(
        client,
        "POST",
        "/identity/entity-alias",
        json={"name": "a", "mount_accessor": mount},
    ).json()["data"]
    read = call(client, "GET", f"/identity/persona/id/{alias['id']}").json()["data"]
    assert read["canonical_id"] == alias["canonical_id"]
    listed = call(client, "LIST", "/identity/persona/id").json()["data"]
    assert listed["keys"] == [alias["id"]]
    assert (
        call(client, "DELETE", f"/identity/persona/id/{alias['id']}").status_code == 204
    )
    assert call(client, "GET", f"/identity/persona/id/{alias['id']}").status_code == 404


def test_bad_input_never_answers_500(
    app_client: tuple[MockApp, TestClient, list[BaseException]], client: TestClient
) -> None:
    app, _, errors = app_client
    assert sweep(client, app.document, ("persona-",)) == []
    assert errors == []
