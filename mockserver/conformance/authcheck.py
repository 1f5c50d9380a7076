"""The token check, as a Vault-compatible server answers it.

schemathesis' own ``ignored_auth`` check expects ``401`` or ``403`` and only runs
where the document declares security. A Vault server answers a missing or unknown
token with ``403 {"errors": ["permission denied"]}``, never ``401``, and the
published document declares no security at all. So each operation is probed
twice, with no token and with a token the server cannot know, and:

* an operation the document leaves open (``security: []``) is not judged;
* an answer in ``2xx`` means the token is not enforced;
* ``401`` is wrong for a Vault server (``401 instead of 403``);
* ``403`` must be documented; where the document has ``401`` instead, that is the
  published document's ``401 versus 403`` drift;
* the ``403`` body must be ``{"errors": [...]}``.

Which operations are open comes from the document, or, for a document that says
nothing about security (the published one), from the repaired document.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx

from mockserver.conformance.classify import CAT_401, CAT_403, CAT_SCHEMA, CAT_TOKEN
from mockserver.conformance.documents import (
    Operation,
    declares_security,
    in_group,
    load,
    open_operations,
    operations,
)
from mockserver.conformance.model import Finding, RunResult
from mockserver.conformance.reproduce import TOKEN_HEADER, curl
from mockserver.conformance.targets import Target

logger = logging.getLogger(__name__)

PHASE = "auth"
CHECK = "vault_token"
BAD_TOKEN = "vaultmock-conformance-unknown-token"
PLACEHOLDER = "vaultmock-conformance"

SCENARIOS = (("no token", None), ("unknown token", BAD_TOKEN))


def _query(operation: Operation) -> dict[str, str]:
    query = {}
    for parameter in operation.definition.get("parameters", []):
        if parameter.get("in") != "query" or not parameter.get("required"):
            continue
        schema = parameter.get("schema", {})
        enum = schema.get("enum")
        query[parameter["name"]] = str(enum[0]) if enum else "true"
    return query


def _path(operation: Operation) -> str:
    path = operation.path
    while "{" in path:
        start = path.index("{")
        end = path.index("}", start)
        path = path[:start] + PLACEHOLDER + path[end + 1 :]
    return path


def _documented(operation: Operation) -> set[str]:
    return {str(code) for code in operation.definition.get("responses", {})}


def _open_labels(document: dict[str, Any]) -> set[str]:
    if declares_security(document):
        return open_operations(document)
    return open_operations(load("repaired"))


def probe_group(
    target: Target,
    document_name: str,
    document: dict[str, Any],
    group: str,
    result: RunResult,
    *,
    only: set[str] | None = None,
) -> None:
    """Probe every operation of ``group`` without a valid token; record findings.

    ``only`` narrows the probe to these operation labels.
    """
    open_labels = _open_labels(document)
    with httpx.Client(base_url=target.api, timeout=10.0) as client:
        for operation in operations(document):
            if not in_group(operation, group) or operation.label in open_labels:
                continue
            if only is not None and operation.label not in only:
                continue
            for scenario, token in SCENARIOS:
                finding = _probe(
                    client, target, document_name, operation, scenario, token, result
                )
                if finding is not None:
                    result.add_finding(finding)


def _probe(
    client: httpx.Client,
    target: Target,
    document_name: str,
    operation: Operation,
    scenario: str,
    token: str | None,
    result: RunResult,
) -> Finding | None:
    headers = {} if token is None else {TOKEN_HEADER: token}
    body: bytes | None = None
    if "requestBody" in operation.definition:
        body = b"{}"
        headers["Content-Type"] = "application/json"
    path = _path(operation)
    query = _query(operation)
    try:
        answer = client.request(
            operation.method.upper(),
            path.lstrip("/"),
            params=query,
            headers=headers,
            content=body,
        )
    except httpx.HTTPError as exc:
        result.errors.append(f"{operation.label} ({scenario}): no answer: {exc}")
        return None
    result.stats(operation.label).add(PHASE, answer.status_code)
    judged = _judge(operation, scenario, answer)
    if judged is None:
        return None
    kind, category, message = judged
    return Finding(
        target=target.name,
        document=document_name,
        operation=operation.label,
        phase=PHASE,
        check=CHECK,
        kind=kind,
        category=category,
        title=f"Token check ({scenario})",
        message=message,
        curl=curl(
            operation.method,
            str(answer.request.url),
            headers,
            body,
            token=target.token,
        ),
    )


def _judge(
    operation: Operation, scenario: str, answer: httpx.Response
) -> tuple[str, str, str] | None:
    status = answer.status_code
    documented = _documented(operation)
    listed = ", ".join(sorted(documented)) or "none"
    if 200 <= status < 300:
        return (
            f"{scenario}: accepted with {status}",
            CAT_TOKEN,
            f"The server answered {status} to a request with {scenario}; a Vault "
            "server answers 403 to every request that needs a token and has none.",
        )
    if status == 401:
        return (
            f"{scenario}: 401 instead of 403",
            CAT_401,
            f"The server answered 401 with {scenario}; a Vault server answers 403 "
            '{"errors": ["permission denied"]}.',
        )
    if status != 403:
        return (
            f"{scenario}: {status} instead of 403",
            CAT_TOKEN,
            f"The server answered {status} with {scenario}; a Vault server checks "
            "the token before anything else and answers 403.",
        )
    if (
        "403" not in documented
        and "4XX" not in documented
        and "default" not in documented
    ):
        if "401" in documented:
            return (
                f"{scenario}: 403 undocumented (documents 401)",
                CAT_401,
                f"The server answered 403 with {scenario}; the document lists {listed} "
                "and has 401 where the server sends 403.",
            )
        return (
            f"{scenario}: 403 undocumented",
            CAT_403,
            f"The server answered 403 with {scenario}; the document lists {listed}.",
        )
    try:
        body = answer.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if not (isinstance(body, dict) and isinstance(body.get("errors"), list)):
        return (
            f"{scenario}: 403 body is not {{errors: [...]}}",
            CAT_SCHEMA,
            f"The server answered 403 with {scenario} and the body {answer.text[:200]!r}; "
            'a Vault server sends {"errors": ["permission denied"]}.',
        )
    return None
