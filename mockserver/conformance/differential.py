"""The differential scenario: one sequence of requests, two servers, compared.

The same scripted sequence (:data:`SCENARIO`: mounts, users, tokens, entities,
aliases, merges, groups, lookups, MFA methods and enforcements, OIDC keys, roles,
scopes, clients, providers, then errors and clean-up) runs against a reference
server (a real one) and a candidate (the mock). Each step's answers are compared
by status code and by body *shape* (keys and JSON types, not values: ids, times
and secrets differ by nature). Every disagreement is a
:class:`~mockserver.conformance.model.Finding` of the candidate's target, document
``differential``, on the operation the step calls, so the report shows it per
operation and the baseline can accept it.

Values captured from one step (``<e1>``) are substituted into later ones,
separately on each server.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from mockserver.conformance.classify import CAT_DIFF_SHAPE, CAT_DIFF_STATUS
from mockserver.conformance.documents import load, operations
from mockserver.conformance.model import Finding, RunResult
from mockserver.conformance.reproduce import TOKEN_HEADER, curl
from mockserver.conformance.targets import Target

logger = logging.getLogger(__name__)

DOCUMENT = "differential"
PHASE = "differential"
GROUP = "scenario"
_PLACEHOLDER = re.compile(r"<([a-z0-9_]+)>")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True, slots=True)
class Step:
    """One request: ``path`` below ``/v1``; ``capture`` maps names to JSON pointers.

    ``body`` is sent as JSON; ``raw``, when given, is sent as it is instead.
    """

    method: str
    path: str
    body: Any = None
    capture: dict[str, str] = field(default_factory=dict)
    token: bool = True
    raw: bytes | None = None


def _s(method: str, path: str, body: Any = None, **capture: str) -> Step:
    return Step(method, path, body, dict(capture))


SCENARIO: tuple[Step, ...] = (
    # Auth mounts, policies, users and tokens.
    _s("POST", "sys/auth/diff-userpass", {"type": "userpass"}),
    _s("GET", "sys/auth", acc="/data/diff-userpass~1/accessor"),
    _s("POST", "sys/auth/diff-userpass", {"type": "userpass"}),
    _s(
        "POST",
        "sys/policy/diff-policy",
        {"policy": 'path "secret/*" {\n  capabilities = ["read"]\n}'},
    ),
    _s("GET", "sys/policy/diff-policy"),
    _s("LIST", "sys/policies/acl"),
    _s("GET", "sys/policies/acl/diff-policy"),
    _s(
        "POST",
        "auth/diff-userpass/users/alice",
        {"password": "pw-1", "policies": "diff-policy"},
    ),
    _s("GET", "auth/diff-userpass/users/alice"),
    _s("LIST", "auth/diff-userpass/users"),
    _s("POST", "auth/diff-userpass/login/alice", {"password": "pw-1"}),
    _s("POST", "auth/diff-userpass/login/alice", {"password": "wrong"}),
    _s("POST", "auth/token/create", {"policies": ["diff-policy"], "ttl": "1h"}),
    _s("GET", "auth/token/lookup-self"),
    _s("POST", "auth/token/roles/diff-role", {"allowed_policies": "diff-policy"}),
    _s("GET", "auth/token/roles/diff-role"),
    _s("LIST", "auth/token/roles"),
    # Entities and their aliases.
    _s(
        "POST",
        "identity/entity",
        {"name": "diff-e1", "metadata": {"team": "a"}, "policies": ["p1"]},
        e1="/data/id",
    ),
    _s("POST", "identity/entity", {"name": "diff-e2"}, e2="/data/id"),
    _s("POST", "identity/entity", {"name": "diff-e1"}),
    _s("GET", "identity/entity/id/<e1>"),
    _s("GET", "identity/entity/name/diff-e1"),
    _s("POST", "identity/entity/id/<e1>", {"policies": ["p2"]}),
    _s("POST", "identity/entity/name/diff-e1", {"disabled": True}),
    _s("POST", "identity/entity/name/diff-e3", {"policies": "a,b"}, e3="/data/id"),
    _s("LIST", "identity/entity/id"),
    _s("LIST", "identity/entity/name"),
    _s(
        "POST",
        "identity/entity-alias",
        {"name": "alice", "mount_accessor": "<acc>", "canonical_id": "<e1>"},
        a1="/data/id",
    ),
    _s(
        "POST",
        "identity/entity-alias",
        {"name": "alice", "mount_accessor": "bad-accessor"},
    ),
    _s("GET", "identity/entity-alias/id/<a1>"),
    _s("POST", "identity/entity-alias/id/<a1>", {"custom_metadata": {"k": "v"}}),
    _s("LIST", "identity/entity-alias/id"),
    _s(
        "POST",
        "identity/alias",
        {"name": "bob", "mount_accessor": "<acc>", "canonical_id": "<e2>"},
        a2="/data/id",
    ),
    _s("GET", "identity/alias/id/<a2>"),
    _s(
        "POST",
        "identity/persona",
        {"name": "carol", "mount_accessor": "<acc>"},
        p1="/data/id",
    ),
    _s("GET", "identity/persona/id/<p1>"),
    _s(
        "POST",
        "identity/lookup/entity",
        {"alias_name": "alice", "alias_mount_accessor": "<acc>"},
    ),
    _s("POST", "identity/lookup/entity", {"name": "no-such-entity"}),
    _s("POST", "identity/lookup/entity", {}),
    _s(
        "POST",
        "identity/entity/merge",
        {"to_entity_id": "<e1>", "from_entity_ids": ["<e2>"]},
    ),
    _s("GET", "identity/entity/id/<e2>"),
    _s("GET", "identity/entity/id/<e1>"),
    # Groups and group aliases.
    _s(
        "POST",
        "identity/group",
        {"name": "diff-g1", "member_entity_ids": ["<e1>"], "policies": ["p"]},
        g1="/data/id",
    ),
    _s(
        "POST",
        "identity/group",
        {"name": "diff-g0", "member_group_ids": ["<g1>"]},
        g0="/data/id",
    ),
    _s("GET", "identity/group/id/<g1>"),
    _s("GET", "identity/group/name/diff-g1"),
    _s("POST", "identity/group/id/<g1>", {"metadata": {"a": "b"}}),
    _s("POST", "identity/group/id/<g1>", {"member_group_ids": ["<g0>"]}),
    _s("LIST", "identity/group/id"),
    _s("LIST", "identity/group/name"),
    _s(
        "POST",
        "identity/group",
        {"name": "diff-ext", "type": "external"},
        g2="/data/id",
    ),
    _s(
        "POST",
        "identity/group-alias",
        {"name": "ext-team", "mount_accessor": "<acc>", "canonical_id": "<g2>"},
        ga1="/data/id",
    ),
    _s("GET", "identity/group-alias/id/<ga1>"),
    _s("LIST", "identity/group-alias/id"),
    _s("POST", "identity/lookup/group", {"name": "diff-g1"}),
    _s("POST", "identity/lookup/group", {"alias_id": "<ga1>"}),
    _s("DELETE", "identity/group-alias/id/<ga1>"),
    _s("DELETE", "identity/group/id/<g2>"),
    _s("DELETE", "identity/group/id/<g0>"),
    _s("DELETE", "identity/group/name/diff-g1"),
    # MFA.
    _s(
        "POST",
        "identity/mfa/method/totp",
        {"issuer": "diff", "period": 30},
        m1="/data/method_id",
    ),
    _s("GET", "identity/mfa/method/totp/<m1>"),
    _s("LIST", "identity/mfa/method/totp"),
    _s("GET", "identity/mfa/method/<m1>"),
    _s("POST", "identity/mfa/method/totp/<m1>", {"issuer": "diff-2", "period": 30}),
    _s(
        "POST",
        "identity/mfa/method/totp/admin-generate",
        {"method_id": "<m1>", "entity_id": "<e1>"},
    ),
    _s(
        "POST",
        "identity/mfa/method/totp/admin-generate",
        {"method_id": "<m1>", "entity_id": "<e1>"},
    ),
    _s(
        "POST",
        "identity/mfa/method/totp/admin-destroy",
        {"method_id": "<m1>", "entity_id": "<e1>"},
    ),
    _s(
        "POST",
        "identity/mfa/login-enforcement/diff-le",
        {"mfa_method_ids": ["<m1>"], "auth_method_accessors": ["<acc>"]},
    ),
    _s("GET", "identity/mfa/login-enforcement/diff-le"),
    _s("LIST", "identity/mfa/login-enforcement"),
    _s("DELETE", "identity/mfa/login-enforcement/diff-le"),
    _s(
        "POST",
        "identity/mfa/method/duo",
        {"secret_key": "s", "integration_key": "i", "api_hostname": "api.example"},
        d1="/data/method_id",
    ),
    _s("GET", "identity/mfa/method/duo/<d1>"),
    _s("DELETE", "identity/mfa/method/duo/<d1>"),
    _s("DELETE", "identity/mfa/method/totp/<m1>"),
    # OIDC identity tokens and provider.
    _s(
        "POST",
        "identity/oidc/key/diff-key",
        {"allowed_client_ids": ["*"], "rotation_period": "24h"},
    ),
    _s("GET", "identity/oidc/key/diff-key"),
    _s("LIST", "identity/oidc/key"),
    _s("POST", "identity/oidc/role/diff-role", {"key": "diff-key", "ttl": "1h"}),
    _s("GET", "identity/oidc/role/diff-role"),
    _s("LIST", "identity/oidc/role"),
    _s("POST", "identity/oidc/key/diff-key/rotate", {}),
    _s("GET", "identity/oidc/.well-known/openid-configuration"),
    _s("POST", "identity/oidc/introspect", {"token": "not-a-token"}),
    _s(
        "POST",
        "identity/oidc/scope/diff-scope",
        {"template": '{"team": {{identity.entity.metadata.team}}}', "description": "d"},
    ),
    _s("GET", "identity/oidc/scope/diff-scope"),
    _s("POST", "identity/oidc/assignment/diff-assign", {"entity_ids": ["<e1>"]}),
    _s("GET", "identity/oidc/assignment/diff-assign"),
    _s(
        "POST",
        "identity/oidc/client/diff-client",
        {
            "key": "diff-key",
            "assignments": ["diff-assign"],
            "redirect_uris": ["http://127.0.0.1:8251/callback"],
        },
    ),
    _s("GET", "identity/oidc/client/diff-client"),
    _s("LIST", "identity/oidc/client"),
    _s(
        "POST",
        "identity/oidc/provider/diff-prov",
        {"allowed_client_ids": ["*"], "scopes_supported": ["diff-scope"]},
    ),
    _s("GET", "identity/oidc/provider/diff-prov"),
    _s("GET", "identity/oidc/provider/diff-prov/.well-known/openid-configuration"),
    _s("DELETE", "identity/oidc/key/diff-key"),
    _s("DELETE", "identity/oidc/provider/diff-prov"),
    _s("DELETE", "identity/oidc/client/diff-client"),
    _s("DELETE", "identity/oidc/assignment/diff-assign"),
    _s("DELETE", "identity/oidc/scope/diff-scope"),
    _s("DELETE", "identity/oidc/role/diff-role"),
    _s("DELETE", "identity/oidc/key/diff-key"),
    _s("POST", "identity/oidc/scope/diff scope", {"template": "{}"}),
    _s("DELETE", "identity/oidc/scope/diff scope"),
    # Errors every client meets.
    _s("GET", "identity/entity/id/no-such-id"),
    _s("GET", "identity/entity/id"),
    _s("DELETE", "identity/entity/id/no-such-id"),
    _s("POST", "identity/entity", {"name": 42, "disabled": "not-a-bool"}),
    Step("POST", "identity/entity", raw=b"null", capture={"e4": "/data/id"}),
    Step("POST", "identity/entity", raw=b"{not json"),
    _s("POST", "identity/group", {"name": "diff-g5", "policies": {}}, g5="/data/id"),
    _s("DELETE", "identity/group/id/<g5>"),
    Step("GET", "identity/entity/id/<e1>", token=False),
    # Clean-up.
    _s("DELETE", "identity/entity-alias/id/<a1>"),
    _s("DELETE", "identity/persona/id/<p1>"),
    _s("POST", "identity/entity/batch-delete", {"entity_ids": ["<e3>", "<e4>"]}),
    _s("DELETE", "identity/entity/name/diff-e1"),
    _s("DELETE", "identity/entity/id/<e1>"),
    _s("LIST", "identity/entity/id"),
    _s("DELETE", "auth/diff-userpass/users/alice"),
    _s("DELETE", "auth/token/roles/diff-role"),
    _s("DELETE", "sys/policy/diff-policy"),
    _s("DELETE", "sys/auth/diff-userpass"),
    _s("GET", "sys/auth"),
)


@dataclass(slots=True)
class Answer:
    """What one server answered to one step."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    status: int | None
    payload: Any
    text: str


