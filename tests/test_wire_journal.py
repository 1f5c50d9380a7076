from __future__ import annotations

from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.config import ServerConfig
from mockserver.wire.journal import Journal, JournalEntry


def entry(method: str, path: str, status: int) -> JournalEntry:
    return JournalEntry(
        time=0.0, method=method, path=path, query="", status=status, body=None
    )


def test_filters_and_capacity() -> None:
    journal = Journal(capacity=3)
    for index in range(4):
        journal.record(entry("GET", f"/v1/identity/entity/id/{index}", 404))
    assert len(journal) == 3
    assert journal.entries()[0].path.endswith("/1")
    journal.record(entry("LIST", "/v1/identity/group/id", 200))
    assert [e.method for e in journal.entries(method="list")] == ["LIST"]
    assert len(journal.entries(path="/v1/identity/entity")) == 2
    assert len(journal.entries(status=200)) == 1
    journal.clear()
    assert journal.entries() == []


def test_requests_are_recorded_as_sent_before_the_answer_arrives() -> None:
    app = create_app(ServerConfig())
    with TestClient(app) as client:
        client.request(
            "LIST", "/v1/identity/entity/id", headers={"X-Vault-Token": "root"}
        )
        client.post(
            "/v1/identity/entity",
            json={"name": "j"},
            headers={"X-Vault-Token": "root"},
        )
        client.get("/v1/identity/entity/id/x")
    recorded = [(e.method, e.path, e.status) for e in app.journal.entries()]
    assert recorded == [
        ("LIST", "/v1/identity/entity/id", 404),
        ("POST", "/v1/identity/entity", 200),
        ("GET", "/v1/identity/entity/id/x", 403),
    ]
    assert app.journal.entries(method="POST")[0].body == {"name": "j"}
