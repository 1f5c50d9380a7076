"""Soak: many concurrent clients over HTTP for a bounded time and count, mixing
entities, aliases, groups and auth mounts; afterwards the invariants hold.

Each client owns the objects it creates and keeps a ledger of every write the
server acknowledged; only the ``shared-*`` names are fought over. At the end:

* no answer was a 5xx, and every write to an owned object succeeded;
* no acknowledged write was lost: each owned entity, alias and group is there
  with the last value written, and each deleted one is gone;
* every alias points at a live entity; entity names are unique (ignoring case),
  and each contended name exists exactly once;
* group memberships agree both ways: a group lists only live entities, and an
  entity's ``direct_group_ids`` are exactly the groups that list it.

Bounded by :data:`CLIENTS` x :data:`OPERATIONS` requests and :data:`SECONDS`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from mockserver.config import ServerConfig
from mockserver.server import MockServer

CLIENTS = 10
OPERATIONS = 250
"""Operations per client, at most."""
SECONDS = 20.0
"""Time limit of the concurrent phase."""
SHARED_NAMES = 4
ROOT = {"X-Vault-Token": "root"}


@dataclass
class Ledger:
    """What one client wrote and the server acknowledged."""

    number: int
    accessor: str
    entities: dict[str, str] = field(default_factory=dict)
    """id -> name of the live entities this client owns."""
    metadata: dict[str, str] = field(default_factory=dict)
    """id -> the last ``v`` metadata value written."""
    deleted: set[str] = field(default_factory=set)
    aliases: dict[str, str] = field(default_factory=dict)
    """alias id -> entity id."""
    deleted_aliases: set[str] = field(default_factory=set)
    groups: dict[str, set[str]] = field(default_factory=dict)
    """group id -> member entity ids."""
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    serial: int = 0

    def next_name(self, kind: str) -> str:
        self.serial += 1
        return f"soak-c{self.number}-{kind}{self.serial}"


class Client:
    """One client: its connection, its ledger, its random choices."""

    def __init__(self, http: httpx.AsyncClient, ledger: Ledger) -> None:
        self.http = http
        self.ledger = ledger
        self.rng = random.Random(ledger.number)

    async def call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        answer = await self.http.request(method, "/v1" + path, json=body, headers=ROOT)
        self.ledger.statuses[answer.status_code] += 1
        return answer

    async def owned(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        """A call on the client's own objects: it must succeed."""
        answer = await self.call(method, path, body)
        if answer.status_code >= 300:
            self.ledger.failures.append(
                f"{method} {path} -> {answer.status_code} {answer.text[:200]}"
            )
        return answer

    def _some_entity(self) -> str | None:
        if not self.ledger.entities:
            return None
        return self.rng.choice(sorted(self.ledger.entities))

    async def create_entity(self) -> None:
        name = self.ledger.next_name("e")
        answer = await self.owned(
            "POST", "/identity/entity", {"name": name, "metadata": {"v": "0"}}
        )
        if answer.status_code == 200:
            entity_id = answer.json()["data"]["id"]
            self.ledger.entities[entity_id] = name
            self.ledger.metadata[entity_id] = "0"

    async def update_entity(self) -> None:
        entity_id = self._some_entity()
        if entity_id is None:
            return
        value = str(self.ledger.serial)
        self.ledger.serial += 1
        answer = await self.owned(
            "POST", f"/identity/entity/id/{entity_id}", {"metadata": {"v": value}}
        )
        if answer.status_code < 300:
            self.ledger.metadata[entity_id] = value

    async def create_alias(self) -> None:
        held = set(self.ledger.aliases.values())
        free = [e for e in sorted(self.ledger.entities) if e not in held]
        if not free:
            return
        entity_id = self.rng.choice(free)
        body = {
            "name": self.ledger.next_name("a"),
            "mount_accessor": self.ledger.accessor,
            "canonical_id": entity_id,
        }
        answer = await self.owned("POST", "/identity/entity-alias", body)
        if answer.status_code == 200:
            self.ledger.aliases[answer.json()["data"]["id"]] = entity_id

    async def read_entity(self) -> None:
        entity_id = self._some_entity()
        if entity_id is None:
            return
        by_name = self.rng.random() < 0.5
        path = (
            f"/identity/entity/name/{self.ledger.entities[entity_id]}"
            if by_name
            else f"/identity/entity/id/{entity_id}"
        )
        answer = await self.owned("GET", path)
        if answer.status_code == 200 and answer.json()["data"]["id"] != entity_id:
            self.ledger.failures.append(f"GET {path} answered another entity")

    async def delete_entity(self) -> None:
        entity_id = self._some_entity()
        if entity_id is None:
            return
        answer = await self.owned("DELETE", f"/identity/entity/id/{entity_id}")
        if answer.status_code < 300:
            del self.ledger.entities[entity_id]
            del self.ledger.metadata[entity_id]
            self.ledger.deleted.add(entity_id)
            for alias_id, holder in list(self.ledger.aliases.items()):
                if holder == entity_id:
                    del self.ledger.aliases[alias_id]
                    self.ledger.deleted_aliases.add(alias_id)
            for members in self.ledger.groups.values():
                members.discard(entity_id)

    async def write_group(self) -> None:
        members = sorted(self.ledger.entities)
        chosen = sorted(self.rng.sample(members, k=min(len(members), 3)))
        if self.ledger.groups and self.rng.random() < 0.6:
            group_id = self.rng.choice(sorted(self.ledger.groups))
            answer = await self.owned(
                "POST", f"/identity/group/id/{group_id}", {"member_entity_ids": chosen}
            )
            if answer.status_code < 300:
                self.ledger.groups[group_id] = set(chosen)
            return
        body = {"name": self.ledger.next_name("g"), "member_entity_ids": chosen}
        answer = await self.owned("POST", "/identity/group", body)
        if answer.status_code == 200:
            self.ledger.groups[answer.json()["data"]["id"]] = set(chosen)

    async def contend(self) -> None:
        """Fight over a shared entity name, or a shared group's members."""
        body: dict[str, Any]
        if self.rng.random() < 0.5:
            name = f"shared-{self.rng.randrange(SHARED_NAMES)}"
            body = {"metadata": {"by": str(self.ledger.number)}}
            await self.call("POST", f"/identity/entity/name/{name}", body)
        else:
            mine = sorted(self.ledger.entities)[:2]
            body = {"member_entity_ids": mine, "policies": ["shared"]}
            # Another client may delete a member meanwhile: a 400 is fair.
            await self.call("POST", "/identity/group/name/shared-group", body)

    async def list_something(self) -> None:
        path = self.rng.choice(
            ["/identity/entity/name", "/identity/entity-alias/id", "/identity/group/id"]
        )
        answer = await self.call("LIST", path)
        if answer.status_code not in (200, 404):
            self.ledger.failures.append(f"LIST {path} -> {answer.status_code}")

    async def mount_churn(self) -> None:
        path = f"sys/auth/soak-c{self.ledger.number}-{self.ledger.serial % 3}"
        self.ledger.serial += 1
        await self.owned("POST", f"/{path}", {"type": "approle"})
        await self.owned("DELETE", f"/{path}")

    async def run(self, deadline: float) -> None:
        actions = [
            (25, self.create_entity),
            (15, self.update_entity),
            (15, self.create_alias),
            (18, self.read_entity),
            (7, self.delete_entity),
            (8, self.write_group),
            (5, self.contend),
            (5, self.list_something),
            (2, self.mount_churn),
        ]
        weights = [w for w, _ in actions]
        for _ in range(OPERATIONS):
            if time.monotonic() > deadline:
                return
            action = self.rng.choices([a for _, a in actions], weights)[0]
            await action()


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0, seed=5)) as server:
        yield server


