"""The load generator: HTTP/1.1 keep-alive connections over asyncio streams.

No client library sits between the generator and the socket, so the client's
own cost per request stays small and is the same for both servers. Each
virtual client owns one connection and sends its next request as soon as the
previous answer is read (a closed loop); a run stops at whichever comes first
of a request count and a time limit.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

TOKEN = "root"


@dataclass(frozen=True, slots=True)
class Call:
    """One request to send: a verb, a path under the server root, a JSON body."""

    method: str
    path: str
    body: Any = None
    op: str = ""
    """A short label for the operation, for the per-operation counts."""

    def encode(self, host: str, token: str = TOKEN) -> bytes:
        """The request as bytes on the wire."""
        head = f"{self.method} {self.path} HTTP/1.1\r\nHost: {host}\r\nX-Vault-Token: {token}\r\n"
        if self.body is None:
            return (head + "\r\n").encode()
        payload = json.dumps(self.body).encode()
        head += (
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        return head.encode() + payload


@dataclass(frozen=True, slots=True)
class Answer:
    """The status and body of one response."""

    status: int
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


class ProtocolError(Exception):
    """The server sent something that is not an HTTP/1.1 response."""


def _parse_head(head: bytes) -> tuple[int, int | None, bool]:
    if not head.startswith(b"HTTP/1.") or len(head) < 12:
        raise ProtocolError(f"bad status line {head[:40]!r}")
    status = int(head[9:12])
    length: int | None = None
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    return status, length, chunked


def _dechunk(data: bytearray, start: int) -> tuple[bytes, int] | None:
    """A chunked body starting at ``start``: (body, end offset), or None if cut."""
    position = start
    parts: list[bytes] = []
    while True:
        line_end = data.find(b"\r\n", position)
        if line_end < 0:
            return None
        size = int(bytes(data[position:line_end]).split(b";")[0], 16)
        position = line_end + 2
        if size == 0:
            end = data.find(b"\r\n", position)
            return None if end < 0 else (b"".join(parts), end + 2)
        if len(data) < position + size + 2:
            return None
        parts.append(bytes(data[position : position + size]))
        position += size + 2


class _Client(asyncio.Protocol):
    """One connection's protocol: one request in flight, its answer parsed as
    the bytes arrive (no stream reader in between)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[Answer] | None = None
        self.head: tuple[int, int | None, bool, int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is not None and not self.waiter.done():
            try:
                answer = self._complete()
            except (ProtocolError, ValueError) as exc:
                self.waiter.set_exception(ProtocolError(str(exc)))
                return
            if answer is not None:
                self.waiter.set_result(answer)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionResetError("connection closed"))

    def _complete(self) -> Answer | None:
        if self.head is None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return None
            status, length, chunked = _parse_head(bytes(self.buffer[:end]))
            self.head = (status, length, chunked, end + 4)
        status, length, chunked, start = self.head
        if chunked:
            found = _dechunk(self.buffer, start)
            if found is None:
                return None
            body, stop = found
        else:
            stop = start + (length or 0)
            if len(self.buffer) < stop:
                return None
            body = bytes(self.buffer[start:stop])
        del self.buffer[:stop]
        self.head = None
        return Answer(status, body)

    async def exchange(self, raw: bytes) -> Answer:
        if self.transport is None or self.transport.is_closing():
            raise ConnectionResetError("connection closed")
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.waiter


class Connection:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, protocol: _Client, host: str) -> None:
        self.protocol = protocol
        self.host = host

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        """Connect to ``host:port``."""
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_connection(_Client, host, port)
        return cls(protocol, host)

    async def exchange(self, raw: bytes) -> Answer:
        """Send one encoded request and read its whole answer."""
        return await self.protocol.exchange(raw)

    async def call(self, call: Call, token: str = TOKEN) -> Answer:
        """Send ``call`` and read its answer."""
        return await self.exchange(call.encode(self.host, token))

    async def close(self) -> None:
        """Close the connection."""
        if self.protocol.transport is not None:
            self.protocol.transport.close()