def _fill(value: Any, context: dict[str, str]) -> Any:
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: context.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [_fill(v, context) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, context) for k, v in value.items()}
    return value


def _pointer(document: Any, pointer: str) -> Any:
    for part in pointer.lstrip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(document, dict):
            document = document.get(part)
        elif (
            isinstance(document, list) and part.isdigit() and int(part) < len(document)
        ):
            document = document[int(part)]
        else:
            return None
    return document


def play(target: Target, steps: Sequence[Step] = SCENARIO) -> list[Answer]:
    """Send ``steps`` to ``target`` in order; return every answer."""
    context: dict[str, str] = {}
    answers = []
    with httpx.Client(base_url=target.api, timeout=10.0) as client:
        for step in steps:
            path = _fill(step.path, context)
            method = step.method
            headers = {TOKEN_HEADER: target.token} if step.token else {}
            body = step.raw
            if body is not None:
                headers["Content-Type"] = "application/json"
            elif step.body is not None:
                body = json.dumps(_fill(step.body, context)).encode()
                headers["Content-Type"] = "application/json"
            try:
                response = client.request(method, path, headers=headers, content=body)
            except httpx.HTTPError as exc:
                answers.append(
                    Answer(
                        method,
                        f"{target.api}/{path}",
                        headers,
                        body,
                        None,
                        None,
                        str(exc),
                    )
                )
                continue
            try:
                payload = response.json() if response.content else None
            except (json.JSONDecodeError, UnicodeDecodeError):
                payload = None
            for name, pointer in step.capture.items():
                value = _pointer(payload, pointer)
                if isinstance(value, str):
                    context[name] = value
            answers.append(
                Answer(
                    method,
                    str(response.request.url),
                    headers,
                    body,
                    response.status_code,
                    payload,
                    response.text[:400],
                )
            )
    return answers


