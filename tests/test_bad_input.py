"""A corpus of bad input sent over a real socket: each gets a clear 4xx, nothing
gets a 5xx, and the server keeps serving. Also the security basics: loopback by
default, tokens compared in constant time, no secret in the logs.

Requests are written byte by byte on raw sockets, so that what a well-behaved
client library would refuse to send (or would quietly repair) reaches the
server as it is.
"""

from __future__ import annotations

import hmac
import json
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from mockserver.backends import Store
from mockserver.config import DEFAULT_HOST, ServerConfig
from mockserver.server import MockServer
from mockserver.wire.validation import MAX_BODY_BYTES

ROOT = "s.bad-input-root-7c1f"


@dataclass(frozen=True, slots=True)
class Reply:
    """What the server sent back."""

    status: int
    headers: dict[str, str]
    body: bytes

    def errors(self) -> list[str]:
        """The ``errors`` member of a JSON error body."""
        parsed: Any = json.loads(self.body)
        assert isinstance(parsed, dict), self.body
        return list(parsed["errors"])


def _read_reply(sock: socket.socket) -> Reply:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        length = int(headers["content-length"])
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    elif status not in (204, 304):
        sock.settimeout(2)
        try:
            while chunk := sock.recv(65536):
                body += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return Reply(status, headers, body)


