"""Every setting of the mock server, with its default, in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockserver.wire.errors import ErrorListener
from mockserver.wire.faults import FaultRule

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8200
DEFAULT_ROOT_TOKEN = "root"


@dataclass(slots=True)
class ServerConfig:
    """How one mock server is built.

    ``document`` overrides the packaged OpenAPI document (tests use this);
    ``on_error`` hears every unexpected exception raised while serving.

    ``faults`` and ``sealed`` are the faults active at start (and after an admin
    reset); ``state_file`` is loaded at start and written at shutdown;
    ``admin_auth`` is ``auto`` (the admin API needs the root token unless the host
    is loopback), ``token`` (always) or ``off`` (never); ``log_format`` is
    ``text`` or ``json`` (one JSON object per line).
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    root_token: str = DEFAULT_ROOT_TOKEN
    seed: int | None = None
    preload: int = 0
    log_level: str = "warning"
    document: dict[str, Any] | None = None
    on_error: ErrorListener | None = field(default=None, repr=False)
    faults: tuple[FaultRule, ...] = ()
    sealed: bool = False
    state_file: Path | None = None
    admin_auth: str = "auto"
    log_format: str = "text"
