"""The access log: one line per request, never a token or a secret."""

from __future__ import annotations

import json
import logging
import sys

import httpx
import pytest
from test_admin import vault_subset

from mockserver.config import ServerConfig
from mockserver.server import MockServer
from mockserver.wire.accesslog import JsonFormatter, redact_path, redact_query

TOKEN = "tok-0c1d5e9a77"


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/v1/identity/entity/id/abc", "/v1/identity/entity/id/abc"),
        ("/v1/auth/token/lookup/s.abc123", "/v1/auth/token/lookup/redacted"),
        ("/v1/auth/token/revoke-orphan/s.abc", "/v1/auth/token/revoke-orphan/redacted"),
        ("/v1/auth/token/renew/s.abc/x", "/v1/auth/token/renew/redacted/x"),
        ("/v1/auth/token/lookup-self", "/v1/auth/token/lookup-self"),
    ],
)
def test_redact_path(path: str, shown: str) -> None:
    assert redact_path(path) == shown


def test_redact_query() -> None:
    assert redact_query("") == ""
    assert redact_query("list=true") == "list=true"
    assert redact_query("client_secret=x&list=true&code=y&state=z&token=t") == (
        "client_secret=redacted&list=true&code=redacted&state=redacted&token=redacted"
    )


def test_each_request_is_logged_once_without_token_or_body(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = ServerConfig(port=0, root_token=TOKEN, document=vault_subset())
    with (
        caplog.at_level(logging.INFO, logger="mockserver"),
        MockServer(config) as mock,
        httpx.Client(base_url=mock.url, headers={"X-Vault-Token": TOKEN}) as http,
    ):
        http.post("/v1/identity/entity", json={"name": "x", "metadata": {"pw": "h2"}})
        http.get("/v1/auth/token/lookup/s.leaked")
        http.get("/_vaultmock/health")
        mock.stop()
    access = [r for r in caplog.records if r.name == "mockserver.wire.accesslog"]
    fields = [r.access for r in access]  # type: ignore[attr-defined]
    assert [(f["method"], f["path"], f["status"]) for f in fields] == [
        ("POST", "/v1/identity/entity", 200),
        ("GET", "/v1/auth/token/lookup/redacted", 404),
        ("GET", "/_vaultmock/health", 200),
    ]
    assert all(f["duration_ms"] >= 0 and f["bytes_sent"] > 0 for f in fields)
    assert (
        access[0]
        .getMessage()
        .endswith(
            '"POST /v1/identity/entity" 200 ' + (f"{fields[0]['duration_ms']:.1f}ms")
        )
    )
    for record in access:
        text = record.getMessage() + json.dumps(record.access)  # type: ignore[attr-defined]
        assert TOKEN not in text
        assert "s.leaked" not in text
        assert "h2" not in text


def test_json_formatter_puts_access_fields_at_the_top_level() -> None:
    record = logging.LogRecord(
        "mockserver.wire.accesslog",
        logging.INFO,
        __file__,
        1,
        "%s done",
        ("GET",),
        None,
    )
    record.access = {"event": "access", "method": "GET", "status": 200}
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "info"
    assert line["logger"] == "mockserver.wire.accesslog"
    assert line["message"] == "GET done"
    assert (line["event"], line["method"], line["status"]) == ("access", "GET", 200)
    assert line["time"].endswith("+00:00")


def test_json_formatter_keeps_a_traceback_on_one_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), exc_info)
    text = JsonFormatter().format(record)
    assert "\n" not in text
    assert "ValueError: boom" in json.loads(text)["exc"]


def test_paths_cannot_forge_log_lines() -> None:
    from mockserver.wire.accesslog import redact_path

    forged = "/v1/identity/entity/name/x\n2026-12-04 WARNING forged\x1b[31m"
    shown = redact_path(forged)
    assert "\n" not in shown
    assert "\x1b" not in shown
    assert "\\n2026-12-04 WARNING forged\\x1b[31m" in shown
    assert redact_path("/v1/identity/entity/name/é") == "/v1/identity/entity/name/é"
