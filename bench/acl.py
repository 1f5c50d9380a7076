"""What policy enforcement adds to a request, measured in this process.

The same request is served by the app (called directly, no socket) once with the
root token, which skips enforcement, and once with a token that is held to its
policies: a userpass login tied to an entity that draws policies from itself and
from a group and its parent, some of them templated, besides the ``default``
policy. The difference of the medians is what enforcement costs.

Three pairs of figures:

* a read, with the token's ACL already built (the usual case);
* the same read right after a policy write, which drops every built ACL, so the
  token's ACL is rebuilt on that request (the write is not timed);
* a create whose rule constrains parameters, so the body is read once more by
  the enforcement step.

Run ``python -m bench.acl`` (``--requests N``, ``--json FILE``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.inprocess import AsgiClient
from mockserver.app import MockApp, create_app
from mockserver.config import ServerConfig

RULES_PER_POLICY = 6
POLICIES = 8


def _policy(index: int) -> str:
    blocks = [
        f'path "secret/team-{index}/app-{n}/*" {{ capabilities = ["read", "list"] }}'
        for n in range(RULES_PER_POLICY - 2)
    ]
    blocks.append(
        f'path "identity/group/name/team-{index}-+" {{ capabilities = ["read"] }}'
    )
    blocks.append(
        f'path "identity/entity/id/{{{{identity.entity.id}}}}/{index}" '
        '{ capabilities = ["read"] }'
    )
    return "\n".join(blocks)


_LOOP = asyncio.new_event_loop()
"""One event loop for every request, as a server has."""


def _call(
    app: MockApp, method: str, path: str, token: str, body: bytes = b""
) -> tuple[int, bytes]:
    return _LOOP.run_until_complete(
        AsgiClient(app).call(method, path, body, token=token)
    )


def _setup() -> tuple[MockApp, str, str]:
    """An app with the world above; (app, enforced token, entity name)."""
    app = create_app(ServerConfig(seed=7))
    store = app.store
    for index in range(POLICIES):
        store.policies.policy_write(f"team-{index}", _policy(index))
    store.policies.policy_write(
        "writer",
        'path "identity/entity" { capabilities = ["update"] '
        'allowed_parameters = { "name" = ["bench-*"] "metadata" = [] } }',
    )
    store.mounts.sys_auth_enable("userpass", "userpass")
    accessor = store.mounts.mounts["userpass/"].accessor
    store.userpass.user_write(
        accessor, "svc", {"password": "pw", "token_policies": ["writer"]}
    )
    token = store.auth.userpass_login("userpass", "svc", "pw")
    entity = store.entities.entities[token.entity_id]
    store.entities.entity_update_by_id(
        entity.id, policies=[f"team-{i}" for i in range(0, POLICIES, 2)]
    )
    child, _ = store.groups.group_create(
        name="child",
        policies=[f"team-{i}" for i in range(1, POLICIES, 2)],
        member_entity_ids=[entity.id],
    )
    store.groups.group_create(
        name="parent", policies=["team-0"], member_group_ids=[child.id]
    )
    return app, token.id, entity.name


def _median_us(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1e6, 1)


def measure(requests: int) -> dict[str, Any]:
    """The figures, in microseconds (medians over ``requests`` requests)."""
    app, token, name = _setup()
    root = app.store.tokens.root_token
    read = f"/v1/identity/entity/name/{name}"

    def timed(
        method: str,
        path: str,
        who: str,
        body: Callable[[int], bytes] | None = None,
        before: Callable[[], None] | None = None,
        expect: int = 200,
    ) -> float:
        samples = []
        for n in range(requests):
            if before is not None:
                before()
            payload = body(n) if body is not None else b""
            began = time.perf_counter()
            status, answer = _call(app, method, path, who, payload)
            samples.append(time.perf_counter() - began)
            if status != expect:
                raise RuntimeError(f"{method} {path}: {status} {answer[:200]!r}")
        return _median_us(samples)

    def touch_policies() -> None:
        app.store.policies.policy_write("unrelated", 'path "x" { capabilities = [] }')

    def create_body(n: int) -> bytes:
        return json.dumps({"name": f"bench-{n}", "metadata": {"n": str(n)}}).encode()

    # Warm up both paths (imports, parser tables, caches) before timing.
    _call(app, "GET", read, token)
    _call(app, "GET", read, root)
    figures = {
        "read_root_us": timed("GET", read, root),
        "read_enforced_us": timed("GET", read, token),
        "read_enforced_cold_us": timed("GET", read, token, before=touch_policies),
        "create_root_us": timed(
            "POST", "/v1/identity/entity", root, body=lambda n: create_body(n)
        ),
        "create_enforced_us": timed(
            "POST",
            "/v1/identity/entity",
            token,
            body=lambda n: create_body(requests + n),
        ),
    }
    figures["read_added_us"] = round(
        figures["read_enforced_us"] - figures["read_root_us"], 1
    )
    figures["read_added_cold_us"] = round(
        figures["read_enforced_cold_us"] - figures["read_root_us"], 1
    )
    figures["create_added_us"] = round(
        figures["create_enforced_us"] - figures["create_root_us"], 1
    )
    figures["token_policies"] = POLICIES + 2
    figures["rules"] = POLICIES * RULES_PER_POLICY
    figures["requests"] = requests
    return figures


def _table(figures: dict[str, Any]) -> str:
    rows = [
        ("read (ACL built)", "read_root_us", "read_enforced_us", "read_added_us"),
        (
            "read (ACL rebuilt)",
            "read_root_us",
            "read_enforced_cold_us",
            "read_added_cold_us",
        ),
        (
            "create (parameters)",
            "create_root_us",
            "create_enforced_us",
            "create_added_us",
        ),
    ]
    lines = [
        f"policy enforcement, in process, medians of {figures['requests']} requests "
        f"({figures['token_policies']} policies, {figures['rules']} rules)",
        f"{'request':<22}{'root µs':>10}{'enforced µs':>14}{'added µs':>11}",
    ]
    for label, root, enforced, added in rows:
        lines.append(
            f"{label:<22}{figures[root]:>10.1f}{figures[enforced]:>14.1f}"
            f"{figures[added]:>11.1f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the table; write the figures as JSON with ``--json``."""
    parser = argparse.ArgumentParser(prog="python -m bench.acl", description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    figures = measure(args.requests)
    sys.stdout.write(_table(figures) + "\n")
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
