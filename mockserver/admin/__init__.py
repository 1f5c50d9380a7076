"""The admin API of a standalone mock, under ``/_vaultmock/``.

The prefix sits outside ``/v1``, so no Vault path can collide with it. Admin
requests are not journaled and faults never hit them. Every answer is JSON; an
error is ``{"errors": [...]}`` as on the Vault paths.

================  =========================  ==========================================
method            path                       what it does
================  =========================  ==========================================
GET               /_vaultmock/health         ``{"status": "ok", ...}``; never needs a token
GET               /_vaultmock/openapi.json   this API's own OpenAPI document
POST              /_vaultmock/reset          state, journal and faults back to the start
POST              /_vaultmock/seed           ``{"seed": N, "preload": M}``: fresh seeded state
GET               /_vaultmock/snapshot       the whole state as JSON
POST              /_vaultmock/restore        replace the whole state with a snapshot
GET               /_vaultmock/journal        requests received (``method``, ``path``,
                                             ``status``, ``limit`` filters)
DELETE            /_vaultmock/journal        forget the requests received
GET               /_vaultmock/faults         the sealed switch and the active faults
POST              /_vaultmock/faults         add a fault (JSON form of ``FaultRule``)
DELETE            /_vaultmock/faults         remove every fault and unseal
DELETE            /_vaultmock/faults/{id}    remove one fault
POST              /_vaultmock/seal           answer like a sealed server
POST              /_vaultmock/unseal         answer normally again
POST              /_vaultmock/state/save     write the state file now
================  =========================  ==========================================

Whether a token is needed is :attr:`ServerConfig.admin_auth
<mockserver.config.ServerConfig.admin_auth>`: by default the admin API is open on a
loopback address and needs the root token (``X-Vault-Token``) on any other, so a
mock bound to ``0.0.0.0`` cannot be wiped by whoever reaches it.
"""

from __future__ import annotations

from mockserver.admin.app import (
    ADMIN_PREFIX,
    AdminContext,
    AdminRouter,
    admin_app,
    admin_document,
    needs_token,
)

__all__ = [
    "ADMIN_PREFIX",
    "AdminContext",
    "AdminRouter",
    "admin_app",
    "admin_document",
    "needs_token",
]
