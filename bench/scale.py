"""Scale: many entities with aliases in one mock, measured in a fresh process.

Run as ``python -m bench.scale N [DOCUMENT]``; prints one JSON object. A fresh
process keeps the memory figure clean: resident memory is read before the
store is filled and after.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.inprocess import AsgiClient, populate


def rss_bytes() -> int:
    """This process's resident memory."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def measure(entities: int, document: dict[str, Any] | None) -> dict[str, Any]:
    """Fill a mock with ``entities`` entities and aliases; time lists and lookups."""
    from mockserver.app import create_app
    from mockserver.config import ServerConfig

    app = create_app(ServerConfig(seed=1, document=document))
    gc.collect()
    before = rss_bytes()
    began = time.perf_counter()
    data = populate(app.store, entities)
    filled = time.perf_counter() - began
    gc.collect()
    after = rss_bytes()
    client = AsgiClient(app)
    backend = app.store.entities

    async def timed(method: str, path: str, query: bytes = b"") -> tuple[float, int]:
        began = time.perf_counter()
        status, body = await client.call(method, path, query=query)
        if status != 200:
            raise RuntimeError(f"{method} {path}: {status} {body[:200]!r}")
        return time.perf_counter() - began, len(body)

    async def run() -> dict[str, Any]:
        lists_id = [
            await timed("GET", "/v1/identity/entity/id", b"list=true") for _ in range(3)
        ]
        lists_name = [
            await timed("GET", "/v1/identity/entity/name", b"list=true")
            for _ in range(3)
        ]
        lookups = []
        for n in range(0, entities, max(1, entities // 1000)):
            lookups.append(
                (await timed("GET", f"/v1/identity/entity/id/{data.ids[n]}"))[0]
            )
        name_lookups = []
        for n in range(0, entities, max(1, entities // 1000)):
            path = f"/v1/identity/entity/name/{data.names[n]}"
            name_lookups.append((await timed("GET", path))[0])
        return {
            "list_by_id_ms": round(min(t for t, _ in lists_id) * 1e3, 1),
            "list_by_id_bytes": lists_id[0][1],
            "list_by_name_ms": round(min(t for t, _ in lists_name) * 1e3, 1),
            "list_by_name_bytes": lists_name[0][1],
            "lookup_by_id_p50_us": round(statistics.median(lookups) * 1e6, 1),
            "lookup_by_name_p50_us": round(statistics.median(name_lookups) * 1e6, 1),
        }

    answers = asyncio.run(run())
    began = time.perf_counter()
    backend.entity_list_by_id()
    backend_list = time.perf_counter() - began
    return {
        "entities": len(backend.entities),
        "aliases": len(backend.aliases),
        "fill_seconds": round(filled, 2),
        "memory_bytes": after - before,
        "process_rss_bytes": after,
        "backend_list_by_id_ms": round(backend_list * 1e3, 1),
        **answers,
    }


def main(argv: list[str]) -> int:
    """``python -m bench.scale N [DOCUMENT]``."""
    entities = int(argv[0])
    document = None
    if len(argv) > 1:
        document = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    json.dump(measure(entities, document), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