# -- workloads ----------------------------------------------------------------


@dataclass(slots=True)
class Dataset:
    """What a workload acts on: entities with one alias each, on one mount."""

    accessor: str
    ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)


class Workload(Protocol):
    """Picks the next request of a run."""

    name: str

    def next_call(self, rng: random.Random) -> Call:
        """The next request, drawn with ``rng``."""
        ...


def _pick(rng: random.Random, weights: list[tuple[float, str]]) -> str:
    roll = rng.random()
    for weight, label in weights:
        if roll < weight:
            return label
        roll -= weight
    return weights[-1][1]


class ReadMix:
    """Entity reads by id and by name, and a few lists."""

    name = "read"
    weights: ClassVar[list[tuple[float, str]]] = [
        (0.45, "by-id"),
        (0.45, "by-name"),
        (0.05, "list-names"),
        (0.05, "list-ids"),
    ]

    def __init__(self, data: Dataset) -> None:
        self.data = data

    def next_call(self, rng: random.Random) -> Call:
        """A read of a seeded entity, or a list."""
        op = _pick(rng, self.weights)
        if op == "by-id":
            return Call(
                "GET", f"/v1/identity/entity/id/{rng.choice(self.data.ids)}", op=op
            )
        if op == "by-name":
            name = rng.choice(self.data.names)
            return Call("GET", f"/v1/identity/entity/name/{name}", op=op)
        if op == "list-names":
            return Call("LIST", "/v1/identity/entity/name", op=op)
        return Call("LIST", "/v1/identity/entity/id", op=op)


class WriteMix:
    """Entity creates and updates, and alias creates."""

    name = "write"
    weights: ClassVar[list[tuple[float, str]]] = [
        (0.4, "create"),
        (0.3, "update"),
        (0.3, "alias-create"),
    ]

    def __init__(self, data: Dataset, prefix: str) -> None:
        self.data = data
        self.prefix = prefix
        self.serial = 0

    def next_call(self, rng: random.Random) -> Call:
        """A new entity, a metadata update, or a new alias (and its entity)."""
        op = _pick(rng, self.weights)
        self.serial += 1
        if op == "create":
            body = {
                "name": f"{self.prefix}-e{self.serial}",
                "metadata": {"team": "bench", "n": str(self.serial)},
                "policies": ["default"],
            }
            return Call("POST", "/v1/identity/entity", body, op=op)
        if op == "update":
            entity_id = rng.choice(self.data.ids)
            body = {"metadata": {"touched": str(self.serial)}, "policies": ["default"]}
            return Call("POST", f"/v1/identity/entity/id/{entity_id}", body, op=op)
        body = {
            "name": f"{self.prefix}-a{self.serial}",
            "mount_accessor": self.data.accessor,
        }
        return Call("POST", "/v1/identity/entity-alias", body, op=op)


class MixedMix:
    """Seven reads for every three writes."""

    name = "mixed"

    def __init__(self, data: Dataset, prefix: str) -> None:
        self.reads = ReadMix(data)
        self.writes = WriteMix(data, prefix)

    def next_call(self, rng: random.Random) -> Call:
        """A read (70 %) or a write (30 %)."""
        if rng.random() < 0.7:
            return self.reads.next_call(rng)
        return self.writes.next_call(rng)


# -- runs ----------------------------------------------------------------------


