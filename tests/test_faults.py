"""Fault injection: the rule syntax, the registry, and what a client sees."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import hvac
import hvac.exceptions
import pytest
from test_admin import vault_subset

from mockserver.config import ServerConfig
from mockserver.server import MockServer
from mockserver.wire.faults import FaultRule, Faults, FaultSpecError
from mockserver.wire.journal import JournalEntry

# -- the rule -----------------------------------------------------------------


def test_compact_form() -> None:
    rule = FaultRule.parse("status=503,path=/v1/identity/entity/*,times=2")
    assert rule == FaultRule(status=503, path="/v1/identity/entity/*", times=2)


def test_compact_form_with_every_key() -> None:
    rule = FaultRule.parse(
        "path=identity/*, methods=get|list, status=429, error=slow down, please,"
        "latency=25, rate=0.5, times=3"
    )
    assert rule.as_dict() == {
        "path": "identity/*",
        "regex": None,
        "methods": ["GET", "LIST"],
        "status": 429,
        "errors": ["slow down, please"],
        "latency_ms": 25,
        "rate": 0.5,
        "times": 3,
    }


def test_compact_regex_may_hold_commas() -> None:
    rule = FaultRule.parse(r"regex=^/v1/identity/entity/id/[a-f0-9]{8,}$,status=500")
    assert rule.regex == r"^/v1/identity/entity/id/[a-f0-9]{8,}$"
    assert rule.matches("GET", "/v1/identity/entity/id/0123456789")
    assert not rule.matches("GET", "/v1/identity/entity/id/0123")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty fault: give at least status=... or latency=..."),
        ("status=503,color=red", "fault 'status=503,color=red': 'color=red' is not"),
        ("503", "fault '503': '503' is not key=value"),
        (
            "status=503,status=500",
            "fault 'status=503,status=500': status is given twice",
        ),
        ("status=abc", "fault status must be a whole number, got 'abc'"),
        ("status=302", "fault status must be between 400 and 599, got 302"),
        ("latency=-5", "fault latency_ms must be between 0 and 600000, got -5"),
        ("status=500,rate=x", "fault rate must be a number from 0 to 1, got 'x'"),
        ("status=500,times=0", "fault times must be between 1 and"),
        ("status=500,methods=FETCH", "fault methods: 'FETCH' is not one of"),
        ("times=3", "a fault needs a status (an error answer), a latency_ms"),
    ],
)
def test_compact_form_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(FaultSpecError) as caught:
        FaultRule.parse(text)
    assert str(caught.value).startswith(message)


def test_from_dict_round_trips_as_dict() -> None:
    rule = FaultRule(status=500, methods=("POST",), latency_ms=5, errors=("x",))
    assert FaultRule.from_dict(rule.as_dict()) == rule


@pytest.mark.parametrize(
    ("rule", "method", "path", "hit"),
    [
        (FaultRule(status=500), "GET", "/v1/sys/health", True),
        (FaultRule(status=500, path="identity/*"), "GET", "/v1/identity/x/y", True),
        (FaultRule(status=500, path="identity/*"), "GET", "/v1/sys/health", False),
        (FaultRule(status=500, path="/v1/sys/health"), "GET", "/v1/sys/health", True),
        (FaultRule(status=500, path="/v1/sys/health"), "GET", "/v1/sys/healthz", False),
        (FaultRule(status=500, methods=("LIST",)), "LIST", "/v1/a", True),
        (FaultRule(status=500, methods=("LIST",)), "GET", "/v1/a", False),
        (
            FaultRule(status=500, regex="entity/id/"),
            "GET",
            "/v1/identity/entity/id/1",
            True,
        ),
        (FaultRule(status=500, regex="^/entity"), "GET", "/v1/identity/entity", False),
    ],
)
def test_matching(rule: FaultRule, method: str, path: str, hit: bool) -> None:
    assert rule.matches(method, path) is hit


def test_default_error_body_names_the_fault() -> None:
    assert FaultRule(status=502).error_body() == {
        "errors": ["vaultmock: injected fault (HTTP 502)"]
    }
    assert FaultRule(status=502, errors=("bad gateway",)).error_body() == {
        "errors": ["bad gateway"]
    }


# -- the registry -------------------------------------------------------------------


def test_a_fault_expires_after_times_hits() -> None:
    faults = Faults()
    fault = faults.add(status=500, times=2)
    assert faults.decide("GET", "/v1/x").fault is fault
    assert faults.decide("GET", "/v1/x").fault is fault
    assert faults.decide("GET", "/v1/x").fault is None
    assert faults.active() == []
    assert fault.fired == 2


def test_latencies_add_up_and_the_first_status_answers() -> None:
    faults = Faults()
    faults.add(latency_ms=10)
    first = faults.add(status=500, latency_ms=5, times=1)
    second = faults.add(status=502)
    decision = faults.decide("GET", "/v1/x")
    assert decision.latency_ms == 15
    assert decision.fault is first
    assert second.fired == 0
    assert faults.decide("GET", "/v1/x").fault is second


def test_rate_draws_repeat_under_a_seed() -> None:
    def draws(seed: int) -> list[bool]:
        faults = Faults([FaultRule(status=500, rate=0.5)], seed=seed)
        return [faults.decide("GET", "/v1/x").fault is not None for _ in range(200)]

    assert draws(1) == draws(1)
    assert draws(1) != draws(2)
    assert 60 < sum(draws(1)) < 140


def test_rate_zero_never_fires() -> None:
    faults = Faults([FaultRule(status=500, rate=0.0)])
    assert all(faults.decide("GET", "/v1/x").fault is None for _ in range(50))


def test_reset_returns_to_the_starting_rules_and_seal() -> None:
    faults = Faults([FaultRule(status=500, times=1)], sealed=True)
    faults.decide("GET", "/v1/x")
    faults.add(status=502)
    faults.sealed = False
    faults.reset()
    assert [f.rule for f in faults.active()] == [FaultRule(status=500, times=1)]
    assert [f.remaining for f in faults.active()] == [1]
    assert faults.sealed is True


def test_remove_and_clear() -> None:
    faults = Faults(sealed=True)
    one = faults.add(status=500)
    faults.add(status=502)
    assert faults.remove(one.id) is True
    assert faults.remove(one.id) is False
    faults.clear()
    assert faults.active() == []
    assert faults.sealed is False


def test_add_refuses_a_bad_rule() -> None:
    with pytest.raises(FaultSpecError, match="unknown fault field"):
        Faults().add(statuss=500)


# -- what a client sees ---------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0, seed=3, document=vault_subset())) as mock:
        yield mock


@pytest.fixture
def mock(server: MockServer) -> MockServer:
    """The module's mock, without the faults and journal of earlier tests."""
    server.app.faults.clear()
    server.app.journal.clear()
    return server


