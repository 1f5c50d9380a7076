"""The OIDC provider: scopes, clients, assignments, providers, and the
authorization-code flow (with PKCE) that issues ID tokens and access tokens.

Keys, templates and signing come from :class:`~mockserver.backends.oidc.OIDCBackend`.
As on the real server:

* the ``allow_all`` assignment and the ``default`` provider always exist;
* a client gets a generated ``client_id`` and, when confidential, a secret
  starting ``hvo_secret_``;
* a code is used once, for five minutes, by the client and redirect URI it was
  issued for; PKCE ``plain`` and ``S256`` are checked;
* the access token is good for ``userinfo`` only (no other endpoint takes it),
  which answers the claims the granted scopes' templates give;
* a request with ``max_age`` gets an ``auth_time`` claim in its ID token.

Errors of the flow are OAuth 2.0 errors (:class:`OAuthError`), not Vault errors.
Not modelled: ``max_age`` re-authentication (a positive ``max_age`` is accepted
and ignored), the ``client_credentials`` grant.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from mockserver.backends._base import load_record, load_records
from mockserver.backends.entities import EntityBackend
from mockserver.backends.oidc import (
    DAY,
    OIDCBackend,
    check_issuer,
    check_template,
    duration,
    sign,
)
from mockserver.backends.tokens import TokenBackend, same_secret
from mockserver.errors import InvalidRequest, NotFound

CODE_TTL = 300
MIN_CHALLENGE = 43
MAX_CHALLENGE = 128
"""Lengths a PKCE ``code_challenge`` may have (RFC 7636 section 4.2)."""
SCOPE_OPENID = "openid"


class OAuthError(Exception):
    """An OAuth 2.0 error answer: ``{"error": ..., "error_description": ...}``."""

    def __init__(
        self, error: str, description: str, status: int = 400, state: str | None = None
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.state = state
        """Echoed by ``authorize`` errors, absent from ``token`` errors."""

    def body(self) -> dict[str, str]:
        """The JSON body of the answer."""
        body = {"error": self.error, "error_description": self.description}
        if self.state is not None:
            body["state"] = self.state
        return body


@dataclass(slots=True)
class Scope:
    """A named scope whose template gives claims."""

    name: str
    template: str = ""
    description: str = ""


@dataclass(slots=True)
class Assignment:
    """Which entities and groups may use a client."""

    name: str
    entity_ids: list[str] = field(default_factory=list)
    group_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Client:
    """A relying party of the provider."""

    name: str
    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)
    assignments: list[str] = field(default_factory=list)
    key: str = "default"
    id_token_ttl: int = DAY
    access_token_ttl: int = DAY
    client_type: str = "confidential"

    def view(self, *, secret: bool = True) -> dict[str, Any]:
        """The client as read (``secret``) and list (no secret) show it."""
        shown: dict[str, Any] = {
            "access_token_ttl": self.access_token_ttl,
            "assignments": list(self.assignments),
            "authorization_code": True,
            "client_credentials": False,
            "client_id": self.client_id,
            "client_type": self.client_type,
            "id_token_ttl": self.id_token_ttl,
            "key": self.key,
            "redirect_uris": list(self.redirect_uris),
        }
        if secret and self.client_type == "confidential":
            shown["client_secret"] = self.client_secret
        return shown


@dataclass(slots=True)
class Provider:
    """An OIDC provider: its issuer, scopes and allowed clients."""

    name: str
    issuer: str = ""
    allowed_client_ids: list[str] = field(default_factory=list)
    scopes_supported: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Grant:
    """An authorization code waiting to be exchanged."""

    code: str
    provider: str
    client_id: str
    entity_id: str
    redirect_uri: str
    scopes: list[str]
    nonce: str
    code_challenge: str
    code_challenge_method: str
    auth_time: int
    expires_at: float
    max_age: int | None = None


@dataclass(slots=True)
class AccessGrant:
    """What an issued access token may read from ``userinfo``."""

    provider: str
    client_id: str
    entity_id: str
    scopes: list[str]
    expires_at: float = 0.0


def _half_hash(value: str) -> str:
    digest = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).decode().rstrip("=")


def _max_age(value: object) -> int | None:
    # The real server decodes max_age as a field before the flow's checks, so a
    # value that is not an integer is a Vault error, not an OAuth one.
    if value is None:
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.lstrip("-").isdigit() or not text:
        return int(text or 0)
    raise InvalidRequest(
        'Field validation failed: error converting input for field "max_age": '
        "'' cannot parse value as 'int': strconv.ParseInt: invalid syntax"
    )


def s256(verifier: str) -> str:
    """The PKCE ``S256`` challenge of ``verifier``."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class ProviderBackend:
    """State of the OIDC provider family. Method names follow the operationIds."""

    def __init__(
        self, oidc: OIDCBackend, entities: EntityBackend, tokens: TokenBackend
    ) -> None:
        # ``tokens`` goes unused: the flow's access tokens are not Vault tokens
        # (see :meth:`token`); the parameter stays for the store's wiring.
        del tokens
        self._oidc = oidc
        self._entities = entities
        self._random = oidc._random
        self.groups_of: Callable[[str], list[str]] = self._groups
        oidc.key_users = self._clients_of_key
        self.scopes: dict[str, Scope] = {}
        self.assignments: dict[str, Assignment] = {}
        self.clients: dict[str, Client] = {}
        self.providers: dict[str, Provider] = {}
        self.grants: dict[str, Grant] = {}
        self.access: dict[str, AccessGrant] = {}
        self.reset()

    # -- state contract -------------------------------------------------------

    def reset(self) -> None:
        """Back to ``allow_all`` and the ``default`` provider only."""
        self.scopes = {}
        self.assignments = {
            "allow_all": Assignment("allow_all", entity_ids=["*"], group_ids=["*"])
        }
        self.clients = {}
        self.providers = {"default": Provider("default", allowed_client_ids=["*"])}
        self.grants = {}
        self.access = {}

    def snapshot(self) -> dict[str, Any]:
        """Every provider object, pending code and access grant as plain data."""
        return {
            "scopes": [asdict(s) for s in self.scopes.values()],
            "assignments": [asdict(a) for a in self.assignments.values()],
            "clients": [asdict(c) for c in self.clients.values()],
            "providers": [asdict(p) for p in self.providers.values()],
            "grants": [asdict(g) for g in self.grants.values()],
            "access": {k: asdict(v) for k, v in self.access.items()},
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the state with a snapshot's."""
        where = "oidc_provider: {} {{}}"
        self.scopes = {
            s.name: s
            for s in load_records(Scope, data, "scopes", where.format("scope"))
        }
        self.assignments = {
            a.name: a
            for a in load_records(
                Assignment, data, "assignments", where.format("assignment")
            )
        }
        self.clients = {
            c.name: c
            for c in load_records(Client, data, "clients", where.format("client"))
        }
        self.providers = {
            p.name: p
            for p in load_records(Provider, data, "providers", where.format("provider"))
        }
        self.grants = {
            g.code: g
            for g in load_records(Grant, data, "grants", where.format("grant"))
        }
        access = data["access"]
        if type(access) is not dict:
            raise ValueError(
                f"oidc_provider: 'access' must be an object, not "
                f"{type(access).__name__}"
            )
        self.access = {
            str(k): load_record(AccessGrant, v, f"oidc_provider: access {k!r}")
            for k, v in access.items()
        }

    def check(self) -> None:
        """Nothing holds across these records beyond their shapes."""

    # -- scopes ---------------------------------------------------------------

    def oidc_write_scope(
        self, name: str, *, template: str | None = None, description: str | None = None
    ) -> Scope:
        """Create or update a scope; ``openid`` is reserved."""
        if name == SCOPE_OPENID:
            raise InvalidRequest('the "openid" scope name is reserved')
        scope = self.scopes.get(name) or Scope(name)
        if template is not None:
            check_template(template)
            scope.template = template
        if description is not None:
            scope.description = description
        self.scopes[name] = scope
        return scope

    def oidc_read_scope(self, name: str) -> Scope:
        """The scope ``name``, or :class:`NotFound`."""
        if name not in self.scopes:
            raise NotFound()
        return self.scopes[name]

    def oidc_list_scopes(self) -> list[str]:
        """Scope names; none is :class:`NotFound`."""
        if not self.scopes:
            raise NotFound()
        return sorted(self.scopes)

    def oidc_delete_scope(self, name: str) -> None:
        """Delete a scope no provider supports."""
        users = sorted(
            p.name for p in self.providers.values() if name in p.scopes_supported
        )
        if users:
            raise InvalidRequest(
                f'unable to delete scope "{name}" because it is currently '
                f"referenced by these providers: {', '.join(users)}"
            )
        self.scopes.pop(name, None)

    # -- assignments ----------------------------------------------------------

    def oidc_write_assignment(
        self,
        name: str,
        *,
        entity_ids: list[str] | None = None,
        group_ids: list[str] | None = None,
    ) -> Assignment:
        """Create or update an assignment; ``allow_all`` cannot change."""
        if name == "allow_all":
            raise InvalidRequest('modification of assignment "allow_all" not allowed')
        assignment = self.assignments.get(name) or Assignment(name)
        if entity_ids is not None:
            assignment.entity_ids = list(entity_ids)
        if group_ids is not None:
            assignment.group_ids = list(group_ids)
        self.assignments[name] = assignment
        return assignment

    def oidc_read_assignment(self, name: str) -> Assignment:
        """The assignment ``name``, or :class:`NotFound`."""
        if name not in self.assignments:
            raise NotFound()
        return self.assignments[name]

    def oidc_list_assignments(self) -> list[str]:
        """Assignment names (``allow_all`` included)."""
        return sorted(self.assignments)

    def oidc_delete_assignment(self, name: str) -> None:
        """Delete an assignment no client uses; ``allow_all`` stays."""
        if name == "allow_all":
            raise InvalidRequest('deletion of assignment "allow_all" not allowed')
        users = sorted(c.name for c in self.clients.values() if name in c.assignments)
        if users:
            raise InvalidRequest(
                f'unable to delete assignment "{name}" because it is currently '
                f"referenced by these clients: {', '.join(users)}"
            )
        self.assignments.pop(name, None)

    # -- clients --------------------------------------------------------------

    def oidc_write_client(
        self,
        name: str,
        *,
        redirect_uris: list[str] | None = None,
        assignments: list[str] | None = None,
        key: str | None = None,
        id_token_ttl: int | str | None = None,
        access_token_ttl: int | str | None = None,
        client_type: str | None = None,
    ) -> Client:
        """Create or update a client, checking its key and assignments."""
        existing = self.clients.get(name)
        kind = client_type or (existing.client_type if existing else "confidential")
        if kind not in ("confidential", "public"):
            raise InvalidRequest("invalid client_type")
        if existing and client_type and client_type != existing.client_type:
            raise InvalidRequest("client_type cannot be changed")
        key_name = key or (existing.key if existing else "default")
        named = self._oidc.keys.get(key_name)
        if named is None:
            raise InvalidRequest(f'key "{key_name}" does not exist')
        chosen = list(assignments) if assignments is not None else None
        for assignment in chosen or []:
            if assignment not in self.assignments:
                raise InvalidRequest(f'assignment "{assignment}" does not exist')
        id_ttl = duration(
            id_token_ttl, existing.id_token_ttl if existing else DAY, "id_token_ttl"
        )
        if id_ttl > named.verification_ttl:
            raise InvalidRequest(
                "a client's id_token_ttl cannot be greater than the "
                "verification_ttl of the key it references"
            )
        client = existing or Client(
            name=name,
            client_id=self._alnum(32),
            client_secret="hvo_secret_" + self._alnum(64)
            if kind == "confidential"
            else "",
            client_type=kind,
        )
        client.key = key_name
        client.id_token_ttl = id_ttl
        client.access_token_ttl = duration(
            access_token_ttl, client.access_token_ttl, "access_token_ttl"
        )
        if redirect_uris is not None:
            client.redirect_uris = list(redirect_uris)
        if chosen is not None:
            client.assignments = chosen
        self.clients[name] = client
        self._oidc.ensure_pairs(named)
        return client

    def oidc_read_client(self, name: str) -> Client:
        """The client ``name``, or :class:`NotFound`."""
        if name not in self.clients:
            raise NotFound()
        return self.clients[name]

    def oidc_list_clients(self) -> list[Client]:
        """Every client by name; none is :class:`NotFound`."""
        if not self.clients:
            raise NotFound()
        return [self.clients[k] for k in sorted(self.clients)]

    def oidc_delete_client(self, name: str) -> None:
        """Delete a client; a missing one is not an error."""
        self.clients.pop(name, None)

    def _groups(self, entity_id: str) -> list[str]:
        direct, inherited = self._entities.groups_of(entity_id)
        return list(dict.fromkeys(direct + inherited))

    def _clients_of_key(self, key: str) -> list[str]:
        return sorted(c.name for c in self.clients.values() if c.key == key)

    def _alnum(self, length: int) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        return "".join(
            alphabet[int(self._random.hex(2), 16) % 62] for _ in range(length)
        )

    def client_by_id(self, client_id: str) -> Client | None:
        """The client with this ``client_id``, or None."""
        return next(
            (c for c in self.clients.values() if c.client_id == client_id), None
        )

    # -- providers ------------------------------------------------------------

    def oidc_write_provider(
        self,
        name: str,
        *,
        issuer: str | None = None,
        allowed_client_ids: list[str] | None = None,
        scopes_supported: list[str] | None = None,
    ) -> Provider:
        """Create or update a provider, checking its scopes and issuer."""
        provider = self.providers.get(name) or Provider(name)
        if issuer is not None:
            provider.issuer = check_issuer(issuer)
        if scopes_supported is not None:
            for scope in scopes_supported:
                if scope not in self.scopes:
                    raise InvalidRequest(f'scope "{scope}" does not exist')
            provider.scopes_supported = list(scopes_supported)
        if allowed_client_ids is not None:
            provider.allowed_client_ids = list(allowed_client_ids)
        self.providers[name] = provider
        return provider

    def oidc_read_provider(self, name: str) -> Provider:
        """The provider ``name``, or :class:`NotFound`."""
        if name not in self.providers:
            raise NotFound()
        return self.providers[name]

    def oidc_list_providers(self) -> list[Provider]:
        """Every provider by name (``default`` included)."""
        return [self.providers[k] for k in sorted(self.providers)]

    def oidc_delete_provider(self, name: str) -> None:
        """Delete a provider; ``default`` stays."""
        if name == "default":
            raise InvalidRequest('deletion of the "default" provider is not allowed')
        self.providers.pop(name, None)

    def issuer(self, provider: Provider, base_url: str) -> str:
        """The provider's issuer URL."""
        base = provider.issuer or self._oidc.issuer or base_url.rstrip("/")
        return f"{base}/v1/identity/oidc/provider/{provider.name}"

    def view(self, provider: Provider, base_url: str) -> dict[str, Any]:
        """The provider as read and list show it."""
        return {
            "allowed_client_ids": list(provider.allowed_client_ids),
            "issuer": self.issuer(provider, base_url),
            "scopes_supported": list(provider.scopes_supported),
        }

    def _allows(self, provider: Provider, client_id: str) -> bool:
        allowed = provider.allowed_client_ids
        return "*" in allowed or client_id in allowed

    def public_keys(self, name: str) -> list[dict[str, Any]]:
        """The keys of the clients the provider allows."""
        provider = self.oidc_read_provider(name)
        keys = sorted(
            {
                c.key
                for c in self.clients.values()
                if self._allows(provider, c.client_id)
            }
        )
        return self._oidc.public_keys(keys) if keys else []

    # -- the authorization-code flow --------------------------------------------

    def _entitled(self, client: Client, entity_id: str) -> bool:
        groups = set(self.groups_of(entity_id))
        for name in client.assignments:
            assignment = self.assignments.get(name)
            if assignment is None:
                continue
            if "*" in assignment.entity_ids or entity_id in assignment.entity_ids:
                return True
            if "*" in assignment.group_ids or groups & set(assignment.group_ids):
                return True
        return False

    def authorize(
        self, name: str, entity_id: str, params: dict[str, Any]
    ) -> dict[str, str]:
        """A code for the entity: ``{"code", "state"}``, or :class:`OAuthError`.

        The checks run in the real server's order, so a request with several
        faults is refused for the same one: client, redirect URI, provider,
        scope, response type, entity, assignment, PKCE, ``max_age``.
        """
        max_age = _max_age(params.get("max_age"))
        state = str(params.get("state") or "")

        def fail(error: str, description: str) -> OAuthError:
            return OAuthError(error, description, state=state)

        client_id = str(params.get("client_id") or "")
        if not client_id:
            raise fail("invalid_client_id", "client_id parameter is required")
        client = self.client_by_id(client_id)
        if client is None:
            raise fail("invalid_client_id", "client with client_id not found")
        redirect_uri = str(params.get("redirect_uri") or "")
        if not redirect_uri:
            raise fail("invalid_request", "redirect_uri parameter is required")
        if redirect_uri not in client.redirect_uris:
            raise fail(
                "invalid_redirect_uri", "redirect_uri is not allowed for the client"
            )
        provider = self.providers.get(name)
        if provider is None:
            raise fail("invalid_request", "provider not found")
        if not self._allows(provider, client_id):
            raise fail(
                "unauthorized_client", "client is not authorized to use the provider"
            )
        scopes = str(params.get("scope") or "").split()
        if SCOPE_OPENID not in scopes:
            raise fail(
                "invalid_request", 'scope parameter must contain the "openid" value'
            )
        response_type = str(params.get("response_type") or "")
        if not response_type:
            raise fail("invalid_request", "response_type parameter is required")
        if response_type != "code":
            raise fail("unsupported_response_type", "unsupported response_type value")
        if not entity_id or entity_id not in self._entities.entities:
            raise fail(
                "access_denied", "identity entity must be associated with the request"
            )
        if not self._entitled(client, entity_id):
            raise fail(
                "access_denied", "identity entity not authorized by client assignment"
            )
        challenge = str(params.get("code_challenge") or "")
        method = str(params.get("code_challenge_method") or "plain")
        if not challenge and client.client_type == "public":
            raise fail("invalid_request", "PKCE is required for public clients")
        if challenge:
            if method not in ("plain", "S256"):
                raise fail("invalid_request", "invalid code_challenge_method")
            if not MIN_CHALLENGE <= len(challenge) <= MAX_CHALLENGE:
                raise fail("invalid_request", "invalid code_challenge")
        if max_age is not None and max_age <= 0:
            raise fail("invalid_request", "max_age must be greater than zero")
        code = self._alnum(32)
        self.grants[code] = Grant(
            code=code,
            provider=name,
            client_id=client_id,
            entity_id=entity_id,
            redirect_uri=redirect_uri,
            scopes=[s for s in scopes if s in provider.scopes_supported],
            nonce=str(params.get("nonce") or ""),
            code_challenge=challenge,
            code_challenge_method=method if challenge else "",
            auth_time=int(self._oidc.clock()),
            expires_at=self._oidc.clock() + CODE_TTL,
            max_age=max_age,
        )
        return {"code": code, "state": state}

    def token(
        self,
        name: str,
        params: dict[str, Any],
        basic: tuple[str, str] | None,
        base_url: str,
    ) -> dict[str, Any]:
        """Exchange a code: ``{access_token, id_token, token_type, expires_in}``.

        As on the real server, a code is spent once it is looked up: a request
        that names a known code but fails a later check (redirect URI, PKCE)
        leaves nothing to retry with.
        """
        provider = self.providers.get(name)
        if provider is None:
            raise OAuthError("invalid_request", "provider not found")
        client_id, secret = basic or (
            str(params.get("client_id") or ""),
            str(params.get("client_secret") or ""),
        )
        if not client_id:
            raise OAuthError("invalid_request", "client_id parameter is required")
        client = self.client_by_id(client_id)
        authenticated = client is not None and (
            client.client_type == "public" or same_secret(client.client_secret, secret)
        )
        if client is None or not authenticated:
            raise OAuthError("invalid_client", "client failed to authenticate", 401)
        if not self._allows(provider, client_id):
            raise OAuthError(
                "invalid_client", "client is not authorized to use the provider", 401
            )
        if params.get("grant_type") != "authorization_code":
            raise OAuthError(
                "unsupported_grant_type",
                "unsupported grant_type or parameter is empty value",
            )
        code = str(params.get("code") or "")
        if not code:
            raise OAuthError("invalid_request", "code parameter is required")
        grant = self.grants.pop(code, None)
        now = self._oidc.clock()
        if (
            grant is None
            or grant.expires_at < now
            or grant.client_id != client_id
            or grant.provider != name
        ):
            raise OAuthError(
                "invalid_grant", "authorization grant is invalid or expired"
            )
        redirect_uri = str(params.get("redirect_uri") or "")
        if not redirect_uri:
            raise OAuthError("invalid_request", "redirect_uri parameter is required")
        if redirect_uri != grant.redirect_uri:
            raise OAuthError(
                "invalid_grant",
                "redirect_uri does not match the redirect_uri used in the "
                "authorization request",
            )
        verifier = str(params.get("code_verifier") or "")
        if grant.code_challenge:
            if not verifier:
                raise OAuthError(
                    "invalid_request", "expected code_verifier for token exchange"
                )
            computed = (
                s256(verifier) if grant.code_challenge_method == "S256" else verifier
            )
            if not same_secret(computed, grant.code_challenge):
                raise OAuthError(
                    "invalid_grant", "invalid code_verifier for token exchange"
                )
        elif verifier:
            raise OAuthError(
                "invalid_request", "unexpected code_verifier for token exchange"
            )
        key = self._oidc.keys[client.key]
        self._oidc.ensure_pairs(key)
        assert key.current is not None
        # The access token is good for userinfo only: it is not a Vault token,
        # and the real server refuses it on every other endpoint.
        access_token = "b." + self._random.hex(64)
        self.access = {t: a for t, a in self.access.items() if a.expires_at > now}
        self.access[access_token] = AccessGrant(
            name,
            client_id,
            grant.entity_id,
            list(grant.scopes),
            expires_at=now + client.access_token_ttl,
        )
        issued = int(now)
        claims = self.scope_claims(grant.scopes, grant.entity_id, issued)
        claims.update(
            {
                "at_hash": _half_hash(access_token),
                "aud": client_id,
                "c_hash": _half_hash(code),
                "exp": issued + client.id_token_ttl,
                "iat": issued,
                "iss": self.issuer(provider, base_url),
                "namespace": "root",
                "sub": grant.entity_id,
            }
        )
        if grant.nonce:
            claims["nonce"] = grant.nonce
        if grant.max_age is not None:
            # OIDC Core 3.1.2.1: a request with max_age gets the auth_time claim.
            claims["auth_time"] = grant.auth_time
        return {
            "access_token": access_token,
            "expires_in": client.access_token_ttl,
            "id_token": sign(claims, key.current),
            "token_type": "Bearer",
        }

    def userinfo(self, name: str, access_token: str | None) -> dict[str, Any]:
        """The claims the access token's scopes grant, with ``sub``."""
        grant = self.access.get(access_token or "")
        if (
            grant is None
            or grant.provider != name
            or (grant.expires_at and grant.expires_at <= self._oidc.clock())
        ):
            raise OAuthError("invalid_token", "permission denied", 401)
        if grant.entity_id not in self._entities.entities:
            raise OAuthError("invalid_token", "identity entity not found", 401)
        claims = self.scope_claims(
            grant.scopes, grant.entity_id, int(self._oidc.clock())
        )
        claims["sub"] = grant.entity_id
        return claims

    def scope_claims(
        self, scopes: list[str], entity_id: str, now: int
    ) -> dict[str, Any]:
        """The merged claims of ``scopes``' templates for ``entity_id``."""
        claims: dict[str, Any] = {}
        for name in scopes:
            scope = self.scopes.get(name)
            if scope is not None and scope.template:
                claims.update(
                    self._oidc.template_claims(scope.template, entity_id, now)
                )
        return claims
