"""Tests of mockserver.spec.observe, offline: scrubbing, the runner, the record."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from mockserver.spec.observe import (
    Observation,
    ObserveError,
    Step,
    load_record,
    require_loopback,
    run,
    scrub,
    scrub_text,
    write_record,
)

ROOT = Path(__file__).resolve().parent.parent


def test_scrub_replaces_volatile_values_and_keeps_types() -> None:
    body = {
        "request_id": "8b080393-c2f2-876b-1db4-d5797d8b280b",
        "data": {
            "creation_time": "2026-12-04T15:20:47.564510709Z",
            "accessor": "auth_userpass_7669f313",
            "name": "entity_8153df35.root",
            "token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
            "client_secret": "hvo_secret_FtmctLkPpBfnoNes2ruNDuwwPBvrso5dR0jSC",
            "client_id": "taVQB9aI8y5vU8s1HaM9WG4Rg3LCTOzB",
            "server_time_utc": 1796397636,
            "ttl": 3600,
            "disabled": False,
            "metadata": None,
            "message": 'method ID "d4e7bc65-0658-3f88-7c51-901d79e8e032" is in use',
        },
    }
    assert scrub(body) == {
        "request_id": "<uuid>",
        "data": {
            "creation_time": "<time>",
            "accessor": "auth_userpass_<hex>",
            "name": "entity_<hex>.root",
            "token": "<jwt>",
            "client_secret": "<client_secret>",
            "client_id": "<client_id>",
            "server_time_utc": 0,
            "ttl": 3600,
            "disabled": False,
            "metadata": None,
            "message": 'method ID "<uuid>" is in use',
        },
    }


def test_scrub_is_the_same_whatever_the_order_of_ids() -> None:
    a = "11111111-1111-1111-1111-111111111111"
    b = "22222222-2222-2222-2222-222222222222"
    first = {"key_info": {a: {"name": "z"}, b: {"name": "a"}}, "keys": ["bob", "alice"]}
    second = {
        "key_info": {b: {"name": "a"}, a: {"name": "z"}},
        "keys": ["alice", "bob"],
    }
    assert (
        scrub(first)
        == scrub(second)
        == {
            "key_info": {"<uuid>": {"name": "a"}},
            "keys": ["alice", "bob"],
        }
    )
    assert scrub({"allowed_client_ids": ["*", "abc"]}) == {
        "allowed_client_ids": ["*", "<client_id>"]
    }


def test_scrub_text_leaves_plain_words_alone() -> None:
    assert scrub_text("permission denied") == "permission denied"


@pytest.mark.parametrize(
    "address", ["http://127.0.0.1:8210", "http://localhost:1", "http://[::1]:8200"]
)
def test_loopback_addresses_are_accepted(address: str) -> None:
    require_loopback(address)


@pytest.mark.parametrize(
    "address",
    ["http://10.0.0.5:8200", "https://vault.example.com", "http://0.0.0.0:8200"],
)
def test_other_addresses_are_refused(address: str) -> None:
    with pytest.raises(
        ObserveError, match="only runs against a throw-away server on this machine"
    ):
        require_loopback(address)


def _server(request: httpx.Request) -> httpx.Response:
    token = request.headers.get("X-Vault-Token")
    if request.url.path == "/v1/identity/entity" and request.method == "POST":
        if token != "root":
            return httpx.Response(403, json={"errors": ["permission denied"]})
        if not request.content:
            return httpx.Response(204)
        name = json.loads(request.content)["name"]
        return httpx.Response(200, json={"data": {"id": "id-" + name, "name": name}})
    if request.url.path == "/v1/identity/entity/id/id-alice":
        return httpx.Response(
            200,
            json={"data": {"id": "id-alice", "list": request.url.params.get("list")}},
        )
    if request.url.path == "/v1/auth/form":
        return httpx.Response(
            200,
            json={
                "form": request.content.decode(),
                "auth": request.headers.get("Authorization"),
            },
        )
    return httpx.Response(404, json={"errors": []})


def test_run_records_answers_and_threads_saved_values() -> None:
    steps = [
        Step(
            "entity-create",
            "POST",
            "/identity/entity",
            "create",
            body={"name": "alice"},
            save={"eid": ("data", "id")},
        ),
        Step("entity-create", "POST", "/identity/entity", "no body"),
        Step(
            "entity-create", "POST", "/identity/entity", "no token", body={}, token=None
        ),
        Step(
            None, "POST", "/identity/entity", "setup", body={"name": "bob"}, expect=200
        ),
        Step(
            "entity-read-by-id",
            "GET",
            "/identity/entity/id/$eid",
            "read",
            params={"list": "x"},
        ),
        Step(
            "form",
            "POST",
            "/auth/form",
            "form",
            form={"code": "$eid"},
            basic=("u", "p"),
        ),
    ]
    observed = run(
        steps, "http://127.0.0.1:8210", transport=httpx.MockTransport(_server)
    )
    assert set(observed) == {"entity-create", "entity-read-by-id", "form"}
    create = observed["entity-create"]
    assert [(o.case, o.status, o.empty_body, o.no_token) for o in create] == [
        ("create", 200, False, False),
        ("no body", 204, True, False),
        ("no token", 403, False, True),
    ]
    assert create[1].body is None
    assert observed["entity-read-by-id"][0].body == {
        "data": {"id": "id-alice", "list": "x"}
    }
    form = observed["form"][0].body
    assert form["form"] == "code=id-alice"
    assert form["auth"].startswith("Basic ")


def test_run_fails_on_a_setup_step_that_misbehaves() -> None:
    steps = [Step(None, "GET", "/nothing", "setup", expect=200)]
    with pytest.raises(
        ObserveError, match=r"answered 404, expected 200.*start a fresh dev server"
    ):
        run(steps, "http://127.0.0.1:8210", transport=httpx.MockTransport(_server))


def test_run_fails_on_an_unsaved_variable() -> None:
    steps = [Step("x", "GET", "/identity/entity/id/$nope", "read")]
    with pytest.raises(ObserveError, match=r"uses \$nope before any step saved it"):
        run(steps, "http://127.0.0.1:8210", transport=httpx.MockTransport(_server))


def test_run_fails_when_a_saved_value_is_missing() -> None:
    steps = [Step("x", "GET", "/nothing", "read", save={"v": ("data", "id")})]
    with pytest.raises(ObserveError, match=r"answered 404 without \('data', 'id'\)"):
        run(steps, "http://127.0.0.1:8210", transport=httpx.MockTransport(_server))


def test_run_refuses_remote_servers_before_sending_anything() -> None:
    def explode(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request may leave")

    with pytest.raises(ObserveError):
        run(
            [Step("x", "GET", "/", "read")],
            "http://192.0.2.1:8200",
            transport=httpx.MockTransport(explode),
        )


def test_record_round_trip(tmp_path: Path) -> None:
    observed = {
        "b-op": [Observation("read", "GET", 200, {"a": 1})],
        "a-op": [
            Observation("no token", "POST", 403, None, empty_body=True, no_token=True)
        ],
    }
    path = tmp_path / "responses.json"
    assert write_record(path, observed, "OpenBao test")
    assert not write_record(path, observed, "OpenBao test")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert list(data["operations"]) == ["a-op", "b-op"]
    assert data["server"] == "OpenBao test"
    assert load_record(path) == observed


def test_missing_record_means_no_observations(tmp_path: Path) -> None:
    assert load_record(tmp_path / "none.json") == {}


def test_committed_record_covers_every_operation() -> None:
    from mockserver.spec.layout import load_fragments
    from mockserver.spec.scenario import PROJECT_OPERATIONS

    observed = load_record(ROOT / "spec/observed/responses.json")
    ids = {f.operation_id for f in load_fragments(ROOT)} | PROJECT_OPERATIONS
    assert set(observed) == ids
    assert ids <= set(observed)
    for op in ids:
        answers = observed[op]
        assert any(o.no_token for o in answers), op
        assert any(200 <= o.status < 300 for o in answers), op