async def _soak(url: str) -> list[Ledger]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as setup:
        enabled = await setup.post(
            "/v1/sys/auth/soak-userpass", json={"type": "userpass"}, headers=ROOT
        )
        assert enabled.status_code == 204
        mounts = (await setup.get("/v1/sys/auth", headers=ROOT)).json()["data"]
        accessor = mounts["soak-userpass/"]["accessor"]
    ledgers = [Ledger(n, accessor) for n in range(CLIENTS)]
    deadline = time.monotonic() + SECONDS
    limits = httpx.Limits(max_connections=1)

    async def one(ledger: Ledger) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:
            await Client(http, ledger).run(deadline)

    await asyncio.gather(*(one(ledger) for ledger in ledgers))
    return ledgers


async def _state(url: str) -> dict[str, Any]:
    """Everything the invariants are checked on, read back over HTTP."""
    async with httpx.AsyncClient(base_url=url, timeout=30, headers=ROOT) as http:

        async def listing(path: str) -> dict[str, Any]:
            answer = await http.request("LIST", "/v1" + path)
            assert answer.status_code in (200, 404), answer.text
            data: dict[str, Any] = (
                answer.json()["data"] if answer.status_code == 200 else {}
            )
            return data

        entities = await listing("/identity/entity/id")
        names = (await listing("/identity/entity/name")).get("keys", [])
        aliases = await listing("/identity/entity-alias/id")
        groups = {}
        for group_id in (await listing("/identity/group/id")).get("keys", []):
            answer = await http.get(f"/v1/identity/group/id/{group_id}")
            assert answer.status_code == 200
            groups[group_id] = answer.json()["data"]
        reads = {}
        for entity_id in entities.get("keys", []):
            answer = await http.get(f"/v1/identity/entity/id/{entity_id}")
            assert answer.status_code == 200
            reads[entity_id] = answer.json()["data"]
        return {
            "entities": entities,
            "names": names,
            "aliases": aliases,
            "groups": groups,
            "reads": reads,
        }


