"""What only the mock offers, measured in this process: requests without a
socket (the pytest plugin's fast mode), reset, snapshot and restore."""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.types import Message

from mockserver.app import MockApp, create_app
from mockserver.backends import Store
from mockserver.config import ServerConfig

ROOT_TOKEN = "root"


@dataclass(frozen=True, slots=True)
class Population:
    """Entity ids and names put in a store, and the accessor of their mount."""

    accessor: str
    ids: list[str]
    names: list[str]


def populate(store: Store, entities: int, *, prefix: str = "bench") -> Population:
    """Add ``entities`` entities with one userpass alias each, straight into the
    store (the HTTP load generator makes the same objects through the API)."""
    mounts = {m.path: m for m in store.mounts.sys_auth_list()}
    mount = mounts.get("userpass/") or store.mounts.sys_auth_enable(
        "userpass", "userpass"
    )
    ids = []
    names = []
    backend = store.entities
    for n in range(entities):
        name = f"{prefix}-{n}"
        entity, _ = backend.entity_create(
            name=name, policies=["default"], metadata={"team": "bench"}
        )
        backend.entity_create_alias(
            name=name, mount_accessor=mount.accessor, canonical_id=entity.id
        )
        ids.append(entity.id)
        names.append(name)
    return Population(mount.accessor, ids, names)


class AsgiClient:
    """Calls the ASGI app directly: no socket, no HTTP parser, no client library."""

    def __init__(self, app: MockApp) -> None:
        self.app = app

    async def call(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        query: bytes = b"",
        *,
        token: str = ROOT_TOKEN,
    ) -> tuple[int, bytes]:
        """Serve one request with ``token``; returns (status, body)."""
        headers = [(b"host", b"vaultmock"), (b"x-vault-token", token.encode())]
        if body:
            headers.append((b"content-type", b"application/json"))
            headers.append((b"content-length", str(len(body)).encode()))
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query,
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 0),
            "server": ("vaultmock", 80),
        }
        delivered = False
        status = 0
        chunks: list[bytes] = []

        async def receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(fraction: float) -> float:
        return ordered[
            min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
        ]

    return {
        "n": len(ordered),
        "p50_us": round(at(0.50) * 1e6, 1),
        "p99_us": round(at(0.99) * 1e6, 1),
    }


def request_latency(
    *, entities: int, requests: int, document: dict[str, Any] | None
) -> dict[str, Any]:
    """Per-request latency of the app called in process, by operation."""
    app = create_app(ServerConfig(seed=1, document=document))
    data = populate(app.store, entities)
    client = AsgiClient(app)
    results: dict[str, Any] = {}

    async def measure(
        name: str, make: Callable[[int], tuple[str, str, bytes, bytes]], expect: int
    ) -> None:
        samples = []
        for n in range(requests):
            method, path, body, query = make(n)
            began = time.perf_counter()
            status, answer = await client.call(method, path, body, query)
            samples.append(time.perf_counter() - began)
            if status != expect:
                raise RuntimeError(f"{name}: {status} {answer[:200]!r}")
        results[name] = _percentiles(samples)

    def by_id(n: int) -> tuple[str, str, bytes, bytes]:
        return "GET", f"/v1/identity/entity/id/{data.ids[n % entities]}", b"", b""

    def by_name(n: int) -> tuple[str, str, bytes, bytes]:
        return "GET", f"/v1/identity/entity/name/{data.names[n % entities]}", b"", b""

    def create(n: int) -> tuple[str, str, bytes, bytes]:
        body = json.dumps({"name": f"inproc-{n}", "policies": ["default"]}).encode()
        return "POST", "/v1/identity/entity", body, b""

    def alias(n: int) -> tuple[str, str, bytes, bytes]:
        body = json.dumps({"name": f"inproc-a{n}", "mount_accessor": data.accessor})
        return "POST", "/v1/identity/entity-alias", body.encode(), b""

    async def run_all() -> None:
        await measure("read-by-id", by_id, 200)
        await measure("read-by-name", by_name, 200)
        await measure("create", create, 200)
        await measure("alias-create", alias, 200)

    asyncio.run(run_all())
    results["through_plugin_transport"] = _plugin_latency(app, data, requests)
    return results


def _plugin_latency(app: MockApp, data: Population, requests: int) -> dict[str, Any]:
    """The same read through the pytest plugin's in-process transport, as a
    test's httpx client sees it (a thread hop and httpx's own work included).

    The plugin is measured through its transport classes; when they are not
    importable, or take other arguments than expected, the figure is skipped
    with the reason rather than failing the whole benchmark."""
    import importlib

    import httpx

    module: Any = None
    for name in ("vaultmock_pytest.inprocess", "fixtures.inprocess"):
        try:
            module = importlib.import_module(name)
            break
        except ImportError:
            continue
    if module is None:
        return {"skipped": "the pytest plugin is not importable"}
    try:
        try:
            caller = module.AsgiCaller(app)
        except TypeError:
            caller = module.AsgiCaller(app, on_error=lambda exc: None)
        transport = module.AsgiTransport(caller)
        base_url = module.INPROCESS_URL
    except (AttributeError, TypeError) as exc:
        return {"skipped": f"the plugin's in-process transport changed: {exc}"}
    samples = []
    try:
        with httpx.Client(
            transport=transport, base_url=base_url, headers={"X-Vault-Token": "root"}
        ) as client:
            for n in range(requests):
                entity_id = data.ids[n % len(data.ids)]
                began = time.perf_counter()
                answer = client.get(f"/v1/identity/entity/id/{entity_id}")
                samples.append(time.perf_counter() - began)
                if answer.status_code != 200:
                    raise RuntimeError(f"plugin transport: {answer.status_code}")
    finally:
        close = getattr(caller, "close", None)
        if close is not None:
            close()
    return _percentiles(samples)


def _timed(action: Callable[[], Any]) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def _cpu_timed(action: Callable[[], Any]) -> float:
    began = time.thread_time()
    action()
    return time.thread_time() - began


def state_costs(*, objects: int, repeats: int) -> dict[str, Any]:
    """Reset, snapshot and restore of a store holding ``objects`` objects (half
    entities, half their aliases). Times are medians, in milliseconds."""
    store = Store(seed=1)
    populate(store, objects // 2)
    counted = len(store.entities.entities) + len(store.entities.aliases)
    snapshot = store.snapshot()
    text = json.dumps(snapshot)
    resets = []
    reset_cpu = []
    snapshots = []
    restores = []
    json_restores = []
    for _ in range(repeats):
        store.restore(snapshot)
        gc.collect()
        resets.append(_timed(store.reset))
        store.restore(snapshot)
        gc.collect()
        reset_cpu.append(_cpu_timed(store.reset))
        store.restore(snapshot)
        gc.collect()
        snapshots.append(_timed(store.snapshot))
        gc.collect()
        restores.append(_timed(lambda: store.restore(snapshot)))
        gc.collect()
        json_restores.append(_timed(lambda: store.restore(json.loads(text))))
    return {
        "objects": counted,
        "reset_ms": round(statistics.median(resets) * 1e3, 3),
        "reset_max_ms": round(max(resets) * 1e3, 3),
        "reset_cpu_ms": round(statistics.median(reset_cpu) * 1e3, 3),
        "snapshot_ms": round(statistics.median(snapshots) * 1e3, 2),
        "restore_ms": round(statistics.median(restores) * 1e3, 2),
        "restore_from_json_ms": round(statistics.median(json_restores) * 1e3, 2),
        "snapshot_json_bytes": len(text),
    }
