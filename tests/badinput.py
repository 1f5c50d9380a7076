"""Bad input for every operation of a family: no answer may be a 500.

:func:`sweep` sends, for each operation whose operationId starts with one of the
given prefixes, a fixed set of bodies with values of every JSON type in every
field, and odd path parameters, and returns the requests answered 500 or more.
The values are drawn from a seeded source, so a failure repeats.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

from starlette.testclient import TestClient

VALUES: list[Any] = [
    None, "", "x", 0, -1, 1.5, True, [], ["a", 1], [None], {}, {"a": {"b": 1}},
    "a,b", "=", "a=b", "1h", "-5", "null", "x" * 5000, ["x"] * 100, "ü\u0000",
]  # fmt: skip
PATH_VALUES = ["x", "nope", "..", "a b", "ü", "1" * 300, "userpass", "approle"]
MOUNTS = ["userpass", "approle", "token", "nope"]
SPARED = ("auth-token-revoke", "auth-token-revoke-self")
"""Operations left out: they would revoke the root token the sweep runs with."""


def _operations(
    document: dict[str, Any], prefixes: tuple[str, ...]
) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for template, item in document["paths"].items():
        for method, op in item.items():
            op_id = op.get("operationId", "") if isinstance(op, dict) else ""
            if op_id.startswith(prefixes) and op_id not in SPARED:
                found.append((template, method, op))
    return found


def _fields(document: dict[str, Any], op: dict[str, Any]) -> list[str]:
    body = op.get("requestBody")
    if not body:
        return []
    schema = body["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return list(schema.get("properties") or {})


def sweep(
    client: TestClient,
    document: dict[str, Any],
    prefixes: tuple[str, ...],
    *,
    tries: int = 40,
    seed: int = 1,
) -> list[str]:
    """Requests of the family answered 500 or more, described for the report."""
    rng = random.Random(seed)
    headers = {"X-Vault-Token": "root"}
    failures = []
    operations = _operations(document, prefixes)
    assert operations, f"no operation starts with {prefixes}"
    for template, method, op in operations:
        fields = _fields(document, op)
        listing = any(p.get("name") == "list" for p in op.get("parameters") or [])
        for _ in range(tries):
            path = template
            for name in re.findall(r"\{([^}]+)\}", template):
                choices = MOUNTS if name == "mount_path" else PATH_VALUES
                path = path.replace("{" + name + "}", rng.choice(choices))
            body: Any = {k: rng.choice(VALUES) for k in fields if rng.random() < 0.6}
            if rng.random() < 0.1:
                body = rng.choice([[], "text", 5, None])
            answer = client.request(
                method.upper(),
                "/v1" + path + ("?list=true" if listing else ""),
                headers=headers,
                content=json.dumps(body) if method == "post" else None,
            )
            if answer.status_code >= 500:
                failures.append(
                    f"{op['operationId']} {method.upper()} {path} {json.dumps(body)[:200]}"
                    f" -> {answer.status_code} {answer.text[:200]}"
                )
    return failures