def test_concurrent_clients_keep_the_invariants(mock: MockServer) -> None:
    ledgers = asyncio.run(_soak(mock.url))
    state = asyncio.run(_state(mock.url))

    statuses: Counter[int] = Counter()
    for ledger in ledgers:
        statuses.update(ledger.statuses)
    assert sum(statuses.values()) >= CLIENTS * 20, "too little traffic to mean much"
    assert not [s for s in statuses if s >= 500], statuses
    assert [f for ledger in ledgers for f in ledger.failures] == []
    assert not [e for e in mock.app.journal.entries() if e.status >= 500]

    live = set(state["entities"].get("keys", []))
    reads = state["reads"]
    # No lost writes, no resurrected deletes.
    for ledger in ledgers:
        for entity_id, name in ledger.entities.items():
            assert entity_id in live, f"acknowledged entity {name} is gone"
            assert reads[entity_id]["name"] == name
            assert reads[entity_id]["metadata"] == {"v": ledger.metadata[entity_id]}
        assert not ledger.deleted & live
        for alias_id, entity_id in ledger.aliases.items():
            info = state["aliases"]["key_info"][alias_id]
            assert info["canonical_id"] == entity_id
        assert not ledger.deleted_aliases & set(state["aliases"].get("keys", []))
        for group_id, members in ledger.groups.items():
            listed = state["groups"][group_id]["member_entity_ids"] or []
            assert set(listed) == members

    # Every alias points at a live entity.
    for alias_id, info in (state["aliases"].get("key_info") or {}).items():
        assert info["canonical_id"] in live, alias_id

    # Names are unique, ignoring case; each contended name exists once.
    names = state["names"]
    assert len({n.lower() for n in names}) == len(names) == len(live)
    contended = [n for n in names if n.startswith("shared-")]
    assert len(contended) == len(set(contended))

    # Memberships agree both ways.
    listed_by: dict[str, set[str]] = {entity_id: set() for entity_id in live}
    for group_id, group in state["groups"].items():
        for member in group["member_entity_ids"] or []:
            assert member in live, f"group {group['name']} lists a deleted entity"
            listed_by[member].add(group_id)
    for entity_id, read in reads.items():
        assert set(read["direct_group_ids"] or []) == listed_by[entity_id]

    # The store's own indexes agree with what was served.
    backend = mock.store.entities
    assert set(backend.entities) == live
    assert all(a.canonical_id in backend.entities for a in backend.aliases.values())
