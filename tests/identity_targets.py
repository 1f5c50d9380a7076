"""Where the HTTP scenario tests of the MFA and OIDC families run.

The same scenario runs against the mock (``mock``) and against a real
``bao server -dev`` (``real``, see ``tests/realserver.py``). :class:`Target` is
what a test sees of either: an HTTP client with the root token, a way to get a
token tied to an entity the way a client does (a userpass login), and, on the
mock only, the store behind it (to move the OIDC clock).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from realserver import RealServer, wipe

from mockserver.backends import Store
from mockserver.server import MockServer

USER_POLICY = """
path "identity/oidc/token/*" { capabilities = ["read"] }
path "identity/mfa/method/totp/generate" { capabilities = ["update"] }
"""
"""What a userpass user of the scenarios may do beyond the default policy.

The default policy already allows the provider's authorize endpoint."""


@dataclass(frozen=True)
class Login:
    """A userpass login: the client token and the entity it is tied to."""

    token: str
    entity_id: str


@dataclass
class Target:
    """A server the scenarios run against."""

    name: str
    url: str
    http: httpx.Client
    """Client for ``{url}/v1`` that sends the root token."""
    mock: MockServer | None = None
    errors: list[BaseException] = field(default_factory=list)
    """Unexpected exceptions inside the mock (there must be none)."""

    @property
    def is_mock(self) -> bool:
        return self.mock is not None

    @property
    def store(self) -> Store:
        """The mock's state; only the mock has one."""
        assert self.mock is not None, "only the mock target has a store"
        return self.mock.store

    def anonymous(self) -> httpx.Client:
        """A client for ``{url}/v1`` that sends no token."""
        return httpx.Client(base_url=f"{self.url}/v1")

    def login(self, user: str = "alice") -> Login:
        """Enable userpass (once), create ``user`` and log in as that user.

        The first login creates the user's entity, as on the real server.
        """
        mounts = self.http.get("sys/auth").json()["data"]
        if "userpass/" not in mounts:
            check(self.http.post("sys/auth/userpass", json={"type": "userpass"}))
        check(self.http.post("sys/policy/scenario-user", json={"policy": USER_POLICY}))
        check(
            self.http.post(
                f"auth/userpass/users/{user}",
                json={"password": "pw", "token_policies": ["scenario-user"]},
            )
        )
        answer = check(
            self.http.post(f"auth/userpass/login/{user}", json={"password": "pw"})
        )
        auth = answer.json()["auth"]
        return Login(auth["client_token"], auth["entity_id"])


def check(answer: httpx.Response) -> httpx.Response:
    """``answer`` if it is a success, else an error naming the request."""
    if answer.status_code >= 400:
        raise AssertionError(
            f"{answer.request.method} {answer.request.url.path} answered "
            f"{answer.status_code} {answer.text}"
        )
    return answer


def keys(http: httpx.Client, path: str) -> list[str]:
    """The keys of a list, or none for the real server's 404 of an empty one."""
    answer = http.request("LIST", path)
    if answer.status_code == 404:
        return []
    return list(check(answer).json()["data"]["keys"])


def clear_real(url: str) -> None:
    """Bring a real dev server back to an empty identity store, MFA and OIDC
    objects included (``wipe`` leaves those)."""
    with httpx.Client(base_url=f"{url}/v1", headers={"X-Vault-Token": "root"}) as http:
        for name in keys(http, "identity/mfa/login-enforcement"):
            check(http.delete(f"identity/mfa/login-enforcement/{name}"))
        listed = http.request("LIST", "identity/mfa/method")
        if listed.status_code != 404:
            for method_id, info in check(listed).json()["data"]["key_info"].items():
                check(http.delete(f"identity/mfa/method/{info['type']}/{method_id}"))
        for name in keys(http, "identity/oidc/provider"):
            if name != "default":
                check(http.delete(f"identity/oidc/provider/{name}"))
        for name in keys(http, "identity/oidc/client"):
            check(http.delete(f"identity/oidc/client/{name}"))
        for name in keys(http, "identity/oidc/scope"):
            check(http.delete(f"identity/oidc/scope/{name}"))
        for name in keys(http, "identity/oidc/assignment"):
            if name != "allow_all":
                check(http.delete(f"identity/oidc/assignment/{name}"))
        for name in keys(http, "identity/oidc/role"):
            check(http.delete(f"identity/oidc/role/{name}"))
        for name in keys(http, "identity/oidc/key"):
            if name != "default":
                check(http.delete(f"identity/oidc/key/{name}"))
        check(http.post("identity/oidc/config", json={"issuer": ""}))
    wipe(url)


@contextmanager
def real_target(server: RealServer) -> Iterator[Target]:
    """The real server, emptied before the test."""
    clear_real(server.url)
    with httpx.Client(
        base_url=f"{server.url}/v1", headers={"X-Vault-Token": server.root_token}
    ) as http:
        yield Target("real", server.url, http)


@contextmanager
def mock_target(mock: MockServer, errors: list[BaseException]) -> Iterator[Target]:
    """The mock, reset before the test; its OIDC clock is the wall clock again
    afterwards."""
    mock.store.reset()
    errors.clear()
    with httpx.Client(
        base_url=f"{mock.url}/v1", headers={"X-Vault-Token": mock.root_token}
    ) as http:
        try:
            yield Target("mock", mock.url, http, mock, errors)
        finally:
            mock.store.oidc.clock = time.time
    # Nothing may escape as an unexpected error (a 500 of the mock's own making).
    assert errors == []


def body(answer: httpx.Response) -> Any:
    """The JSON body of ``answer``, or None for an empty one."""
    return answer.json() if answer.content else None
