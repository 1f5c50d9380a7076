"""The group family over HTTP, through the whole stack (document, wire, handlers)."""

from __future__ import annotations

from badinput import sweep
from starlette.testclient import TestClient
from vaulthttp import call

from mockserver.app import MockApp


def accessor(client: TestClient) -> str:
    call(client, "POST", "/sys/auth/userpass", json={"type": "userpass"})
    return str(call(client, "GET", "/sys/auth").json()["data"]["userpass/"]["accessor"])


def test_create_answers_id_and_name_then_204(client: TestClient) -> None:
    made = call(client, "POST", "/identity/group", json={"name": "devs"})
    assert made.status_code == 200
    assert set(made.json()["data"]) == {"id", "name"}
    again = call(client, "PUT", "/identity/group", json={"name": "devs"})
    assert (again.status_code, again.content) == (204, b"")
    by_name = call(client, "POST", "/identity/group/name/ops", json={})
    assert by_name.status_code == 200
    assert call(client, "POST", "/identity/group/name/ops", json={}).status_code == 204


def test_fields_are_decoded_as_the_server_does(client: TestClient) -> None:
    made = call(
        client,
        "POST",
        "/identity/group",
        json={"name": 7, "policies": "b,a", "metadata": ["k=v"], "extra": 1},
    ).json()
    assert made["data"]["name"] == "7"
    assert made["warnings"] == [
        "Endpoint ignored these unrecognized parameters: [extra]"
    ]
    read = call(client, "GET", "/identity/group/name/7").json()["data"]
    assert (read["policies"], read["metadata"]) == (["a", "b"], {"k": "v"})
    refused = call(client, "POST", "/identity/group", json={"policies": {"a": 1}})
    assert refused.status_code == 400
    assert 'field "policies"' in refused.json()["errors"][0]


def test_lists(client: TestClient) -> None:
    for path in (
        "/identity/group/id",
        "/identity/group/name",
        "/identity/group-alias/id",
    ):
        assert call(client, "LIST", path).json() == {"errors": []}
        plain = call(client, "GET", path)
        assert plain.status_code == 405
    made = call(client, "POST", "/identity/group", json={"name": "g"}).json()["data"]
    listed = call(client, "GET", "/identity/group/id", params={"list": "true"}).json()
    assert listed["data"] == {
        "keys": [made["id"]],
        "key_info": {
            made["id"]: {"name": "g", "num_member_entities": 0, "num_parent_groups": 0}
        },
    }


def test_group_alias_answers(client: TestClient) -> None:
    mount = accessor(client)
    group = call(
        client, "POST", "/identity/group", json={"name": "x", "type": "external"}
    ).json()["data"]["id"]
    body = {"name": "eng", "mount_accessor": mount, "canonical_id": group}
    made = call(client, "POST", "/identity/group-alias", json=body)
    assert made.status_code == 200
    alias_id = made.json()["data"]["id"]
    same = call(client, "POST", f"/identity/group-alias/id/{alias_id}", json=body)
    assert same.status_code == 204
    read = call(client, "GET", f"/identity/group-alias/id/{alias_id}").json()["data"]
    assert read["namespace_id"] == "root"
    assert (
        call(client, "DELETE", f"/identity/group-alias/id/{alias_id}").status_code
        == 204
    )
    assert (
        call(client, "GET", f"/identity/group-alias/id/{alias_id}").status_code == 404
    )


def test_refusals_speak_vault(client: TestClient) -> None:
    answer = call(client, "POST", "/identity/group", json={"member_group_ids": ["x"]})
    assert answer.status_code == 400
    assert answer.json() == {
        "errors": ['1 error occurred:\n\t* invalid member group ID "x"\n\n']
    }
    assert call(client, "GET", "/identity/group/id/x", headers={}).status_code == 403


def test_bad_input_never_answers_500(
    app_client: tuple[MockApp, TestClient, list[BaseException]], client: TestClient
) -> None:
    app, _, errors = app_client
    accessor(client)
    call(client, "POST", "/identity/group", json={"name": "g", "type": "external"})
    assert sweep(client, app.document, ("group-",)) == []
    assert errors == []
