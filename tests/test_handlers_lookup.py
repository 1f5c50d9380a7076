"""The lookup family over HTTP, through the whole stack."""

from __future__ import annotations

import pytest
from badinput import sweep
from starlette.testclient import TestClient
from vaulthttp import call

from mockserver.app import MockApp


def test_found_and_missed(client: TestClient) -> None:
    made = call(client, "POST", "/identity/entity", json={"name": "kim"}).json()["data"]
    found = call(client, "POST", "/identity/lookup/entity", json={"id": made["id"]})
    assert found.status_code == 200
    assert found.json()["data"]["name"] == "kim"
    missed = call(client, "POST", "/identity/lookup/entity", json={"name": "nobody"})
    assert (missed.status_code, missed.content) == (204, b"")
    group = call(client, "POST", "/identity/group", json={"name": "g"}).json()["data"]
    found = call(client, "POST", "/identity/lookup/group", json={"name": "G"})
    assert found.json()["data"]["id"] == group["id"]


@pytest.mark.parametrize("kind", ["entity", "group"])
def test_refusals(client: TestClient, kind: str) -> None:
    path = f"/identity/lookup/{kind}"
    assert call(client, "POST", path).json() == {
        "errors": ["query parameter not supplied"]
    }
    assert call(client, "POST", path, json={"unknown": "x"}).status_code == 400
    assert call(client, "GET", path).status_code == 405


def test_bad_input_never_answers_500(
    app_client: tuple[MockApp, TestClient, list[BaseException]], client: TestClient
) -> None:
    app, _, errors = app_client
    assert sweep(client, app.document, ("entity-look-up", "group-look-up")) == []
    assert errors == []