def _merge(a: Any, b: Any) -> Any:
    """One shape that describes both ``a`` and ``b`` (items of one collection)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return {
            k: _merge(a[k], b[k]) if k in a and k in b else a.get(k, b.get(k))
            for k in sorted(set(a) | set(b))
        }
    if isinstance(a, list) and isinstance(b, list):
        if a and b:
            return [_merge(a[0], b[0])]
        return a or b
    if a == b:
        return a
    return "|".join(sorted({str(a), str(b)}))


def _items(values: list[Any]) -> Any:
    merged: Any = None
    for index, value in enumerate(values):
        merged = shape(value) if index == 0 else _merge(merged, shape(value))
    return merged


def shape(value: Any) -> Any:
    """The structure of a JSON value: keys and types, not values.

    A map keyed by ids (``key_info``, or keys that are all UUIDs) collapses to one
    ``<id>`` key and a list to one item, each describing all the items; and
    ``request_id`` is left out.
    """
    if isinstance(value, dict):
        keys = list(value)
        if keys and all(_UUID.match(str(k)) for k in keys):
            return {"<id>": _items(list(value.values()))}
        result = {}
        for key in sorted(keys):
            if key == "request_id":
                continue
            if key == "key_info" and isinstance(value[key], dict) and value[key]:
                result[key] = {"<id>": _items(list(value[key].values()))}
            else:
                result[key] = shape(value[key])
        return result
    if isinstance(value, list):
        return [_items(value)] if value else []
    if value is None:
        return None
    return type(value).__name__


def first_difference(a: Any, b: Any, where: str = "") -> str | None:
    """The JSON path where shapes ``a`` and ``b`` first differ, or ``None``."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{where}/{key}"
            found = first_difference(a[key], b[key], f"{where}/{key}")
            if found is not None:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if a and b:
            return first_difference(a[0], b[0], f"{where}/0")
        return None
    return None if a == b else (where or "/")


