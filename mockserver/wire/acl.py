"""Policy enforcement: the step of the wire layer right after the token check.

For every request that needs a token, :class:`AccessControl` decides as the
real server does whether the token may make it:

* the root token (the ``root`` policy) may do everything;
* a token tied to a disabled entity, or to one that was deleted, may do nothing
  (``403 {"errors":["permission denied"]}``); a token whose entity was merged
  into another acts as that one;
* any other token is held to the merged rules of its own policies, its entity's
  and those of every group the entity belongs to, directly or through parent
  groups, with templated paths resolved for its entity. A refusal is
  ``403 {"errors":["1 error occurred:\\n\\t* permission denied\\n\\n"]}``.

The request becomes a capability the way the real server maps it: ``GET`` is
``read`` (``list`` with ``list=true``, and the path then ends in ``/``),
``DELETE`` is ``delete``, ``PATCH`` is ``patch``, and ``POST`` is ``update``,
or ``create`` on the paths whose backend checks whether the item exists (named
OIDC objects, token roles, userpass users, approle roles) when it does not.
Paths the real server guards as root paths (``sys/auth/<path>``) also need
``sudo``. The body is read (and handed on unchanged) only when the governing
rule constrains parameters.

Deliberate difference from OpenBao 2.7: a request that asks for response
wrapping (``X-Vault-Wrap-TTL``) is checked against ``min_wrapping_ttl`` and
``max_wrapping_ttl``, but the mock answers it unwrapped.

External groups: a JWT login whose groups claim names a group alias makes the
entity a member of that external group (and the next login may take it out
again), as on the real server. The identity policies here count every group that
lists the entity as a member, external ones and their parents included.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from starlette.types import Message, Receive, Scope

from mockserver.backends.acl import (
    ACL,
    PARAMETER_CHECKED,
    AliasFacts,
    GroupFacts,
    IdentityContext,
    TemplateError,
    decide,
)
from mockserver.backends.policies import ROOT
from mockserver.backends.tokens import parse_ttl
from mockserver.errors import InvalidRequest, PermissionDenied, RequestError, multierror
from mockserver.wire.accesslog import redact_path
from mockserver.wire.validation import BodyTooLarge, read_body

if TYPE_CHECKING:
    from mockserver.backends import Store
    from mockserver.backends.tokens import Token

logger = logging.getLogger(__name__)

API_PREFIX = "/v1/"


class PolicyDenied(RequestError):
    """403: the token's policies do not allow the request (the real wording)."""

    status = 403

    def __init__(self) -> None:
        super().__init__(multierror(["permission denied"]))


class BrokenACL(RequestError):
    """400: no ACL can be built for the token (a template resolved to a value
    that no path may hold); the real server answers every request so."""

    status = 400

    def __init__(self) -> None:
        super().__init__("Forbidden")


# -- which capability a request needs ----------------------------------------------

Exists = Callable[["Store", re.Match[str]], bool]


def _mount_kind(store: Store, path: str) -> str | None:
    mount = store.mounts.mounts.get(path.strip("/") + "/")
    return mount.type if mount is not None else None


def _accessor(store: Store, path: str) -> str:
    mount = store.mounts.mounts.get(path.strip("/") + "/")
    return mount.accessor if mount is not None else ""


def _userpass_user(store: Store, match: re.Match[str]) -> bool:
    if _mount_kind(store, match["mount"]) != "userpass":
        return False
    users = store.userpass.users.get(_accessor(store, match["mount"]), {})
    return match["name"].lower() in users


def _approle_role(store: Store, match: re.Match[str]) -> bool:
    if _mount_kind(store, match["mount"]) != "approle":
        return False
    roles = store.approle.roles.get(_accessor(store, match["mount"]), {})
    return match["name"].lower() in roles


def _oidc_object(store: Store, match: re.Match[str]) -> bool:
    tables: dict[str, Mapping[str, object]] = {
        "key": store.oidc.keys,
        "role": store.oidc.roles,
        "provider": store.oidc_provider.providers,
        "client": store.oidc_provider.clients,
        "scope": store.oidc_provider.scopes,
        "assignment": store.oidc_provider.assignments,
    }
    return match["name"] in tables[match["kind"]]


