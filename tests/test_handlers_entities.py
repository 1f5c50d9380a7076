"""The entity family over HTTP, through the whole stack (document, wire, handlers)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient
from vaulthttp import ROOT, call


def userpass(client: TestClient) -> str:
    assert (
        call(
            client, "POST", "/sys/auth/userpass", json={"type": "userpass"}
        ).status_code
        == 204
    )
    mounts = call(client, "GET", "/sys/auth").json()["data"]
    return str(mounts["userpass/"]["accessor"])


def test_create_answers_the_envelope(client: TestClient) -> None:
    answer = call(client, "POST", "/identity/entity", json={"name": "alice"})
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {
        "request_id", "lease_id", "renewable", "lease_duration", "data",
        "wrap_info", "warnings", "auth",
    }  # fmt: skip
    assert body["data"]["name"] == "alice"
    assert body["data"]["aliases"] is None


def test_second_write_of_a_name_is_204(client: TestClient) -> None:
    call(client, "POST", "/identity/entity", json={"name": "alice"})
    again = call(
        client, "PUT", "/identity/entity", json={"name": "alice", "policies": "a,b"}
    )
    assert again.status_code == 204
    assert again.content == b""
    read = call(client, "GET", "/identity/entity/name/alice").json()["data"]
    assert read["policies"] == ["a", "b"]


def test_list_verb_and_query_form(client: TestClient) -> None:
    assert call(client, "LIST", "/identity/entity/id").json() == {"errors": []}
    made = call(client, "POST", "/identity/entity", json={"name": "bob"}).json()["data"]
    by_verb = call(client, "LIST", "/identity/entity/id").json()["data"]
    by_query = call(
        client, "GET", "/identity/entity/id", params={"list": "true"}
    ).json()
    assert by_verb == by_query["data"]
    assert by_verb["keys"] == [made["id"]]
    assert by_verb["key_info"][made["id"]] == {"name": "bob"}
    assert call(client, "LIST", "/identity/entity/name").json()["data"] == {
        "keys": ["bob"]
    }


def test_list_path_without_list_is_unsupported(client: TestClient) -> None:
    answer = call(client, "GET", "/identity/entity/id")
    assert answer.status_code == 405
    assert answer.json() == {
        "errors": ["1 error occurred:\n\t* unsupported operation\n\n"]
    }


def test_missing_and_deleted(client: TestClient) -> None:
    missing = call(client, "GET", "/identity/entity/id/nope")
    assert (missing.status_code, missing.json()) == (404, {"errors": []})
    assert call(client, "DELETE", "/identity/entity/id/nope").status_code == 204
    assert call(client, "DELETE", "/identity/entity/name/nope").status_code == 204


@pytest.mark.parametrize("headers", [{}, {"X-Vault-Token": "wrong"}])
def test_without_a_valid_token(client: TestClient, headers: dict[str, str]) -> None:
    answer = call(client, "GET", "/identity/entity/id/x", headers=headers)
    assert (answer.status_code, answer.json()) == (
        403,
        {"errors": ["permission denied"]},
    )


def test_bearer_token_is_accepted(client: TestClient) -> None:
    answer = call(
        client, "LIST", "/identity/entity/id", headers={"Authorization": "Bearer root"}
    )
    assert answer.status_code == 404


def test_health_needs_no_token(client: TestClient) -> None:
    answer = call(client, "GET", "/sys/health", headers={})
    assert answer.status_code == 200
    assert answer.json()["sealed"] is False


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"name":', "failed to decode JSON input: unexpected EOF"),
        (b"[1]", "cannot unmarshal array into Go value"),
        (b'{"name": {"x": 1}}', 'error converting input for field "name"'),
        (b'{"disabled": "maybe"}', 'error converting input for field "disabled"'),
        (b'{"policies": {"a": 1}}', 'error converting input for field "policies"'),
        (b"\xff\xfe", "failed to decode JSON input"),
    ],
)
def test_bad_bodies_are_400(client: TestClient, body: bytes, message: str) -> None:
    answer = call(client, "POST", "/identity/entity", content=body)
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert len(errors) == 1
    assert message in errors[0]


def test_form_content_type_is_read_as_json(client: TestClient) -> None:
    answer = call(
        client,
        "POST",
        "/identity/entity",
        content=b'{"name": "curl"}',
        headers={**ROOT, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    assert answer.json()["data"]["name"] == "curl"


def test_unknown_fields_warn(client: TestClient) -> None:
    answer = call(
        client, "POST", "/identity/entity", json={"name": "w", "colour": "red"}
    )
    assert answer.status_code == 200
    assert answer.json()["warnings"] == [
        "Endpoint ignored these unrecognized parameters: [colour]"
    ]


def test_empty_body_creates_a_named_entity(client: TestClient) -> None:
    answer = call(client, "POST", "/identity/entity")
    assert answer.status_code == 200
    assert answer.json()["data"]["name"].startswith("entity_")


def test_unknown_path_and_verb(client: TestClient) -> None:
    path = call(client, "GET", "/identity/nowhere")
    assert path.status_code == 404
    assert path.json() == {"errors": ["1 error occurred:\n\t* unsupported path\n\n"]}
    verb = call(client, "PATCH", "/identity/entity/id/x", json={})
    assert verb.status_code == 405


def test_duplicate_name_on_update(client: TestClient) -> None:
    call(client, "POST", "/identity/entity", json={"name": "a"})
    b = call(client, "POST", "/identity/entity", json={"name": "b"}).json()["data"]
    answer = call(client, "POST", f"/identity/entity/id/{b['id']}", json={"name": "A"})
    assert answer.status_code == 400
    assert answer.json() == {"errors": ["entity name is already in use"]}


def test_alias_lifecycle(client: TestClient) -> None:
    accessor = userpass(client)
    entity = call(client, "POST", "/identity/entity", json={"name": "e"}).json()["data"]
    made = call(
        client,
        "POST",
        "/identity/entity-alias",
        json={"name": "u", "mount_accessor": accessor, "canonical_id": entity["id"]},
    )
    assert made.status_code == 200
    alias_id = made.json()["data"]["id"]
    assert made.json()["data"] == {"canonical_id": entity["id"], "id": alias_id}
    read = call(client, "GET", f"/identity/entity-alias/id/{alias_id}").json()["data"]
    assert read["mount_path"] == "auth/userpass/"
    older = call(client, "GET", f"/identity/alias/id/{alias_id}").json()["data"]
    assert older == read
    listed = call(client, "LIST", "/identity/alias/id").json()["data"]
    assert listed["keys"] == [alias_id]
    updated = call(
        client,
        "POST",
        f"/identity/entity-alias/id/{alias_id}",
        json={"custom_metadata": {"team": "x"}},
    )
    assert updated.status_code == 200
    assert (
        call(client, "DELETE", f"/identity/entity/id/{entity['id']}").status_code == 204
    )
    assert (
        call(client, "GET", f"/identity/entity-alias/id/{alias_id}").status_code == 404
    )


def test_bad_accessor(client: TestClient) -> None:
    answer = call(
        client,
        "POST",
        "/identity/entity-alias",
        json={"name": "u", "mount_accessor": "x"},
    )
    assert (answer.status_code, answer.json()) == (
        400,
        {"errors": ['invalid mount accessor "x"']},
    )


def test_merge_conflict_reports_data(client: TestClient) -> None:
    accessor = userpass(client)
    ids = []
    for name in ("to", "from"):
        entity = call(client, "POST", "/identity/entity", json={"name": name}).json()[
            "data"
        ]
        call(
            client,
            "POST",
            "/identity/entity-alias",
            json={
                "name": name,
                "mount_accessor": accessor,
                "canonical_id": entity["id"],
            },
        )
        ids.append(entity["id"])
    answer = call(
        client,
        "POST",
        "/identity/entity/merge",
        json={"to_entity_id": ids[0], "from_entity_ids": [ids[1]]},
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["errors"][0].startswith("2 errors occurred:")
    assert {row["entity"] for row in body["data"]} == {"to", "from"}


def test_sys_auth_errors(client: TestClient) -> None:
    userpass(client)
    again = call(client, "POST", "/sys/auth/userpass", json={"type": "userpass"})
    assert again.status_code == 400
    assert "path is already in use" in again.json()["errors"][0]
    assert call(client, "DELETE", "/sys/auth/userpass").status_code == 204
    assert "userpass/" not in call(client, "GET", "/sys/auth").json()["data"]


@pytest.mark.parametrize(
    ("query", "status"),
    [("list=1", 404), ("list=TRUE", 404), ("list=false", 405), ("list=maybe", 400)],
)
def test_list_query_is_a_boolean(client: TestClient, query: str, status: int) -> None:
    answer = call(client, "GET", f"/identity/entity/id?{query}")
    assert answer.status_code == status
    if status != 405:
        assert answer.json() == {"errors": []}


def test_a_null_body_is_an_empty_one(client: TestClient) -> None:
    answer = call(client, "POST", "/identity/entity", content=b"null")
    assert answer.status_code == 200
    assert answer.json()["data"]["name"].startswith("entity_")


def test_an_empty_object_is_an_empty_list(client: TestClient) -> None:
    answer = call(
        client, "POST", "/identity/entity", json={"name": "e", "policies": {}}
    )
    assert answer.status_code == 200
    read = call(client, "GET", "/identity/entity/name/e").json()["data"]
    assert read["policies"] == []


def test_custom_metadata_of_new_aliases_by_surface(client: TestClient) -> None:
    accessor = userpass(client)
    newer = call(
        client,
        "POST",
        "/identity/entity-alias",
        json={"name": "n", "mount_accessor": accessor},
    ).json()["data"]["id"]
    older = call(
        client,
        "POST",
        "/identity/alias",
        json={"name": "o", "mount_accessor": accessor},
    ).json()["data"]["id"]
    assert (
        call(client, "GET", f"/identity/alias/id/{newer}").json()["data"][
            "custom_metadata"
        ]
        is None
    )
    assert (
        call(client, "GET", f"/identity/alias/id/{older}").json()["data"][
            "custom_metadata"
        ]
        == {}
    )


def test_form_fields_are_read_when_the_body_is_not_json(client: TestClient) -> None:
    form = {**ROOT, "Content-Type": "application/x-www-form-urlencoded"}
    made = call(
        client,
        "POST",
        "/identity/entity",
        content=b"name=formy&policies=a",
        headers=form,
    )
    assert made.status_code == 200
    read = call(client, "GET", "/identity/entity/name/formy").json()["data"]
    assert read["policies"] == ["a"]
    plain = {**ROOT, "Content-Type": "text/plain"}
    refused = call(
        client, "POST", "/identity/entity", content=b"name=plain", headers=plain
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0].startswith("failed to decode JSON input")


def test_invalid_utf8_becomes_a_replacement_character(client: TestClient) -> None:
    made = call(client, "POST", "/identity/entity", content=b'{"name": "a\xffb"}')
    assert made.status_code == 200
    assert made.json()["data"]["name"] == "a\ufffdb"


@pytest.mark.parametrize(
    ("body", "kind"), [(b'"x"', "string"), (b"5", "number"), (b"true", "bool")]
)
def test_non_object_bodies_name_the_go_kind(
    client: TestClient, body: bytes, kind: str
) -> None:
    answer = call(client, "POST", "/identity/entity", content=body)
    assert answer.status_code == 400
    assert f"cannot unmarshal {kind} into Go value" in answer.json()["errors"][0]


def test_a_trailing_slash_is_the_same_path(client: TestClient) -> None:
    call(client, "POST", "/identity/entity/", json={"name": "slash"})
    listed = call(client, "LIST", "/identity/entity/name/")
    assert (listed.status_code, listed.json()["data"]["keys"]) == (200, ["slash"])
    assert call(client, "GET", "/identity/entity/name/slash/").status_code == 200