@pytest.fixture
def vault(mock: MockServer) -> hvac.Client:
    return hvac.Client(url=mock.url, token=mock.root_token)


def _journal(mock: MockServer, count: int) -> list[JournalEntry]:
    # The journal records a request just after its answer leaves, so an entry
    # may land a moment after the client has read the answer.
    deadline = time.monotonic() + 2
    while len(mock.app.journal) < count and time.monotonic() < deadline:
        time.sleep(0.005)
    return mock.app.journal.entries()


@pytest.mark.parametrize(
    ("status", "exception"),
    [
        (400, hvac.exceptions.InvalidRequest),
        (403, hvac.exceptions.Forbidden),
        (404, hvac.exceptions.InvalidPath),
        (429, hvac.exceptions.RateLimitExceeded),
        (500, hvac.exceptions.InternalServerError),
        (502, hvac.exceptions.BadGateway),
        (503, hvac.exceptions.VaultDown),
    ],
)
def test_hvac_raises_the_exception_of_the_injected_status(
    mock: MockServer, vault: hvac.Client, status: int, exception: type[Exception]
) -> None:
    mock.app.faults.add(status=status, path="identity/entity", errors=["injected"])
    with pytest.raises(exception) as caught:
        vault.secrets.identity.create_or_update_entity(name="alice")
    assert caught.value.errors == ["injected"]  # type: ignore[attr-defined]


def test_a_fault_that_fires_twice_then_lets_requests_through(
    mock: MockServer, vault: hvac.Client
) -> None:
    mock.app.faults.add(FaultRule.parse("status=503,path=identity/entity*,times=2"))
    for _ in range(2):
        with pytest.raises(hvac.exceptions.VaultDown):
            vault.secrets.identity.create_or_update_entity(name="alice")
    created = vault.secrets.identity.create_or_update_entity(name="alice")
    assert created["data"]["name"] == "alice"
    assert [e.status for e in _journal(mock, 3)] == [503, 503, 200]