EXISTENCE_CHECKS: tuple[tuple[re.Pattern[str], Exists], ...] = (
    (
        re.compile(
            r"^identity/oidc/(?P<kind>key|role|provider|client|scope|assignment)/(?P<name>[^/]+)$"
        ),
        _oidc_object,
    ),
    (
        re.compile(r"^auth/token/roles/(?P<name>[^/]+)$"),
        lambda store, match: match["name"] in store.tokens.roles,
    ),
    (re.compile(r"^auth/(?P<mount>.+)/users/(?P<name>[^/]+)$"), _userpass_user),
    (re.compile(r"^auth/(?P<mount>.+)/role/(?P<name>[^/]+)$"), _approle_role),
)
"""Paths whose ``POST`` is ``create`` while the item is missing, ``update`` after;
on every other path a ``POST`` is ``update``, as observed on the real server."""

SUDO_PATHS = (
    "sys/auth/",
    "sys/audit",
    "sys/raw",
    "sys/rotate",
    "sys/config/auditing/",
    "sys/plugins/catalog/",
    "sys/revoke-prefix/",
    "sys/revoke-force/",
    "sys/leases/revoke-prefix/",
    "sys/leases/revoke-force/",
    "sys/leases/lookup/",
    "auth/token/revoke-orphan",
    "auth/token/accessors",
)
"""Prefixes of the root paths that also need ``sudo`` (enabling and disabling
auth methods, among the operations the mock serves)."""


def needs_sudo(path: str) -> bool:
    """True when ``path`` is a root path of the real server."""
    return path.startswith(SUDO_PATHS)


def post_capability(store: Store, path: str) -> str:
    """``create`` or ``update``: what a ``POST`` to ``path`` needs right now."""
    for pattern, exists in EXISTENCE_CHECKS:
        match = pattern.match(path)
        if match is not None:
            return "update" if exists(store, match) else "create"
    return "update"


def capability_for(store: Store, method: str, path: str, listing: bool) -> str:
    """The capability a request needs (``method`` after LIST/PUT folding)."""
    if method == "GET":
        return "list" if listing else "read"
    if method == "POST":
        return post_capability(store, path)
    if method == "DELETE":
        return "delete"
    if method == "PATCH":
        return "patch"
    return "read"


# -- whose rules apply ----------------------------------------------------------------


class StoreIdentity:
    """Resolves template expressions for one entity straight from the store.

    Only what an expression asks for is looked up: the entity's id and name cost
    nothing; its aliases and groups are gathered the first time an expression
    needs them.
    """

    def __init__(self, store: Store, entity_id: str) -> None:
        self._store = store
        self._entity_id = entity_id
        self._context: IdentityContext | None = None

    def resolve(self, expression: str) -> str | None:
        """The value of one template expression, or None when it has none."""
        entity = self._store.entities.entities.get(self._entity_id)
        if entity is None:
            return None
        if expression == "identity.entity.id":
            return entity.id
        if expression == "identity.entity.name":
            return entity.name
        if self._context is None:
            self._context = identity_context(self._store, self._entity_id)
        return self._context.resolve(expression)


def identity_context(store: Store, entity_id: str) -> IdentityContext:
    """Everything templated paths may resolve against for ``entity_id``."""
    entity = store.entities.entities.get(entity_id)
    if entity is None:
        return IdentityContext()
    aliases = {
        alias.mount_accessor: AliasFacts(
            id=alias.id,
            name=alias.name,
            metadata=alias.metadata or {},
            custom_metadata=alias.custom_metadata or {},
        )
        for alias in store.entities.aliases_of(entity_id)
    }
    direct, inherited = store.groups.groups_of(entity_id)
    groups = tuple(
        GroupFacts(id=g.id, name=g.name, metadata=g.metadata or {})
        for g in (store.groups.groups[i] for i in (*direct, *inherited))
    )
    return IdentityContext(
        entity_id=entity.id,
        entity_name=entity.name,
        metadata=entity.metadata or {},
        aliases=aliases,
        groups=groups,
    )


def effective_policies(store: Store, token: Token) -> list[str]:
    """The token's own policies, then its entity's and its groups'."""
    names = list(token.policies)
    entity = store.auth.token_entity(token)
    if entity is not None:
        names.extend(entity.policies)
        names.extend(store.groups.identity_policies(entity.id))
    return names


def is_root(token: Token) -> bool:
    """True for a token holding the ``root`` policy."""
    return ROOT in token.policies


def entity_refused(store: Store, token: Token) -> bool:
    """True when the token's entity is disabled, or was deleted."""
    if not token.entity_id:
        return False
    entity = store.auth.token_entity(token)
    return entity is None or entity.disabled


