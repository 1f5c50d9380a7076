"""Fault injection: make the mock slow, failing or sealed, to test a client's resilience.

A :class:`FaultRule` says which requests it hits (a path pattern and methods), what it
does (added latency, an error status with a Vault error body, or both), how often
(``rate``, a probability drawn from a seeded source) and for how long (``times``,
after which it expires). :class:`Faults` holds the active rules and the *sealed*
switch; :class:`FaultMiddleware` applies them to each request before the Vault wire
layer, so a fault answers even a request without a token, as a real server's proxy
or seal would.

Rules are set from Python (``MockApp.faults``), the admin API (JSON, see
:meth:`FaultRule.from_dict`) and the command line (the compact form of
:meth:`FaultRule.parse`, e.g. ``status=503,path=/v1/identity/entity/*,times=2``).

A sealed mock answers like a sealed server: ``sys/health`` with ``503`` and
``sealed: true``, ``sys/seal-status`` with ``200`` and ``sealed: true``, and every
other ``/v1`` request with ``503 {"errors": ["Vault is sealed"]}``.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import random
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver import __version__
from mockserver.wire.middleware import API_PREFIX, send_json

logger = logging.getLogger(__name__)

__all__ = [
    "Fault",
    "FaultMiddleware",
    "FaultRule",
    "FaultSpecError",
    "Faults",
]

SEALED_ERROR = "Vault is sealed"
MAX_LATENCY_MS = 600_000
_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "LIST", "OPTIONS"}
)
_FIELDS = (
    "path",
    "regex",
    "methods",
    "status",
    "errors",
    "latency_ms",
    "rate",
    "times",
)
# The compact form's keys; "error" and "latency" are short aliases.
_COMPACT_KEYS = {
    "path": "path",
    "regex": "regex",
    "methods": "methods",
    "method": "methods",
    "status": "status",
    "error": "errors",
    "latency_ms": "latency_ms",
    "latency": "latency_ms",
    "rate": "rate",
    "times": "times",
}
# Split on a comma only where the next item looks like ``key=``, so an error
# message or a regex may itself hold commas (but not ``,word=``).
_COMPACT_SPLIT = re.compile(r",\s*(?=[A-Za-z_]+=)")


class FaultSpecError(ValueError):
    """A fault rule is malformed; the message names the field and the fix."""


def _int(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise FaultSpecError(f"fault {name} must be a whole number, got {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise FaultSpecError(
            f"fault {name} must be a whole number, got {value!r}"
        ) from None
    if not low <= number <= high:
        raise FaultSpecError(
            f"fault {name} must be between {low} and {high}, got {number}"
        )
    return number


def _rate(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FaultSpecError(f"fault rate must be a number from 0 to 1, got {value!r}")
    try:
        rate = float(value)
    except ValueError:
        raise FaultSpecError(
            f"fault rate must be a number from 0 to 1, got {value!r}"
        ) from None
    if not 0.0 <= rate <= 1.0:
        raise FaultSpecError(f"fault rate must be from 0 to 1, got {rate}")
    return rate


def _methods(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        items: list[object] = [m for m in re.split(r"[|+ ]", value) if m]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise FaultSpecError(
            f"fault methods must be a list of HTTP verbs, got {value!r}"
        )
    methods = []
    for item in items:
        if not isinstance(item, str) or item.upper() not in _METHODS:
            raise FaultSpecError(
                f"fault methods: {item!r} is not one of {', '.join(sorted(_METHODS))}"
            )
        methods.append(item.upper())
    return tuple(methods)


def _errors(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(e, str) for e in value):
        return tuple(value)
    raise FaultSpecError(f"fault errors must be a list of strings, got {value!r}")


@dataclass(frozen=True, slots=True)
class FaultRule:
    """Which requests a fault hits and what it does to them.

    * ``path``: a glob matched against the request path as the client sent it
      (``*`` matches any characters, ``/`` included); a pattern without a leading
      ``/`` or ``*`` is taken relative to ``/v1/``. Ignored when ``regex`` is set.
    * ``regex``: a regular expression searched in the request path instead.
    * ``methods``: the verbs hit, as the client sends them (``LIST``, ``PUT``);
      empty hits every verb.
    * ``status``: answer with this status (400-599) and ``{"errors": errors}``;
      None lets the request through after the latency.
    * ``latency_ms``: wait this long before answering.
    * ``rate``: the probability (0 to 1) that a matching request is hit.
    * ``times``: expire after hitting this many requests; None never expires.
    """

    path: str = "*"
    regex: str | None = None
    methods: tuple[str, ...] = ()
    status: int | None = None
    errors: tuple[str, ...] | None = None
    latency_ms: int = 0
    rate: float = 1.0
    times: int | None = None
    _compiled: re.Pattern[str] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        if not isinstance(self.path, str) or not self.path:
            raise FaultSpecError(
                f"fault path must be a non-empty glob, got {self.path!r}"
            )
        if self.regex is not None:
            try:
                compiled = re.compile(self.regex)
            except (re.error, TypeError) as exc:
                raise FaultSpecError(
                    f"fault regex {self.regex!r} is not a regular expression: {exc}"
                ) from None
        else:
            pattern = self.path
            if not pattern.startswith(("/", "*")):
                pattern = f"{API_PREFIX}/{pattern}"
            compiled = re.compile(fnmatch.translate(pattern))
        object.__setattr__(self, "_compiled", compiled)
        object.__setattr__(self, "methods", _methods(self.methods))
        if self.status is not None:
            object.__setattr__(self, "status", _int("status", self.status, 400, 599))
        if self.errors is not None:
            object.__setattr__(self, "errors", _errors(self.errors))
        object.__setattr__(
            self, "latency_ms", _int("latency_ms", self.latency_ms, 0, MAX_LATENCY_MS)
        )
        object.__setattr__(self, "rate", _rate(self.rate))
        if self.times is not None:
            object.__setattr__(self, "times", _int("times", self.times, 1, 2**31))
        if self.status is None and self.latency_ms == 0:
            raise FaultSpecError(
                "a fault needs a status (an error answer), a latency_ms (a delay), "
                "or both"
            )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultRule:
        """A rule from its JSON form (the admin API's ``POST /_vaultmock/faults``).

        Raises :class:`FaultSpecError` naming an unknown or malformed field.
        """
        if not isinstance(data, Mapping):
            raise FaultSpecError(
                f'a fault is a JSON object such as {{"status": 503}}, got {data!r}'
            )
        unknown = sorted(set(data) - set(_FIELDS) - {"id", "fired", "remaining"})
        if unknown:
            raise FaultSpecError(
                f"unknown fault field(s) {', '.join(unknown)}; the fields are "
                f"{', '.join(_FIELDS)}"
            )
        fields = {k: v for k, v in data.items() if k in _FIELDS and v is not None}
        if "path" in fields and not isinstance(fields["path"], str):
            raise FaultSpecError(f"fault path must be a string, got {fields['path']!r}")
        if "regex" in fields and not isinstance(fields["regex"], str):
            raise FaultSpecError(
                f"fault regex must be a string, got {fields['regex']!r}"
            )
        return cls(**fields)

    @classmethod
    def parse(cls, text: str) -> FaultRule:
        """A rule from the compact form used on the command line.

        ``key=value`` items separated by commas, e.g.
        ``status=503,path=/v1/identity/entity/*,times=2``. Keys: ``path``,
        ``regex``, ``methods`` (``GET|LIST``), ``status``, ``error`` (the message),
        ``latency_ms`` (or ``latency``), ``rate``, ``times``.
        """
        if not text.strip():
            raise FaultSpecError("empty fault: give at least status=... or latency=...")
        data: dict[str, Any] = {}
        for item in _COMPACT_SPLIT.split(text.strip()):
            key, sep, value = item.partition("=")
            key = key.strip().lower()
            if not sep or key not in _COMPACT_KEYS:
                raise FaultSpecError(
                    f"fault {text!r}: {item!r} is not key=value with a key among "
                    f"{', '.join(_COMPACT_KEYS)}"
                )
            name = _COMPACT_KEYS[key]
            if name in data:
                raise FaultSpecError(f"fault {text!r}: {key} is given twice")
            data[name] = value.strip() if name not in ("errors", "regex") else value
        return cls.from_dict(data)

    def as_dict(self) -> dict[str, Any]:
        """The rule as JSON-compatible data (the input of :meth:`from_dict`)."""
        return {
            "path": self.path,
            "regex": self.regex,
            "methods": list(self.methods),
            "status": self.status,
            "errors": None if self.errors is None else list(self.errors),
            "latency_ms": self.latency_ms,
            "rate": self.rate,
            "times": self.times,
        }

    def matches(self, method: str, path: str) -> bool:
        """True when a ``method`` request for ``path`` is one this rule targets."""
        if self.methods and method.upper() not in self.methods:
            return False
        if self.regex is not None:
            return self._compiled.search(path) is not None
        return self._compiled.match(path) is not None

    def error_body(self) -> dict[str, list[str]]:
        """The body answered when the rule fires with a status."""
        errors = self.errors
        if errors is None:
            errors = (f"vaultmock: injected fault (HTTP {self.status})",)
        return {"errors": list(errors)}


@dataclass(slots=True)
class Fault:
    """An active rule: its id, how often it fired, and how many hits it has left."""

    id: str
    rule: FaultRule
    fired: int = 0
    remaining: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The fault as JSON-compatible data."""
        return {
            "id": self.id,
            **self.rule.as_dict(),
            "fired": self.fired,
            "remaining": self.remaining,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """What the faults do to one request."""

    latency_ms: int = 0
    fault: Fault | None = None
    """The fault that answers with an error, if any."""


class Faults:
    """The active fault rules and the sealed switch of one mock.

    ``seed`` feeds the draws of rules with a ``rate`` below 1, so a seeded mock
    fails the same requests every run; the draws never touch the store's random
    source, so ids stay the same with or without faults. Safe to change from
    another thread while the server runs.
    """

    def __init__(
        self,
        rules: Iterable[FaultRule] = (),
        *,
        sealed: bool = False,
        seed: int | None = None,
    ) -> None:
        self._initial = tuple(rules)
        self._initial_sealed = sealed
        self._seed = seed
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._counter = 0
        self._rng = random.Random(seed)
        self.sealed = sealed
        self.reset()

    def reset(self) -> None:
        """Back to the rules and seal the mock started with."""
        with self._lock:
            self._faults = []
            self._counter = 0
            self._rng = random.Random(self._seed)
            self.sealed = self._initial_sealed
        for rule in self._initial:
            self.add(rule)

    def add(self, rule: FaultRule | None = None, /, **fields: Any) -> Fault:
        """Activate ``rule``, or a rule made from ``fields``; returns the fault.

        >>> mock.app.faults.add(status=503, path="identity/entity*", times=1)
        ... # doctest: +SKIP
        """
        if rule is None:
            rule = FaultRule.from_dict(fields)
        elif fields:
            rule = replace(rule, **fields)
        with self._lock:
            self._counter += 1
            fault = Fault(id=f"f{self._counter}", rule=rule, remaining=rule.times)
            self._faults.append(fault)
        logger.info("fault %s active: %s", fault.id, rule.as_dict())
        return fault

    def remove(self, fault_id: str) -> bool:
        """Deactivate the fault with ``fault_id``; False when there is none."""
        with self._lock:
            for fault in self._faults:
                if fault.id == fault_id:
                    self._faults.remove(fault)
                    return True
        return False

    def clear(self) -> None:
        """Deactivate every rule and unseal."""
        with self._lock:
            self._faults = []
            self.sealed = False

    def active(self) -> list[Fault]:
        """The active faults, in the order they are checked."""
        with self._lock:
            return list(self._faults)

    def as_dict(self) -> dict[str, Any]:
        """The sealed switch and the active faults as JSON-compatible data."""
        return {"sealed": self.sealed, "faults": [f.as_dict() for f in self.active()]}

    def decide(self, method: str, path: str) -> Decision:
        """Draw the faults that hit one request, and count them as fired.

        Every matching rule that fires adds its latency; the first one with a
        status answers, and the rules after it are not consumed.
        """
        latency = 0
        with self._lock:
            for fault in list(self._faults):
                rule = fault.rule
                if not rule.matches(method, path):
                    continue
                if rule.rate < 1.0 and self._rng.random() >= rule.rate:
                    continue
                fault.fired += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                latency += rule.latency_ms
                if rule.status is not None:
                    return Decision(latency_ms=latency, fault=fault)
        return Decision(latency_ms=latency)


def _sealed_health(scope: Scope) -> tuple[int, dict[str, Any]]:
    # A sealed node reports itself as a standby with unknown replication and no
    # cluster identity; ``sealedcode`` overrides the status as on the real server.
    status = 503
    codes = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("sealedcode")
    if codes and codes[0].isdigit():
        status = int(codes[0])
    return status, {
        "initialized": True,
        "sealed": True,
        "standby": True,
        "replication_performance_mode": "unknown",
        "replication_dr_mode": "unknown",
        "server_time_utc": int(time.time()),
        "version": f"{__version__}+vaultmock",
    }


def _sealed_status() -> dict[str, Any]:
    return {
        "type": "shamir",
        "initialized": True,
        "sealed": True,
        "t": 1,
        "n": 1,
        "progress": 0,
        "nonce": "",
        "version": f"{__version__}+vaultmock",
        "build_date": "",
        "migration": False,
        "recovery_seal": False,
        "storage_type": "inmem",
    }


async def _drain(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


class FaultMiddleware:
    """Applies :class:`Faults` to every HTTP request before the wire layer.

    Latency and error rules are checked first (they stand for the network and
    proxies in front of a server), then the sealed switch (the server itself).
    """

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"].upper()
        path = scope["path"]
        decision = self.faults.decide(method, path)
        if decision.latency_ms:
            await asyncio.sleep(decision.latency_ms / 1000)
        if decision.fault is not None or (
            self.faults.sealed and path.startswith(API_PREFIX + "/")
        ):
            # Read the body the client sent, so the journal records it even
            # though the request never reaches a handler.
            await _drain(receive)
        if decision.fault is not None:
            rule = decision.fault.rule
            assert rule.status is not None
            logger.info(
                "%s %s: fault %s answers %s",
                method,
                path,
                decision.fault.id,
                rule.status,
            )
            await send_json(send, rule.status, rule.error_body())
            return
        if self.faults.sealed and path.startswith(API_PREFIX + "/"):
            await self._sealed(scope, send, method, path)
            return
        await self.app(scope, receive, send)

    @staticmethod
    async def _sealed(scope: Scope, send: Send, method: str, path: str) -> None:
        route = path[len(API_PREFIX) :].rstrip("/")
        if route == "/sys/health" and method in ("GET", "HEAD"):
            status, body = _sealed_health(scope)
            await send_json(send, status, None if method == "HEAD" else body)
        elif route == "/sys/seal-status" and method == "GET":
            await send_json(send, 200, _sealed_status())
        else:
            await send_json(send, 503, {"errors": [SEALED_ERROR]})