def test_the_journal_keeps_the_body_of_a_faulted_request(
    mock: MockServer, vault: hvac.Client
) -> None:
    mock.app.faults.add(status=500, times=1)
    with pytest.raises(hvac.exceptions.InternalServerError):
        vault.secrets.identity.create_or_update_entity(name="bob")
    (entry,) = _journal(mock, 1)
    assert entry.body == {"name": "bob"}
    assert entry.status == 500


def test_a_fault_answers_before_the_token_check(mock: MockServer) -> None:
    mock.app.faults.add(status=502, times=1)
    answer = httpx.get(f"{mock.url}/v1/identity/entity/id/x")
    assert answer.status_code == 502


def test_methods_match_the_verb_the_client_sent(
    mock: MockServer, vault: hvac.Client
) -> None:
    vault.secrets.identity.create_or_update_entity(name="carol")
    mock.app.faults.add(status=500, methods=["LIST"])
    with pytest.raises(hvac.exceptions.InternalServerError):
        vault.secrets.identity.list_entities()
    listed = httpx.get(
        f"{mock.url}/v1/identity/entity/id?list=true",
        headers={"X-Vault-Token": mock.root_token},
    )
    assert listed.status_code == 200


def test_latency_delays_the_answer(mock: MockServer, vault: hvac.Client) -> None:
    mock.app.faults.add(latency_ms=150, path="sys/seal-status", times=1)
    start = time.perf_counter()
    assert vault.sys.read_seal_status()["sealed"] is False
    assert time.perf_counter() - start >= 0.15
    start = time.perf_counter()
    vault.sys.read_seal_status()
    assert time.perf_counter() - start < 0.15


# -- a sealed mock ---------------------------------------------------------------------


def test_hvac_reports_a_sealed_server(mock: MockServer, vault: hvac.Client) -> None:
    mock.app.faults.sealed = True
    try:
        assert vault.sys.is_sealed() is True
        with pytest.raises(hvac.exceptions.VaultDown) as caught:
            vault.secrets.identity.create_or_update_entity(name="alice")
        assert caught.value.errors == ["Vault is sealed"]  # type: ignore[attr-defined]
        health = vault.sys.read_health_status(method="GET")
        assert health.status_code == 503
        assert health.json()["sealed"] is True
    finally:
        mock.app.faults.sealed = False
    assert vault.sys.is_sealed() is False


def test_a_sealed_mock_answers_like_a_sealed_server(mock: MockServer) -> None:
    mock.app.faults.sealed = True
    try:
        with httpx.Client(base_url=mock.url) as http:
            # No token at all: the seal answers before permission is checked.
            answer = http.get("/v1/identity/entity/id/x")
            assert (answer.status_code, answer.json()) == (
                503,
                {"errors": ["Vault is sealed"]},
            )
            assert http.request("LIST", "/v1/identity/entity/id").status_code == 503
            assert http.get("/v1/sys/no-such-path").status_code == 503
            health = http.get("/v1/sys/health")
            assert health.status_code == 503
            assert {k: health.json()[k] for k in ("sealed", "standby")} == {
                "sealed": True,
                "standby": True,
            }
            assert "cluster_id" not in health.json()
            assert http.get("/v1/sys/health?sealedcode=299").status_code == 299
            head = http.head("/v1/sys/health")
            assert (head.status_code, head.content) == (503, b"")
            status = http.get("/v1/sys/seal-status")
            assert status.status_code == 200
            assert status.json()["sealed"] is True
    finally:
        mock.app.faults.sealed = False


def test_faults_from_the_config_are_active_at_start() -> None:
    config = ServerConfig(
        port=0,
        document=vault_subset(),
        faults=(FaultRule.parse("status=503,path=sys/health,times=1"),),
        sealed=False,
    )
    with MockServer(config) as mock:
        assert httpx.get(f"{mock.url}/v1/sys/health").status_code == 503
        assert httpx.get(f"{mock.url}/v1/sys/health").status_code == 200


def test_a_mock_can_start_sealed() -> None:
    config = ServerConfig(port=0, document=vault_subset(), sealed=True)
    with MockServer(config) as mock:
        assert hvac.Client(url=mock.url).sys.is_sealed() is True
