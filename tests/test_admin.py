"""The admin API under /_vaultmock, over real HTTP."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from damaged import DAMAGED, damaged, populated_store
from openapi_spec_validator import validate
from starlette.routing import Mount, Route

from mockserver.admin import (
    ADMIN_PREFIX,
    AdminContext,
    admin_app,
    admin_document,
    needs_token,
)
from mockserver.backends import Store
from mockserver.config import ServerConfig
from mockserver.server import MockServer
from mockserver.wire.faults import Faults
from mockserver.wire.journal import Journal

ROOT = Path(__file__).resolve().parent.parent
TOKEN = {"X-Vault-Token": "root"}


def vault_subset() -> dict[str, Any]:
    """A small slice of the Vault API document.

    The admin, fault and state-file layers know nothing of any one family, so
    their tests serve this slice rather than depend on the full merged document.
    """

    def op(op_id: str, *, body: bool = False, public: bool = False) -> dict[str, Any]:
        operation: dict[str, Any] = {
            "operationId": op_id,
            "responses": {"200": {"description": "ok"}},
        }
        if body:
            operation["requestBody"] = {
                "required": False,
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        if public:
            operation["security"] = []
        return operation

    listing = op("entity-list-by-id")
    listing["parameters"] = [
        {
            "name": "list",
            "in": "query",
            "required": True,
            "schema": {"type": "string", "enum": ["true"]},
        }
    ]
    by_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    by_path = dict(by_id, name="path")
    return {
        "openapi": "3.0.3",
        "info": {"title": "vault subset", "version": "1"},
        "paths": {
            "/identity/entity": {"post": op("entity-create", body=True)},
            "/identity/entity/id": {"get": listing},
            "/identity/entity/id/{id}": {
                "parameters": [by_id],
                "get": op("entity-read-by-id"),
            },
            "/identity/entity-alias": {"post": op("entity-create-alias", body=True)},
            "/sys/auth": {"get": op("sys-auth-list")},
            "/sys/auth/{path}": {
                "parameters": [by_path],
                "post": op("sys-auth-enable", body=True),
            },
            "/sys/health": {"get": op("sys-health-read", public=True)},
            "/sys/seal-status": {"get": op("sys-seal-status-read", public=True)},
        },
    }


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0, seed=7, document=vault_subset())) as server:
        yield server


@pytest.fixture
def client(mock: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mock.url, headers=TOKEN) as http:
        assert http.post(f"{ADMIN_PREFIX}/reset").status_code == 204
        yield http


def _entity(client: httpx.Client, name: str) -> str:
    answer = client.post("/v1/identity/entity", json={"name": name})
    assert answer.status_code == 200, answer.text
    entity_id: str = answer.json()["data"]["id"]
    return entity_id


def _errors(answer: httpx.Response) -> list[str]:
    assert answer.headers["content-type"] == "application/json"
    errors: list[str] = answer.json()["errors"]
    return errors


# -- health and the document ---------------------------------------------------


def test_health_needs_no_token(mock: MockServer) -> None:
    answer = httpx.get(f"{mock.url}{ADMIN_PREFIX}/health")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"
    assert answer.json()["sealed"] is False


def test_admin_document_is_valid_openapi(client: httpx.Client) -> None:
    answer = client.get(f"{ADMIN_PREFIX}/openapi.json")
    assert answer.status_code == 200
    assert answer.json() == admin_document()
    validate(answer.json())


def test_every_route_is_documented_and_every_documented_path_is_served() -> None:
    context = AdminContext(
        store=Store(), journal=Journal(), faults=Faults(), root_token="root"
    )
    served: set[tuple[str, str]] = set()
    (mount,) = admin_app(context).routes
    assert isinstance(mount, Mount)
    for route in mount.routes:
        assert isinstance(route, Route)
        path = route.path.replace("{fault_id}", "{id}")
        served |= {(m, path) for m in route.methods or () if m != "HEAD"}
    documented = {
        (method.upper(), path)
        for path, item in admin_document()["paths"].items()
        for method in item
    }
    assert served == documented


def test_admin_paths_stay_out_of_the_vault_document(mock: MockServer) -> None:
    assert not [p for p in mock.app.document["paths"] if "_vaultmock" in p]


def test_unknown_admin_path_is_a_json_404(client: httpx.Client) -> None:
    answer = client.get(f"{ADMIN_PREFIX}/nothing-here")
    assert answer.status_code == 404
    assert "openapi.json lists them" in _errors(answer)[0]


def test_a_lookalike_prefix_is_not_the_admin_api(client: httpx.Client) -> None:
    answer = client.post("/_vaultmockery/reset")
    assert answer.status_code == 404
    assert "openapi.json" not in answer.text


# -- reset and seed ---------------------------------------------------------------


def test_reset_is_post_only(client: httpx.Client) -> None:
    answer = client.get(f"{ADMIN_PREFIX}/reset")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
    assert _errors(answer) == [
        f"GET is not supported on {ADMIN_PREFIX}/reset; use POST"
    ]


def test_reset_forgets_state_journal_and_faults(client: httpx.Client) -> None:
    entity_id = _entity(client, "alice")
    client.post(f"{ADMIN_PREFIX}/faults", json={"latency_ms": 1})
    client.post(f"{ADMIN_PREFIX}/seal")

    assert client.post(f"{ADMIN_PREFIX}/reset").status_code == 204

    assert client.get(f"/v1/identity/entity/id/{entity_id}").status_code == 404
    assert client.get(f"{ADMIN_PREFIX}/faults").json() == {
        "sealed": False,
        "faults": [],
    }
    journal = client.get(f"{ADMIN_PREFIX}/journal").json()["entries"]
    assert [(e["method"], e["path"]) for e in journal] == [
        ("GET", f"/v1/identity/entity/id/{entity_id}")
    ]


def test_reset_repeats_the_seeded_ids(client: httpx.Client) -> None:
    first = _entity(client, "alice")
    client.post(f"{ADMIN_PREFIX}/reset")
    assert _entity(client, "alice") == first


def test_seed_makes_ids_repeat_and_becomes_the_reset_baseline(
    client: httpx.Client,
) -> None:
    answer = client.post(f"{ADMIN_PREFIX}/seed", json={"seed": 42, "preload": 3})
    assert answer.status_code == 200
    assert answer.json() == {"seed": 42, "preload": 3}
    listed = client.request("LIST", "/v1/identity/entity/id").json()["data"]["keys"]
    assert len(listed) == 3
    created = _entity(client, "zed")

    client.post(f"{ADMIN_PREFIX}/seed", json={"seed": 42, "preload": 3})
    again = client.request("LIST", "/v1/identity/entity/id").json()["data"]["keys"]
    assert sorted(again) == sorted(listed)
    assert _entity(client, "zed") == created

    client.post(f"{ADMIN_PREFIX}/reset")
    after_reset = client.request("LIST", "/v1/identity/entity/id").json()
    assert sorted(after_reset["data"]["keys"]) == sorted(listed)
    client.post(f"{ADMIN_PREFIX}/seed", json={"seed": 7})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "a JSON body is required"),
        (b"{nope", "failed to decode JSON input: "),
        (b"[1]", "the body must be a JSON object, got list"),
        (b'{"preload": 1}', "seed is required: a whole number, or null for random ids"),
        (b'{"seed": "x"}', "seed must be a whole number or null, got 'x'"),
        (b'{"seed": true}', "seed must be a whole number or null, got True"),
        (
            b'{"seed": 1, "preload": -1}',
            "preload must be a whole number, 0 or more, got -1",
        ),
        (
            b'{"seed": 1, "count": 2}',
            "unknown field(s) count; the fields are seed and preload",
        ),
        (
            b'{"seed": 1, "preload": 100000000}',
            "preload must be at most 100,000 entities, got 100,000,000",
        ),
    ],
)
def test_seed_refuses_bad_bodies(
    client: httpx.Client, body: bytes, message: str
) -> None:
    answer = client.post(f"{ADMIN_PREFIX}/seed", content=body)
    assert answer.status_code == 400
    assert _errors(answer)[0].startswith(message)


# -- snapshot and restore --------------------------------------------------------


def test_snapshot_and_restore_round_trip(client: httpx.Client) -> None:
    entity_id = _entity(client, "alice")
    snapshot = client.get(f"{ADMIN_PREFIX}/snapshot").json()
    assert snapshot["format"] == "vaultmock-state/1"
    client.post(f"{ADMIN_PREFIX}/reset")
    assert client.get(f"/v1/identity/entity/id/{entity_id}").status_code == 404

    assert client.post(f"{ADMIN_PREFIX}/restore", json=snapshot).status_code == 204

    answer = client.get(f"/v1/identity/entity/id/{entity_id}")
    assert answer.status_code == 200
    assert answer.json()["data"]["name"] == "alice"
    # Every request draws a request id, so only the random position moved.
    after = client.get(f"{ADMIN_PREFIX}/snapshot").json()
    assert {k: v for k, v in after.items() if k != "random"} == {
        k: v for k, v in snapshot.items() if k != "random"
    }


def test_restore_refuses_a_foreign_document_and_keeps_the_state(
    client: httpx.Client,
) -> None:
    entity_id = _entity(client, "alice")
    answer = client.post(f"{ADMIN_PREFIX}/restore", json={"entities": []})
    assert answer.status_code == 400
    assert "not a vaultmock snapshot" in _errors(answer)[0]
    assert f"GET {ADMIN_PREFIX}/snapshot" in _errors(answer)[0]
    damaged = client.get(f"{ADMIN_PREFIX}/snapshot").json()
    del damaged["entities"]
    answer = client.post(f"{ADMIN_PREFIX}/restore", json=damaged)
    assert answer.status_code == 400
    assert "incomplete or damaged" in _errors(answer)[0]
    assert client.get(f"/v1/identity/entity/id/{entity_id}").status_code == 200


# -- journal ------------------------------------------------------------------------


def test_journal_records_vault_requests_only_and_filters(client: httpx.Client) -> None:
    _entity(client, "alice")
    client.get("/v1/identity/entity/id/missing")
    client.request("LIST", "/v1/identity/entity/id")
    client.get(f"{ADMIN_PREFIX}/health")

    everything = client.get(f"{ADMIN_PREFIX}/journal").json()["entries"]
    assert [(e["method"], e["path"], e["status"]) for e in everything] == [
        ("POST", "/v1/identity/entity", 200),
        ("GET", "/v1/identity/entity/id/missing", 404),
        ("LIST", "/v1/identity/entity/id", 200),
    ]
    assert everything[0]["body"] == {"name": "alice"}

    def only(**query: str) -> list[tuple[str, str]]:
        entries = client.get(f"{ADMIN_PREFIX}/journal", params=query).json()
        return [(e["method"], e["path"]) for e in entries["entries"]]

    assert only(method="list") == [("LIST", "/v1/identity/entity/id")]
    assert only(status="404") == [("GET", "/v1/identity/entity/id/missing")]
    assert only(path="/v1/identity/entity/id") == [
        ("GET", "/v1/identity/entity/id/missing"),
        ("LIST", "/v1/identity/entity/id"),
    ]
    assert only(limit="1") == [("LIST", "/v1/identity/entity/id")]
    assert only(limit="0") == []


def test_journal_refuses_a_bad_filter(client: httpx.Client) -> None:
    answer = client.get(f"{ADMIN_PREFIX}/journal", params={"status": "teapot"})
    assert answer.status_code == 400
    assert _errors(answer) == ["query status='teapot' is not a whole number"]


def test_journal_can_be_cleared(client: httpx.Client) -> None:
    _entity(client, "alice")
    assert client.delete(f"{ADMIN_PREFIX}/journal").status_code == 204
    assert client.get(f"{ADMIN_PREFIX}/journal").json() == {"entries": []}


# -- faults and seal --------------------------------------------------------------


def test_faults_are_added_listed_and_removed(client: httpx.Client) -> None:
    answer = client.post(
        f"{ADMIN_PREFIX}/faults",
        json={"status": 502, "path": "identity/*", "methods": ["post"], "times": 2},
    )
    assert answer.status_code == 201
    fault = answer.json()
    assert fault["id"] == "f1"
    assert fault["methods"] == ["POST"]
    assert fault["remaining"] == 2

    assert client.post("/v1/identity/entity", json={"name": "a"}).status_code == 502
    listed = client.get(f"{ADMIN_PREFIX}/faults").json()
    assert listed["faults"][0]["fired"] == 1
    assert listed["faults"][0]["remaining"] == 1

    assert client.delete(f"{ADMIN_PREFIX}/faults/f1").status_code == 204
    assert client.delete(f"{ADMIN_PREFIX}/faults/f1").status_code == 404
    assert client.post("/v1/identity/entity", json={"name": "a"}).status_code == 200


def test_a_listed_fault_can_be_posted_again(client: httpx.Client) -> None:
    fault = client.post(f"{ADMIN_PREFIX}/faults", json={"status": 500}).json()
    assert client.post(f"{ADMIN_PREFIX}/faults", json=fault).status_code == 201


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({}, "a fault needs a status"),
        ({"status": 200}, "fault status must be between 400 and 599, got 200"),
        ({"status": 500, "rate": 3}, "fault rate must be from 0 to 1, got 3.0"),
        ({"status": 500, "times": 0}, "fault times must be between 1"),
        ({"status": 500, "regex": "("}, "fault regex '(' is not a regular expression"),
        ({"status": 500, "methods": ["FETCH"]}, "fault methods: 'FETCH' is not one"),
        ({"status": 500, "when": "now"}, "unknown fault field(s) when"),
        ([], "a fault is a JSON object"),
    ],
)
def test_bad_fault_rules_are_refused(
    client: httpx.Client, rule: object, message: str
) -> None:
    answer = client.post(f"{ADMIN_PREFIX}/faults", json=rule)
    assert answer.status_code == 400
    assert _errors(answer)[0].startswith(message)


def test_delete_faults_clears_every_rule_and_unseals(client: httpx.Client) -> None:
    client.post(f"{ADMIN_PREFIX}/faults", json={"status": 500})
    client.post(f"{ADMIN_PREFIX}/seal")
    assert client.delete(f"{ADMIN_PREFIX}/faults").status_code == 204
    assert client.get(f"{ADMIN_PREFIX}/faults").json() == {
        "sealed": False,
        "faults": [],
    }


def test_seal_and_unseal(client: httpx.Client) -> None:
    assert client.post(f"{ADMIN_PREFIX}/seal").status_code == 204
    assert client.get("/v1/sys/seal-status").json()["sealed"] is True
    assert client.get(f"{ADMIN_PREFIX}/health").json()["sealed"] is True
    assert client.post(f"{ADMIN_PREFIX}/unseal").status_code == 204
    assert client.get("/v1/sys/seal-status").json()["sealed"] is False


def test_faults_never_hit_the_admin_api(client: httpx.Client) -> None:
    client.post(f"{ADMIN_PREFIX}/faults", json={"status": 500, "path": "*"})
    client.post(f"{ADMIN_PREFIX}/seal")
    assert client.get(f"{ADMIN_PREFIX}/health").status_code == 200
    assert client.post(f"{ADMIN_PREFIX}/unseal").status_code == 204


def test_state_save_without_a_state_file_is_a_conflict(client: httpx.Client) -> None:
    answer = client.post(f"{ADMIN_PREFIX}/state/save")
    assert answer.status_code == 409
    assert "start it with --state-file PATH" in _errors(answer)[0]


# -- who may use it ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "host", "expected"),
    [
        ("auto", "127.0.0.1", False),
        ("auto", "127.8.0.1", False),
        ("auto", "::1", False),
        ("auto", "localhost", False),
        ("auto", "0.0.0.0", True),
        ("auto", "::", True),
        ("auto", "192.168.1.4", True),
        ("auto", "vaultmock.internal", True),
        ("token", "127.0.0.1", True),
        ("off", "0.0.0.0", False),
    ],
)
def test_needs_token(mode: str, host: str, expected: bool) -> None:
    assert needs_token(mode, host) is expected


def test_needs_token_refuses_an_unknown_mode() -> None:
    with pytest.raises(ValueError, match="admin auth must be one of auto, token"):
        needs_token("sometimes", "127.0.0.1")


def test_a_guarded_admin_api_needs_the_root_token() -> None:
    config = ServerConfig(port=0, admin_auth="token", document=vault_subset())
    with MockServer(config) as mock, httpx.Client(base_url=mock.url) as http:
        answer = http.post(f"{ADMIN_PREFIX}/reset")
        assert answer.status_code == 403
        assert _errors(answer)[0].startswith("permission denied")
        assert (
            http.post(f"{ADMIN_PREFIX}/reset", headers={"X-Vault-Token": "guess"})
        ).status_code == 403
        assert http.post(f"{ADMIN_PREFIX}/reset", headers=TOKEN).status_code == 204
        assert (
            http.post(
                f"{ADMIN_PREFIX}/reset", headers={"Authorization": "Bearer root"}
            ).status_code
            == 204
        )
        assert http.get(f"{ADMIN_PREFIX}/health").status_code == 200
        assert http.get(f"{ADMIN_PREFIX}/openapi.json").status_code == 200


# -- the curl script -------------------------------------------------------------


@pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("bash") is None,
    reason="the admin demo script needs bash and curl",
)
def test_admin_demo_script_drives_the_mock_with_curl_only(
    mock: MockServer, client: httpx.Client
) -> None:
    env = dict(os.environ, VAULT_ADDR=mock.url, VAULT_TOKEN="root")
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "admin-demo.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "admin demo: all steps passed" in done.stdout
    snapshot = client.get(f"{ADMIN_PREFIX}/snapshot").json()
    assert json.dumps(snapshot)  # the script leaves a usable state behind


# -- restoring damaged snapshots ----------------------------------------------------


@pytest.mark.parametrize(
    "case",
    [
        "entity name int",
        "entity name null",
        "token policies null",
        "group its own member",
    ],
)
def test_a_damaged_snapshot_is_a_400_and_the_state_is_kept(
    client: httpx.Client, case: str
) -> None:
    good = client.get(f"{ADMIN_PREFIX}/snapshot").json()
    _entity(client, "kept")
    bad = damaged(populated_store(seed=7).snapshot(), case)
    before = client.get(f"{ADMIN_PREFIX}/snapshot").json()
    answer = client.post(f"{ADMIN_PREFIX}/restore", json=bad)
    assert answer.status_code == 400
    assert DAMAGED[case][1] in _errors(answer)[0]
    # The same connection goes on working, and nothing changed.
    assert client.get(f"{ADMIN_PREFIX}/snapshot").json() == before
    names = [e["name"] for e in before["entities"]["entities"]]
    assert "kept" in names
    assert client.get(f"{ADMIN_PREFIX}/health").status_code == 200
    assert client.post(f"{ADMIN_PREFIX}/restore", json=good).status_code == 204


def test_an_unexpected_error_in_an_endpoint_is_a_500_in_the_vault_body(
    mock: MockServer, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(data: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(mock.app.store, "restore", broken)
    answer = client.post(f"{ADMIN_PREFIX}/restore", json={"format": "x"})
    assert answer.status_code == 500
    assert _errors(answer) == ["internal error: RuntimeError('boom')"]
    assert client.get(f"{ADMIN_PREFIX}/health").status_code == 200
