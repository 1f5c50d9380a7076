"""Every setting of the mock server, with its default, in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mockserver.wire.errors import ErrorListener

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8200
DEFAULT_ROOT_TOKEN = "root"


@dataclass(slots=True)
class ServerConfig:
    """How one mock server is built.

    ``document`` overrides the packaged OpenAPI document (tests use this);
    ``on_error`` hears every unexpected exception raised while serving.
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    root_token: str = DEFAULT_ROOT_TOKEN
    seed: int | None = None
    preload: int = 0
    log_level: str = "warning"
    document: dict[str, Any] | None = None
    on_error: ErrorListener | None = field(default=None, repr=False)