def token_acl(store: Store, token: Token) -> ACL:
    """The ACL of a (non-root) token, built or taken from the policy cache.

    Raises :class:`BrokenACL` when a template resolves to a forbidden value.
    """
    names = effective_policies(store, token)
    entity = store.auth.token_entity(token)
    identity = StoreIdentity(store, entity.id) if entity is not None else None
    try:
        return store.policies.acl(names, identity)
    except TemplateError as exc:
        logger.warning("cannot build the ACL of a token: %s", exc)
        raise BrokenACL() from None


def capabilities_of(store: Store, token: Token, path: str) -> list[str]:
    """The capabilities ``token`` holds on ``path`` (``["root"]`` for root)."""
    if is_root(token):
        return ["root"]
    return token_acl(store, token).capabilities(path.removeprefix("/"))


# -- the step itself ----------------------------------------------------------------


@dataclass(slots=True)
class Verdict:
    """The outcome of :meth:`AccessControl.check`.

    ``error`` is the refusal to send (None: go on); ``receive`` is the receive
    callable to hand on (the body replayed if it had to be read).
    """

    error: RequestError | None
    receive: Receive


class AccessControl:
    """Decides whether the authenticated token may make the request."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def check(
        self, scope: Scope, receive: Receive, token: Token, *, takes_form: bool
    ) -> Verdict:
        """Check one request; ``scope`` has its method folded (LIST, PUT)."""
        store = self.store
        if is_root(token):
            return Verdict(None, receive)
        if entity_refused(store, token):
            logger.warning("permission denied: the token's entity is disabled or gone")
            return Verdict(PermissionDenied(), receive)
        try:
            acl = token_acl(store, token)
        except BrokenACL as exc:
            return Verdict(exc, receive)
        method = scope["method"]
        path = scope["path"][len(API_PREFIX) :]
        listing = method == "GET" and _query(scope).get("list") == ["true"]
        if listing and not path.endswith("/"):
            path += "/"
        capability = capability_for(store, method, path, listing)
        permissions = acl.rule_for(path, listing=listing)
        if permissions is None:
            return self._deny(method, path, capability, receive)
        wrap_ttl = _wrap_ttl(scope)
        parameters: Mapping[str, Any] = {}
        if permissions.constrains_parameters and capability == "read":
            parameters = {
                k: v[0] if len(v) == 1 else v for k, v in _query(scope).items()
            }
        elif permissions.constrains_parameters and capability in PARAMETER_CHECKED:
            try:
                body, receive = await _buffer(receive)
            except BodyTooLarge:
                return Verdict(
                    RequestError("http: request body too large", status=413), receive
                )
            parameters = _fields(body, scope, takes_form)
        if decide(
            permissions,
            capability,
            parameters=parameters,
            sudo=needs_sudo(path),
            wrap_ttl=wrap_ttl,
        ):
            return Verdict(None, receive)
        return self._deny(method, path, capability, receive)

    @staticmethod
    def _deny(method: str, path: str, capability: str, receive: Receive) -> Verdict:
        logger.warning(
            "%s /v1/%s: permission denied (the token lacks %s)",
            method,
            redact_path(path),
            capability,
        )
        return Verdict(PolicyDenied(), receive)


def _query(scope: Scope) -> dict[str, list[str]]:
    return parse_qs(scope.get("query_string", b"").decode("latin-1"))


def _wrap_ttl(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key.lower() == b"x-vault-wrap-ttl":
            try:
                return parse_ttl(value.decode("latin-1"), "wrap ttl")
            except InvalidRequest:
                return None
    return None


async def _buffer(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body, and a receive callable that hands it on again."""
    body = await read_body(receive)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


def _fields(body: bytes, scope: Scope, takes_form: bool) -> Mapping[str, Any]:
    # A body that does not decode grants no parameters; the handler answers
    # for the malformed body itself once the request is let through.
    if not body.strip():
        return {}
    if takes_form and _is_form(scope):
        return {
            k: v[0] if len(v) == 1 else v
            for k, v in parse_qs(body.decode("latin-1")).items()
        }
    try:
        decoded = json.loads(body)
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _is_form(scope: Scope) -> bool:
    for key, value in scope["headers"]:
        if key.lower() == b"content-type":
            return b"application/x-www-form-urlencoded" in value.lower()
    return False
