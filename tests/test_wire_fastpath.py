"""The fast path answers exactly as connexion would, and only where it may."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Generator
from typing import Any

import httpx
import pytest
from connexion import AsyncApp
from connexion.middleware.main import ConnexionMiddleware
from connexion.middleware.security import SecurityMiddleware

import mockserver.app as app_module
from mockserver.app import MockApp, create_app
from mockserver.config import ServerConfig
from mockserver.spec import load_document
from mockserver.wire.fastpath import FastPathMiddleware, build_routes, enforces_security

Step = tuple[str, str, Any, dict[str, str] | None]
Answer = tuple[str, str, int, list[tuple[str, str]], Any]


def _data(response: httpx.Response, *keys: str) -> str:
    """A member of the answer's data; a placeholder when the call failed."""
    try:
        value: Any = response.json()["data"]
        for key in keys:
            value = value[key]
    except (ValueError, KeyError, TypeError):
        return "missing"
    return str(value)


def _script() -> Generator[Step, httpx.Response, None]:
    """Requests over the families the fast path serves, good and bad."""
    yield ("POST", "/v1/sys/auth/userpass", {"type": "userpass"}, None)
    mounts = yield ("GET", "/v1/sys/auth", None, None)
    accessor = _data(mounts, "userpass/", "accessor")
    made = yield (
        "POST",
        "/v1/identity/entity",
        {"name": "alice", "metadata": {"a": "b"}, "policies": "p1,p2"},
        None,
    )
    alice = _data(made, "id")
    yield ("POST", "/v1/identity/entity", {"name": "alice", "disabled": "true"}, None)
    yield ("POST", "/v1/identity/entity", {"name": 5}, None)
    yield ("POST", "/v1/identity/entity", {"id": "missing"}, None)
    yield ("POST", "/v1/identity/entity", {"bogus": 1, "name": "carol"}, None)
    yield ("POST", "/v1/identity/entity", b"not json", None)
    yield ("POST", "/v1/identity/entity", b"[1]", None)
    yield ("POST", "/v1/identity/entity", b"", None)
    yield ("POST", "/v1/identity/entity", b'{"name":"x","policies":{"a":1}}', None)
    yield ("GET", "/v1/identity/entity/name/ALICE", None, None)
    yield ("GET", "/v1/identity/entity/name/nobody", None, None)
    yield ("GET", f"/v1/identity/entity/id/{alice}?foo=bar", None, None)
    yield ("GET", f"/v1/identity/entity/id/{alice}/", None, None)
    yield ("LIST", "/v1/identity/entity/id", None, None)
    yield ("GET", "/v1/identity/entity/id?list=true", None, None)
    yield ("GET", "/v1/identity/entity/id", None, None)
    yield ("LIST", "/v1/identity/entity/name", None, None)
    linked = yield (
        "POST",
        "/v1/identity/entity-alias",
        {"name": "al", "mount_accessor": accessor, "canonical_id": alice},
        None,
    )
    alias = _data(linked, "id")
    yield (
        "POST",
        "/v1/identity/entity-alias",
        {"name": "al", "mount_accessor": "x"},
        None,
    )
    yield (
        "POST",
        "/v1/identity/alias",
        {"name": "al3", "mount_accessor": accessor},
        None,
    )
    yield ("GET", f"/v1/identity/entity-alias/id/{alias}", None, None)
    yield ("LIST", "/v1/identity/entity-alias/id", None, None)
    yield ("PUT", "/v1/identity/entity/name/bob", {"policies": ["x"]}, None)
    found = yield ("GET", "/v1/identity/entity/name/bob", None, None)
    bob = _data(found, "id")
    yield ("POST", f"/v1/identity/entity/id/{bob}", {"name": "alice"}, None)
    yield (
        "POST",
        "/v1/identity/entity/merge",
        {"to_entity_id": alice, "from_entity_ids": [bob]},
        None,
    )
    yield ("POST", "/v1/identity/entity/batch-delete", {"entity_ids": []}, None)
    yield (
        "POST",
        "/v1/identity/group",
        {"name": "g1", "member_entity_ids": [alice]},
        None,
    )
    yield ("LIST", "/v1/identity/group/name", None, None)
    yield ("POST", "/v1/identity/lookup/entity", {"name": "alice"}, None)
    yield ("POST", "/v1/identity/lookup/entity", {}, None)
    yield ("GET", "/v1/sys/seal-status", None, {})
    yield ("GET", "/v1/identity/entity/name/alice", None, {"X-Vault-Token": "wrong"})
    yield ("GET", "/v1/identity/nothing/here", None, None)
    yield ("DELETE", "/v1/identity/entity", None, None)
    yield ("DELETE", f"/v1/identity/entity/id/{alice}", None, None)
    yield ("DELETE", "/v1/identity/entity/name/carol", None, None)


