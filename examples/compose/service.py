"""A stand-in for a service under test: it registers a user as an entity.

It knows only ``VAULT_ADDR`` and ``VAULT_TOKEN`` and would run unchanged against a
real server. It retries a 5xx answer a few times, so the faults set in the compose
file show up in its output. Standard library only.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from typing import Any

ADDR = os.environ.get("VAULT_ADDR", "http://127.0.0.1:8200").rstrip("/")
TOKEN = os.environ.get("VAULT_TOKEN", "")


def call(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """One request to the Vault API, retried on a 5xx answer."""
    data = None if body is None else json.dumps(body).encode()
    for attempt in range(1, 6):
        request = urllib.request.Request(
            f"{ADDR}/v1/{path}",
            data=data,
            method=method,
            headers={"X-Vault-Token": TOKEN, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                raw = answer.read()
                return json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            if exc.code < 500 or attempt == 5:
                raise
            print(f"{method} {path}: {exc.code}, retrying ({attempt})", flush=True)
            time.sleep(0.2 * attempt)
    return None


def main() -> int:
    """Create an entity for a user and read it back."""
    name = os.environ.get("USER_NAME", "service-user")
    created = call("POST", "identity/entity", {"name": name, "policies": ["app"]})
    if created is None:  # the name existed: an update answers 204
        created = call("GET", f"identity/entity/name/{name}")
    entity_id = created["data"]["id"]
    read = call("GET", f"identity/entity/id/{entity_id}")
    print(f"entity {read['data']['name']} has id {entity_id}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
