"""Handlers of the ``sys/`` operations clients need around the identity API:
auth mounts (for alias accessors), health and seal status."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from starlette.responses import Response

from mockserver import __version__
from mockserver.handlers._envelope import bare, envelope, no_content
from mockserver.wire.context import current

Body = dict[str, Any] | None


async def sys_auth_list() -> Response:
    """``GET /sys/auth``: every enabled auth mount, keyed by path."""
    mounts = {}
    for mount in current().store.mounts.sys_auth_list():
        view = asdict(mount)
        del view["path"]
        view["external_entropy_access"] = False
        if mount.type != "token":
            view["deprecation_status"] = "supported"
        view["plugin_version"] = ""
        view["running_plugin_version"] = f"v{__version__}+builtin.vaultmock"
        view["running_sha256"] = ""
        mounts[mount.path] = view
    return envelope(mounts, legacy=mounts)


async def sys_auth_enable(path: str, body: Body = None) -> Response:
    """``POST /sys/auth/{path}``: enable an auth method."""
    body = body or {}
    current().store.mounts.sys_auth_enable(
        path,
        body.get("type", ""),
        description=body.get("description", ""),
        config=body.get("config"),
        local=bool(body.get("local", False)),
        seal_wrap=bool(body.get("seal_wrap", False)),
        options=body.get("options"),
    )
    return no_content()


async def sys_auth_disable(path: str) -> Response:
    """``DELETE /sys/auth/{path}``: disable an auth method."""
    current().store.mounts.sys_auth_disable(path)
    return no_content()


async def sys_health_read() -> Response:
    """``GET /sys/health``: an unsealed, initialised, active node."""
    return bare(
        {
            "initialized": True,
            "sealed": False,
            "standby": False,
            "performance_standby": False,
            "replication_performance_mode": "disabled",
            "replication_dr_mode": "disabled",
            "server_time_utc": int(time.time()),
            "version": f"{__version__}+vaultmock",
            "cluster_name": "vaultmock",
            "cluster_id": current().store.cluster_id,
        }
    )


async def sys_seal_status_read() -> Response:
    """``GET /sys/seal-status``: unsealed, shamir, one key share."""
    return bare(
        {
            "type": "shamir",
            "initialized": True,
            "sealed": False,
            "t": 1,
            "n": 1,
            "progress": 0,
            "nonce": "",
            "version": f"{__version__}+vaultmock",
            "commit_date": "",
            "migration": False,
            "cluster_name": "vaultmock",
            "cluster_id": current().store.cluster_id,
            "recovery_seal": False,
            "storage_type": "inmem",
        }
    )