def _labels() -> list[tuple[re.Pattern[str], str, str]]:
    found = []
    for op in operations(load("repaired")):
        pattern = re.sub(r"\\\{[^}]+\\\}", r"[^/]+", re.escape(op.path))
        found.append((re.compile(f"^{pattern}$"), op.method.upper(), op.label))
    # Literal paths before templated ones: /identity/mfa/method/totp wins over
    # /identity/mfa/method/{method_id}.
    found.sort(key=lambda item: item[0].pattern.count("[^/]+"))
    return found


def operation_of(
    method: str, path: str, labels: list[tuple[re.Pattern[str], str, str]]
) -> str:
    """The ``METHOD /path`` label of the document operation a step calls."""
    verb = "GET" if method == "LIST" else method.upper()
    for pattern, op_method, label in labels:
        if op_method == verb and pattern.match(path):
            return label
    return f"{verb} {path}"


def compare(
    reference: Target,
    candidate: Target,
    steps: Sequence[Step] = SCENARIO,
) -> RunResult:
    """Play ``steps`` on both targets; the findings are the candidate's differences."""
    started = time.monotonic()
    result = RunResult(
        target=candidate.name, document=DOCUMENT, group=GROUP, phases=[PHASE]
    )
    expected = play(reference, steps)
    actual = play(candidate, steps)
    labels = _labels()
    for number, (step, want, got) in enumerate(
        zip(steps, expected, actual, strict=True), 1
    ):
        path = "/" + got.url.split("/v1/", 1)[-1].split("?")[0]
        label = operation_of(step.method, path, labels)
        result.stats(label).add(PHASE, got.status)
        if want.status is None or got.status is None:
            result.errors.append(
                f"step {number} {step.method} {step.path}: no answer "
                f"({reference.name}: {want.text if want.status is None else want.status}, "
                f"{candidate.name}: {got.text if got.status is None else got.status})"
            )
            continue
        command = curl(
            step.method, got.url, got.headers, got.body, token=candidate.token
        )
        detail = (
            f"step {number}: {step.method} /v1/{step.path}\n"
            f"{reference.name} answered {want.status}: {want.text}\n"
            f"{candidate.name} answered {got.status}: {got.text}"
        )
        if want.status != got.status:
            result.add_finding(
                Finding(
                    target=candidate.name,
                    document=DOCUMENT,
                    operation=label,
                    phase=PHASE,
                    check="same_status",
                    kind=f"status {got.status} where {reference.name} answers {want.status}",
                    category=CAT_DIFF_STATUS,
                    title="Different status",
                    message=detail,
                    curl=command,
                )
            )
            continue
        where = first_difference(shape(want.payload), shape(got.payload))
        if where is not None:
            result.add_finding(
                Finding(
                    target=candidate.name,
                    document=DOCUMENT,
                    operation=label,
                    phase=PHASE,
                    check="same_shape",
                    kind=f"body of {got.status} differs at {where}",
                    category=CAT_DIFF_SHAPE,
                    title="Different body shape",
                    message=detail,
                    curl=command,
                )
            )
    result.seconds = time.monotonic() - started
    return result
