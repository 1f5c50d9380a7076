"""Calling the mock's Vault API in tests."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

ROOT = {"X-Vault-Token": "root"}


def call(client: TestClient, method: str, path: str, **kwargs: Any) -> Any:
    """``method /v1{path}`` with the root token unless ``headers`` says otherwise."""
    headers = kwargs.pop("headers", ROOT)
    return client.request(method, "/v1" + path, headers=headers, **kwargs)