async def _play(app: MockApp) -> list[Answer]:
    answers: list[Answer] = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        script = _script()
        response: httpx.Response | None = None
        while True:
            try:
                step = script.send(response) if response is not None else next(script)
            except StopIteration:
                break
            method, path, body, headers = step
            content = body if isinstance(body, bytes) else None
            payload = None if isinstance(body, bytes) else body
            response = await client.request(
                method,
                path,
                headers={"X-Vault-Token": "root"} if headers is None else headers,
                content=content,
                json=payload,
            )
            kept = sorted((k, v) for k, v in response.headers.items() if k != "date")
            answers.append((method, path, response.status_code, kept, response.content))
    return answers


def _without_connexion_security() -> Callable[..., AsyncApp]:
    stack = [
        m
        for m in ConnexionMiddleware.default_middlewares
        if m is not SecurityMiddleware
    ]

    def build(*args: Any, **kwargs: Any) -> AsyncApp:
        return AsyncApp(*args, middlewares=stack, **kwargs)

    return build


def test_answers_match_connexion(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[str] = []
    run = FastPathMiddleware._run

    async def counting_run(operation: Any, *args: Any, **kwargs: Any) -> Any:
        served.append(operation.operation_id)
        return await run(operation, *args, **kwargs)

    monkeypatch.setattr(FastPathMiddleware, "_run", staticmethod(counting_run))
    fast = asyncio.run(_play(create_app(ServerConfig(seed=3))))
    assert len(served) > 30, "the fast path served too little to compare"
    monkeypatch.setattr(app_module, "FastPathMiddleware", lambda app, *a, **k: app)
    slow = asyncio.run(_play(create_app(ServerConfig(seed=3))))
    assert len(fast) == len(slow) > 30
    for got, expected in zip(fast, slow, strict=True):
        assert got == expected


def test_serves_the_entity_family_when_connexion_leaves_tokens_to_the_wire() -> None:
    root_doc = load_document()
    app = FastPathMiddleware(
        _without_connexion_security()(__name__), root_doc, on_error=None
    )
    for method, path in [
        ("GET", "/v1/identity/entity/id/abc"),
        ("GET", "/v1/identity/entity/name/alice"),
        ("GET", "/v1/identity/entity/id"),
        ("POST", "/v1/identity/entity"),
        ("POST", "/v1/identity/entity/id/abc"),
        ("POST", "/v1/identity/entity-alias"),
        ("DELETE", "/v1/identity/entity/id/abc"),
        ("GET", "/v1/sys/health"),
    ]:
        found = app.find(method, path)
        assert found is not None, (method, path)
    operation, arguments = app.find("GET", "/v1/identity/entity/name/a b") or (
        None,
        {},
    )
    assert operation is not None
    assert operation.operation_id == "entity-read-by-name"
    assert arguments == {"name": "a b"}


def test_leaves_what_it_is_unsure_of_to_connexion() -> None:
    app = FastPathMiddleware(
        _without_connexion_security()(__name__), load_document(), on_error=None
    )
    assert app.find("GET", "/v1/identity/entity/id/abc/") is None
    assert app.find("GET", "/v1//identity/entity/id/abc") is None
    assert app.find("PATCH", "/v1/identity/entity/id/abc") is None
    assert app.find("GET", "/v1/identity/nothing") is None
    assert app.find("GET", "/_vaultmock/health") is None
    # OIDC handlers read connexion's request context: never served here.
    assert app.find("GET", "/v1/identity/oidc/.well-known/keys") is None


def test_a_path_two_templates_match_goes_to_connexion() -> None:
    handler = "entity-read-by-id"
    document: dict[str, Any] = {
        "openapi": "3.0.3",
        "paths": {
            "/identity/entity/id/{id}": {"get": {"operationId": handler}},
            "/identity/entity/id/special": {"get": {"operationId": handler}},
        },
    }
    _, count = build_routes(document, secured=False)
    assert count == 2
    app = FastPathMiddleware(lambda s, r, w: None, document)  # type: ignore[arg-type,return-value]
    assert app.find("GET", "/v1/identity/entity/id/special") is None
    assert app.find("GET", "/v1/identity/entity/id/other") is not None


def test_secured_operations_stay_with_connexion_when_it_checks_tokens() -> None:
    document = load_document()
    assert enforces_security(AsyncApp(__name__))
    assert not enforces_security(_without_connexion_security()(__name__))
    _, secured = build_routes(document, secured=True)
    _, open_ = build_routes(document, secured=False)
    assert secured < open_


def test_unexpected_errors_reach_the_listener(monkeypatch: pytest.MonkeyPatch) -> None:
    heard: list[BaseException] = []
    app = create_app(ServerConfig(on_error=heard.append))

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("backend bug")

    monkeypatch.setattr(app.store.entities, "entity_read_by_name", broken)

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://m") as c:
            return await c.get(
                "/v1/identity/entity/name/x", headers={"X-Vault-Token": "root"}
            )

    answer = asyncio.run(call())
    assert answer.status_code == 500
    assert json.loads(answer.content) == {
        "errors": ["1 error occurred:\n\t* internal error\n\n"]
    }
    assert [str(e) for e in heard] == ["backend bug"]