def request(
    method: str,
    path: str,
    body: bytes = b"",
    headers: list[tuple[str, str]] | None = None,
    *,
    token: str | None = ROOT,
) -> bytes:
    """An HTTP/1.1 request as bytes; ``Content-Length`` set when there is a body."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if token is not None:
        lines.append(f"X-Vault-Token: {token}")
    if body:
        lines.append(f"Content-Length: {len(body)}")
    lines += [f"{k}: {v}" for k, v in headers or []]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Wire:
    """Raw access to a running mock."""

    def __init__(self, mock: MockServer) -> None:
        self.mock = mock
        host, port = mock.url.rsplit("//", 1)[1].rsplit(":", 1)
        self.address = (host, int(port))

    def send(self, raw: bytes, *, timeout: float = 30) -> Reply:
        """Send ``raw`` on a new connection and read the reply."""
        with socket.create_connection(self.address, timeout=timeout) as sock:
            sock.sendall(raw)
            return _read_reply(sock)

    def json(self, method: str, path: str, body: object) -> Reply:
        """Send a JSON body."""
        payload = json.dumps(body).encode()
        return self.send(request(method, path, payload))

    def healthy(self) -> bool:
        """True when the server still answers an ordinary authenticated read."""
        reply = self.send(request("GET", "/v1/sys/auth"))
        return reply.status == 200


@pytest.fixture(scope="module")
def wire() -> Iterator[Wire]:
    with MockServer(ServerConfig(port=0, root_token=ROOT, seed=11)) as mock:
        yield Wire(mock)


@pytest.fixture(autouse=True)
def _still_serving(wire: Wire) -> Iterator[None]:
    yield
    assert wire.healthy(), "the server stopped serving after this input"
    served = wire.mock.app.journal.entries()
    assert not [e for e in served if e.status >= 500], "a request got a 5xx"


# -- sizes ----------------------------------------------------------------------


def test_declared_body_over_the_limit_is_refused_before_it_is_sent(wire: Wire) -> None:
    head = (
        "POST /v1/identity/entity HTTP/1.1\r\nHost: x\r\n"
        f"X-Vault-Token: {ROOT}\r\nContent-Length: {MAX_BODY_BYTES + 1}\r\n\r\n"
    ).encode()
    reply = wire.send(head + b"{", timeout=10)
    assert reply.status == 413
    assert reply.errors() == ["http: request body too large"]


def test_streamed_body_over_the_limit_is_cut_off(wire: Wire) -> None:
    chunk = b"[" * (1 << 20)
    with socket.create_connection(wire.address, timeout=30) as sock:
        sock.sendall(
            b"POST /v1/identity/entity HTTP/1.1\r\nHost: x\r\n"
            + f"X-Vault-Token: {ROOT}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        )
        for _ in range(MAX_BODY_BYTES // len(chunk) + 1):
            sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        sock.sendall(b"0\r\n\r\n")
        reply = _read_reply(sock)
    assert reply.status == 413
    assert reply.errors() == ["http: request body too large"]


@pytest.mark.parametrize(
    ("count", "status"),
    [(400, 200), (501, 431)],
)
def test_header_fields_are_limited_in_number(
    wire: Wire, count: int, status: int
) -> None:
    headers = [(f"X-Filler-{n}", "v") for n in range(count - 1)]
    reply = wire.send(request("GET", "/v1/sys/health", headers=headers, token=None))
    assert reply.status == status


def test_header_flood_is_a_4xx(wire: Wire) -> None:
    huge = [("X-Filler", "a" * (2 << 20))]
    reply = wire.send(request("GET", "/v1/sys/health", headers=huge))
    # h11 stops a header block that arrives in pieces at 16 KiB (uvicorn answers
    # 400); one that arrives whole is measured by the guard (431).
    assert reply.status in (400, 431)


# -- JSON -------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [300, 100_000])
def test_deep_nesting_is_refused(wire: Wire, depth: int) -> None:
    body = b'{"zz":' + b"[" * depth + b"]" * depth + b"}"
    reply = wire.send(request("POST", "/v1/identity/entity", body))
    assert reply.status == 400
    assert reply.errors() == ["failed to decode JSON input: exceeded max depth"]


def test_moderate_nesting_in_an_unknown_field_is_accepted(wire: Wire) -> None:
    body = b'{"name":"nested","zz":' + b"[" * 100 + b"]" * 100 + b"}"
    reply = wire.send(request("POST", "/v1/identity/entity", body))
    assert reply.status == 200
    warnings = json.loads(reply.body)["warnings"]
    assert warnings
    assert "zz" in warnings[0]


def test_invalid_utf8_in_a_body_becomes_replacement_characters(wire: Wire) -> None:
    reply = wire.send(request("POST", "/v1/identity/entity", b'{"name":"\xff\xfe"}'))
    assert reply.status == 200
    assert json.loads(reply.body)["data"]["name"] == "\ufffd\ufffd"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b'{"name":"n","zz":NaN}', "invalid character 'N' looking for beginning of value"),
        (b'{"name":"n","zz":Infinity}', "invalid character 'I' looking for beginning of value"),
        (b'{"name":"n","zz":-Infinity}', "invalid character 'I' in numeric literal"),
        (b'{"name":"n","zz":1e999}', "json: cannot unmarshal number 1e999 into Go value of type float64"),
        (b'{"name":"n","zz":1' + b"0" * 5000 + b"}", "json: cannot unmarshal number 1" + "0" * 5000 + " into Go value of type float64"),
        (b'{"name":"n"} trailing', "invalid character 't' at offset 14"),
        (b"[1, 2]", "json: cannot unmarshal array into Go value of type map[string]interface {}"),
    ],
)  # fmt: skip
def test_json_the_real_server_refuses_is_a_400(
    wire: Wire, body: bytes, error: str
) -> None:
    reply = wire.send(request("POST", "/v1/identity/entity", body))
    assert reply.status == 400
    assert reply.errors() == [f"failed to decode JSON input: {error}"]


def test_lone_surrogates_become_replacement_characters(wire: Wire) -> None:
    reply = wire.send(request("POST", "/v1/identity/entity", b'{"name":"half\\ud800"}'))
    assert reply.status == 200
    assert json.loads(reply.body)["data"]["name"] == "half\ufffd"


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("application/xml", b"<entity name='x'/>", 400),
        ("text/plain", b'{"name":"typed-as-text"}', 200),
        ("application/octet-stream", b'{"name":"typed-as-bytes"}', 200),
        ("multipart/form-data; boundary=x", b'{"name":"typed-as-multipart"}', 200),
    ],
)
def test_bodies_are_json_whatever_their_declared_type(
    wire: Wire, content_type: str, body: bytes, status: int
) -> None:
    headers = [("Content-Type", content_type)]
    reply = wire.send(request("POST", "/v1/identity/entity", body, headers))
    assert reply.status == status
    if status == 400:
        assert reply.errors()[0].startswith("failed to decode JSON input: invalid")


@pytest.mark.parametrize("count", [1001, 200_000])
def test_huge_lists_of_ids_are_refused(wire: Wire, count: int) -> None:
    ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(count)]
    reply = wire.json("POST", "/v1/identity/entity/batch-delete", {"entity_ids": ids})
    assert reply.status == 400
    assert reply.errors() == [
        "refused JSON input due to high complexity: exceeded maximum number of strings"
    ]


def test_a_list_of_ids_under_the_limit_is_served(wire: Wire) -> None:
    ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(998)]
    reply = wire.json("POST", "/v1/identity/entity/batch-delete", {"entity_ids": ids})
    assert reply.status == 204


# -- paths --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/v1/identity/entity/name/../../sys/auth",
        "/v1/identity/entity/name/..%2F..%2Fsys%2Fauth",
        "/v1/identity/entity/name/%2e%2e",
        "/v1/identity/entity/name/a%2F.%2Fb",
        "/v1/identity/./entity/name/x",
    ],
)
def test_relative_paths_are_refused(wire: Wire, path: str) -> None:
    reply = wire.send(request("POST", path))
    assert reply.status == 400
    assert reply.errors() == ["relative paths not supported"]


@pytest.mark.parametrize(
    ("escaped", "error"),
    [
        ("a%00b", "the request path holds a character that is not printable"),
        ("a%0Ab", "the request path holds a character that is not printable"),
        ("a%09b", "the request path holds a character that is not printable"),
        ("a%7Fb", "the request path holds a character that is not printable"),
        ("a%C2%A0b", "the request path holds a character that is not printable"),
        ("a%E2%80%8Bb", "the request path holds a character that is not printable"),
        ("a%FFb", "invalid UTF-8 in the request path"),
        ("a%C3", "invalid UTF-8 in the request path"),
    ],
)
def test_odd_characters_in_names_are_refused(
    wire: Wire, escaped: str, error: str
) -> None:
    reply = wire.send(request("POST", f"/v1/identity/entity/name/{escaped}"))
    assert reply.status == 400
    assert reply.errors() == [error]


@pytest.mark.parametrize(
    ("escaped", "name"),
    [
        ("caf%C3%A9%20%E2%9C%93", "café ✓"),
        ("%F0%9F%98%80", "😀"),
        ("a..b", "a..b"),
        ("a%3Fb%23c%25d", "a?b#c%d"),
        ("%3Cscript%3E", "<script>"),
        ("a'b%22c", "a'b\"c"),
    ],
)
def test_printable_odd_names_round_trip(wire: Wire, escaped: str, name: str) -> None:
    created = wire.send(request("POST", f"/v1/identity/entity/name/{escaped}"))
    assert created.status in (200, 204)
    read = wire.send(request("GET", f"/v1/identity/entity/name/{escaped}"))
    assert read.status == 200
    assert json.loads(read.body)["data"]["name"] == name


def test_an_escaped_slash_in_a_name_does_not_reach_another_path(wire: Wire) -> None:
    # The real server creates an entity named "a/b"; the mock routes on the
    # decoded path, where no operation matches.
    reply = wire.send(request("POST", "/v1/identity/entity/name/a%2Fb"))
    assert reply.status == 404


def test_a_long_path_is_a_404(wire: Wire) -> None:
    reply = wire.send(request("GET", "/v1/identity/entity/name/" + "a" * 60_000))
    assert reply.status == 404


# -- the HTTP layer itself ------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,
        b"GET /v1/sys/health HTTP/1.1\r\nHost x\r\n\r\n",
        b"GET /v1/sys health HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /v1/identity/entity HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"POST /v1/identity/entity HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\n",
    ],
)
def test_malformed_http_is_a_400(wire: Wire, raw: bytes) -> None:
    assert wire.send(raw).status == 400


def test_non_ascii_token_is_permission_denied(wire: Wire) -> None:
    raw = request(
        "GET", "/v1/sys/auth", token=None, headers=[("X-Vault-Token", "r\xf6ot")]
    )
    reply = wire.send(raw)
    assert reply.status == 403
    assert reply.errors() == ["permission denied"]


def test_unknown_verb_is_a_405(wire: Wire) -> None:
    reply = wire.send(request("BREW", "/v1/identity/entity"))
    assert reply.status == 405


# -- security basics --------------------------------------------------------------------


def test_the_default_bind_address_is_loopback() -> None:
    assert DEFAULT_HOST == "127.0.0.1"
    assert ServerConfig().host == "127.0.0.1"


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def test_tokens_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((_text(a), _text(b)))
        return bool(real(a, b))

    monkeypatch.setattr(hmac, "compare_digest", spy)
    store = Store(root_token=ROOT)
    assert store.tokens.authenticate(ROOT) is not None
    # The backend may compare the text or its bytes; either way, one call.
    assert compared == [(ROOT, ROOT)]
    assert store.tokens.authenticate(ROOT[:-1]) is None


def test_no_secret_reaches_the_logs(
    wire: Wire, caplog: pytest.LogCaptureFixture
) -> None:
    password = "pw-do-not-log-93b1"
    caplog.set_level(logging.DEBUG)
    wire.json("POST", "/v1/sys/auth/userpass", {"type": "userpass"})
    wire.json("POST", "/v1/auth/userpass/users/carol", {"password": password})
    login = wire.send(
        request(
            "POST",
            "/v1/auth/userpass/login/carol",
            json.dumps({"password": password}).encode(),
            token=None,
        )
    )
    issued = ""
    if login.status == 200:
        issued = json.loads(login.body)["auth"]["client_token"]
        wire.send(request("GET", f"/v1/auth/token/lookup/{issued}"))
        wire.send(request("GET", "/v1/auth/token/lookup-self", token=issued))
    wire.send(request("GET", "/v1/sys/auth", token=ROOT + "-wrong"))
    wire.send(request("GET", f"/v1/identity/entity/name/x?token={ROOT}"))
    wire.send(request("POST", "/v1/identity/entity", b'{"name": "x", "zz": NaN}'))
    logged = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''} {getattr(r, 'access', '')}"
        for r in caplog.records
    )
    assert logged, "nothing was logged: the check would prove nothing"
    for secret in (ROOT, password, *([issued] if issued else [])):
        assert secret not in logged
