"""Record what a real Vault-compatible server answers, operation by operation.

The published fragments are not trusted about behaviour: the real server is. This
module plays a scripted scenario (:mod:`mockserver.spec.scenario`) against a real
server on this machine and records, for each operationId, every status seen with a
scrubbed sample body. The record, ``spec/observed/responses.json``, is what
:mod:`mockserver.spec.lint` compares the fragments with, and what the tests
validate the repaired response schemas against, offline.

The scenario creates and deletes identity objects, auth mounts and policies, so it
only talks to a server on the loopback interface: start a throw-away dev server
(``bao server -dev -dev-root-token-id=root -dev-listen-address=127.0.0.1:8210``).
Volatile values (ids, times, tokens, keys) are replaced by fixed placeholders of
the same JSON type, so re-running against a fresh server gives the same file.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import urlsplit

from mockserver.spec.errors import SpecError
from mockserver.spec.layout import Fragment, write_json

logger = logging.getLogger(__name__)

ROOT_TOKEN = "root"


class ObserveError(SpecError):
    """The scenario cannot run: refused address, unreachable server, failed setup."""


@dataclass(frozen=True)
class Step:
    """One request of the scenario.

    ``op`` is the operationId the answer is recorded under (``None``: a setup
    request whose answer is not recorded). ``path``, string values of ``body``,
    ``params`` and ``form``, and ``token`` are :class:`string.Template` strings
    filled from the values earlier steps saved (``$eid``). ``body`` is sent as
    JSON unless it is ``None``; ``raw`` is sent as is. ``save`` maps a variable
    name to the key path of a value in the JSON answer. ``expect`` makes the run
    fail when a setup step does not answer that status.
    """

    op: str | None
    method: str
    path: str
    case: str
    body: Any = None
    raw: bytes | None = None
    params: Mapping[str, str] | None = None
    form: Mapping[str, str] | None = None
    basic: tuple[str, str] | None = None
    bearer: str | None = None
    token: str | None = ROOT_TOKEN
    save: Mapping[str, tuple[str | int, ...]] = field(default_factory=dict)
    expect: int | None = None

    @property
    def sends_no_body(self) -> bool:
        """Whether the request carries no body at all."""
        return self.body is None and self.raw is None and self.form is None


@dataclass(frozen=True)
class Observation:
    """One recorded answer of the real server."""

    case: str
    method: str
    status: int
    body: Any
    empty_body: bool = False
    no_token: bool = False

    def to_json(self) -> dict[str, Any]:
        """The record written to ``spec/observed/responses.json``."""
        record: dict[str, Any] = {
            "case": self.case,
            "method": self.method,
            "status": self.status,
            "body": self.body,
        }
        if self.empty_body:
            record["empty_body"] = True
        if self.no_token:
            record["no_token"] = True
        return record


def observation_from_json(record: Mapping[str, Any]) -> Observation:
    """Read back one record of ``spec/observed/responses.json``."""
    return Observation(
        case=str(record["case"]),
        method=str(record["method"]),
        status=int(record["status"]),
        body=record.get("body"),
        empty_body=bool(record.get("empty_body", False)),
        no_token=bool(record.get("no_token", False)),
    )


# --- scrubbing -------------------------------------------------------------------

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")
_JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")
_ACCESSOR = re.compile(r"\b(auth_[a-z]+)_[0-9a-f]{8}\b")
_GENERATED_NAME = re.compile(r"\b(entity|group)_[0-9a-f]{8}\b")
_CLUSTER = re.compile(r"vault-cluster-[0-9a-f]{8}")
_SECRET = re.compile(r"hvo_secret_\w+")
_VAULT_TOKEN = re.compile(r"\b(?:hv[sbr]|[sbr])\.[\w.-]{20,}")

# Fields whose values are random but carry no recognisable shape.
_RANDOM_FIELDS = {
    "barcode": "<png-base64>",
    "client_id": "<client_id>",
    "code": "<code>",
    "e": "<jwk-e>",
    "kid": "<kid>",
    "n": "<jwk-n>",
    "url": "otpauth://totp/<issuer>:<entity>?<secret>",
    "x": "<jwk-x>",
    "y": "<jwk-y>",
}
_NUMERIC_FIELDS = {"server_time_utc": 0, "modify_index": 1}


def scrub_text(text: str) -> str:
    """Replace volatile substrings (ids, times, tokens) by fixed placeholders."""
    text = _JWT.sub("<jwt>", text)
    text = _SECRET.sub("<client_secret>", text)
    text = _VAULT_TOKEN.sub("<token>", text)
    text = _UUID.sub("<uuid>", text)
    text = _TIME.sub("<time>", text)
    text = _ACCESSOR.sub(r"\1_<hex>", text)
    text = _GENERATED_NAME.sub(r"\1_<hex>", text)
    return _CLUSTER.sub("vault-cluster-<hex>", text)


def _order(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def scrub(value: Any, key: str | None = None) -> Any:
    """Return ``value`` with volatile parts replaced, keeping every JSON type.

    Object keys are scrubbed too: members keyed by ids collapse into one entry, the
    same one on every run.
    """
    if isinstance(value, dict):
        scrubbed: dict[str, Any] = {}
        for k, v in value.items():
            name, item = scrub_text(k), scrub(v, k)
            # Keys that were ids collapse into one; keep the same one every run.
            if name not in scrubbed or _order(item) < _order(scrubbed[name]):
                scrubbed[name] = item
        return scrubbed
    if isinstance(value, list):
        items = [scrub(v, key) for v in value]
        if key == "allowed_client_ids":
            items = [v if v == "*" else "<client_id>" for v in items]
        if key == "keys" and all(isinstance(v, str) for v in items):
            # The server lists names in hash order, which changes between runs.
            items.sort()
        return items
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and key in _NUMERIC_FIELDS:
        return _NUMERIC_FIELDS[key]
    if isinstance(value, str):
        if key in _RANDOM_FIELDS and value:
            return _RANDOM_FIELDS[key]
        return scrub_text(value)
    return value


# --- running ---------------------------------------------------------------------


def require_loopback(address: str) -> None:
    """Refuse any server address that is not on the loopback interface."""
    host = urlsplit(address).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ObserveError(
        f"refusing to observe {address!r}: the scenario creates and deletes identity "
        "objects, mounts and policies, so it only runs against a throw-away server "
        "on this machine; start one with 'bao server -dev -dev-root-token-id=root "
        "-dev-listen-address=127.0.0.1:8210' and pass --address "
        "http://127.0.0.1:8210"
    )


def _fill(value: Any, context: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return Template(value).substitute(context)
    if isinstance(value, dict):
        return {k: _fill(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, context) for v in value]
    return value


def _dig(body: Any, keys: tuple[str | int, ...]) -> str:
    node = body
    for key in keys:
        node = node[key]
    return str(node)


def run(
    steps: Iterable[Step],
    address: str,
    *,
    transport: Any = None,
) -> dict[str, list[Observation]]:
    """Play ``steps`` against the server at ``address``; return answers by operation.

    ``transport`` is an optional httpx transport (tests pass a mock one). Raises
    :class:`ObserveError` when the address is not loopback, the server cannot be
    reached, or a setup step does not answer what it expects.
    """
    import httpx

    require_loopback(address)
    context: dict[str, str] = {}
    observed: dict[str, list[Observation]] = {}
    base = address.rstrip("/") + "/v1"
    with httpx.Client(base_url=base, timeout=30, transport=transport) as client:
        for step in steps:
            try:
                response = _send(client, step, context)
            except httpx.HTTPError as exc:
                raise ObserveError(
                    f"{step.method} {step.path}: the server at {address} did not "
                    f"answer ({exc}); is it running and unsealed?"
                ) from exc
            except KeyError as exc:
                raise ObserveError(
                    f"{step.method} {step.path} ({step.case}): uses ${exc.args[0]} "
                    "before any step saved it; fix the order in the scenario"
                ) from exc
            body = _json_or_none(response)
            if step.expect is not None and response.status_code != step.expect:
                raise ObserveError(
                    f"setup step {step.method} {step.path} ({step.case}) answered "
                    f"{response.status_code}, expected {step.expect}: {response.text}; "
                    "the server probably holds state from an earlier run: start a "
                    "fresh dev server"
                )
            for name, keys in step.save.items():
                try:
                    context[name] = _dig(body, keys)
                except (KeyError, IndexError, TypeError) as exc:
                    raise ObserveError(
                        f"{step.method} {step.path} ({step.case}) answered "
                        f"{response.status_code} without {keys!r}: {response.text}"
                    ) from exc
            if step.op is not None:
                observed.setdefault(step.op, []).append(
                    Observation(
                        case=step.case,
                        method=step.method,
                        status=response.status_code,
                        body=scrub(body),
                        empty_body=step.sends_no_body
                        and step.method in ("POST", "PUT"),
                        no_token=step.token is None and step.bearer is None,
                    )
                )
    logger.info("observed %d operations at %s", len(observed), address)
    return observed


def _send(client: Any, step: Step, context: Mapping[str, str]) -> Any:
    headers: dict[str, str] = {}
    if step.token is not None:
        headers["X-Vault-Token"] = _fill(step.token, context)
    if step.bearer is not None:
        headers["Authorization"] = "Bearer " + _fill(step.bearer, context)
    kwargs: dict[str, Any] = {"headers": headers}
    if step.params is not None:
        kwargs["params"] = _fill(dict(step.params), context)
    if step.body is not None:
        kwargs["json"] = _fill(step.body, context)
    elif step.raw is not None:
        kwargs["content"] = step.raw
        headers["Content-Type"] = "application/json"
    elif step.form is not None:
        kwargs["data"] = _fill(dict(step.form), context)
    if step.basic is not None:
        kwargs["auth"] = tuple(_fill(list(step.basic), context))
    return client.request(step.method, _fill(step.path, context), **kwargs)


def _json_or_none(response: Any) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


# --- the record file --------------------------------------------------------------


def to_record(observed: Mapping[str, list[Observation]], server: str) -> dict[str, Any]:
    """The content of ``spec/observed/responses.json``."""
    return {
        "server": server,
        "operations": {
            op: [o.to_json() for o in items] for op, items in sorted(observed.items())
        },
    }


def write_record(
    path: Path, observed: Mapping[str, list[Observation]], server: str
) -> bool:
    """Write the record file; return whether it changed."""
    return write_json(path, to_record(observed, server))


def load_record(path: Path) -> dict[str, list[Observation]]:
    """Read ``spec/observed/responses.json``; an absent file means no observations."""
    if not path.exists():
        logger.warning(
            "%s does not exist: lint cannot compare with a real server", path
        )
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        op: [observation_from_json(r) for r in records]
        for op, records in data.get("operations", {}).items()
    }


def observe(
    root: Path, address: str, *, fragments: list[Fragment] | None = None
) -> dict[str, list[Observation]]:
    """Play the whole scenario for the fragments of ``root`` against ``address``."""
    from mockserver.spec.layout import load_fragments, load_project
    from mockserver.spec.scenario import PROJECT_OPERATIONS, scenario

    if fragments is None:
        project = [
            f for f in load_project(root) if f.operation_id in PROJECT_OPERATIONS
        ]
        fragments = load_fragments(root) + project
    return run(scenario(fragments), address)