@dataclass(slots=True)
class LoadResult:
    """What one run measured."""

    workload: str
    concurrency: int
    requests: int = 0
    seconds: float = 0.0
    failures: int = 0
    """Requests that got no HTTP answer (connection errors)."""
    statuses: Counter[int] = field(default_factory=Counter)
    ops: Counter[str] = field(default_factory=Counter)
    latencies_ns: list[int] = field(default_factory=list, repr=False)

    @property
    def throughput(self) -> float:
        """Answered requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, fraction: float) -> float:
        """The latency below which ``fraction`` of the requests were answered."""
        if not self.latencies_ns:
            return float("nan")
        ordered = sorted(self.latencies_ns)
        index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
        return ordered[index] / 1e6

    @property
    def server_errors(self) -> int:
        """Answers with a 5xx status."""
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def summary(self) -> dict[str, Any]:
        """The run as plain data."""
        return {
            "workload": self.workload,
            "concurrency": self.concurrency,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "throughput_rps": round(self.throughput, 1),
            "p50_ms": round(self.percentile_ms(0.50), 3),
            "p99_ms": round(self.percentile_ms(0.99), 3),
            "failures": self.failures,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "ops": dict(sorted(self.ops.items())),
        }


async def run_load(
    host: str,
    port: int,
    workload: Workload,
    *,
    concurrency: int,
    max_requests: int,
    max_seconds: float,
    seed: int = 1,
    token: str = TOKEN,
) -> LoadResult:
    """Drive ``workload`` with ``concurrency`` clients until a bound is reached."""
    result = LoadResult(workload.name, concurrency)
    issued = 0
    connections = [await Connection.open(host, port) for _ in range(concurrency)]
    start = time.perf_counter()
    deadline = start + max_seconds

    async def client(number: int, connection: Connection) -> None:
        nonlocal issued
        rng = random.Random(seed * 1000 + number)
        while issued < max_requests and time.perf_counter() < deadline:
            issued += 1
            call = workload.next_call(rng)
            raw = call.encode(host, token)
            began = time.perf_counter_ns()
            try:
                answer = await connection.exchange(raw)
            except (OSError, ProtocolError):
                result.failures += 1
                connection = await Connection.open(host, port)
                continue
            result.latencies_ns.append(time.perf_counter_ns() - began)
            result.requests += 1
            result.statuses[answer.status] += 1
            result.ops[call.op] += 1

    try:
        await asyncio.gather(*(client(n, c) for n, c in enumerate(connections)))
    finally:
        result.seconds = time.perf_counter() - start
        for connection in connections:
            await connection.close()
    return result


async def seed_dataset(
    host: str,
    port: int,
    *,
    entities: int,
    prefix: str,
    concurrency: int = 8,
    token: str = TOKEN,
) -> Dataset:
    """Enable a userpass mount and create ``entities`` entities with one alias each."""
    setup = await Connection.open(host, port)
    mount = f"{prefix}-userpass"
    answer = await setup.call(
        Call("POST", f"/v1/sys/auth/{mount}", {"type": "userpass"})
    )
    if answer.status >= 300:
        raise RuntimeError(f"cannot enable {mount}: {answer.status} {answer.body!r}")
    mounts = (await setup.call(Call("GET", "/v1/sys/auth"))).json()
    accessor = mounts["data"][f"{mount}/"]["accessor"]
    await setup.close()
    data = Dataset(accessor)
    queue = list(range(entities))

    async def worker() -> None:
        connection = await Connection.open(host, port)
        try:
            while queue:
                n = queue.pop()
                name = f"{prefix}-seed-{n}"
                created = await connection.call(
                    Call(
                        "POST",
                        "/v1/identity/entity",
                        {"name": name, "policies": ["default"]},
                    )
                )
                if created.status != 200:
                    raise RuntimeError(
                        f"seeding {name}: {created.status} {created.body!r}"
                    )
                entity_id = created.json()["data"]["id"]
                alias = {
                    "name": name,
                    "mount_accessor": accessor,
                    "canonical_id": entity_id,
                }
                linked = await connection.call(
                    Call("POST", "/v1/identity/entity-alias", alias)
                )
                if linked.status != 200:
                    raise RuntimeError(
                        f"alias of {name}: {linked.status} {linked.body!r}"
                    )
                data.ids.append(entity_id)
                data.names.append(name)
        finally:
            await connection.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    data.ids.sort()
    data.names.sort()
    return data
