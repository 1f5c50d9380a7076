"""Handlers of the OIDC family: identity tokens (issuer, keys, roles, token,
introspect, discovery) and the OIDC provider (scopes, clients, assignments,
providers, and the authorization-code flow).

Identity tokens call :class:`~mockserver.backends.oidc.OIDCBackend`; the
provider calls :class:`~mockserver.backends.oidc_provider.ProviderBackend`.
The discovery documents and the provider's token and userinfo endpoints answer
without the envelope, as the real server does.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import unquote_plus

from connexion import request
from starlette.responses import Response

from mockserver.backends.oidc import ALGORITHMS, OIDCBackend
from mockserver.backends.oidc_provider import OAuthError, ProviderBackend
from mockserver.errors import InvalidRequest
from mockserver.handlers._envelope import bare, envelope, listing, no_content
from mockserver.wire.context import current

Body = dict[str, Any] | None

ISSUER_WARNING = (
    'If "issuer" is set explicitly, all tokens must be validated against that '
    "address, including those issued by secondary clusters. Setting issuer to "
    '"" will restore the default behavior of using the cluster\'s api_addr as '
    "the issuer."
)


def _backend() -> OIDCBackend:
    return current().store.oidc


def base_url() -> str:
    """``scheme://host[:port]`` of the request, as the client addressed it."""
    url = request.url
    host = request.headers.get("host") or url.netloc
    return f"{url.scheme}://{host}"


def _entity_id() -> str:
    token = current().token
    return token.entity_id if token is not None else ""


# -- issuer ---------------------------------------------------------------------


async def oidc_configure(body: Body = None) -> Response:
    """``POST /identity/oidc/config``: set or clear the issuer."""
    if _backend().oidc_configure((body or {}).get("issuer")):
        current().warnings.append(ISSUER_WARNING)
        return envelope(None)
    return no_content()


async def oidc_read_configuration() -> Response:
    """``GET /identity/oidc/config``."""
    return envelope(_backend().oidc_read_configuration())


# -- keys -----------------------------------------------------------------------


async def oidc_write_key(name: str, body: Body = None) -> Response:
    """``POST /identity/oidc/key/{name}``: create or update a named key."""
    body = body or {}
    _backend().oidc_write_key(
        name,
        algorithm=body.get("algorithm"),
        rotation_period=body.get("rotation_period"),
        verification_ttl=body.get("verification_ttl"),
        allowed_client_ids=body.get("allowed_client_ids"),
    )
    return no_content()


async def oidc_read_key(name: str) -> Response:
    """``GET /identity/oidc/key/{name}``."""
    return envelope(_backend().oidc_read_key(name).view())


async def oidc_list_keys() -> Response:
    """``LIST /identity/oidc/key``."""
    return listing(_backend().oidc_list_keys())


async def oidc_delete_key(name: str) -> Response:
    """``DELETE /identity/oidc/key/{name}``."""
    _backend().oidc_delete_key(name)
    return no_content()


async def oidc_rotate_key(name: str, body: Body = None) -> Response:
    """``POST /identity/oidc/key/{name}/rotate``."""
    _backend().oidc_rotate_key(name, (body or {}).get("verification_ttl"))
    return no_content()


# -- roles ----------------------------------------------------------------------


async def oidc_write_role(name: str, body: Body = None) -> Response:
    """``POST /identity/oidc/role/{name}``: create or update a role."""
    body = body or {}
    _backend().oidc_write_role(
        name,
        key=body.get("key"),
        template=body.get("template"),
        ttl=body.get("ttl"),
        client_id=body.get("client_id"),
    )
    return no_content()


async def oidc_read_role(name: str) -> Response:
    """``GET /identity/oidc/role/{name}``."""
    return envelope(_backend().oidc_read_role(name).view())


async def oidc_list_roles() -> Response:
    """``LIST /identity/oidc/role``."""
    return listing(_backend().oidc_list_roles())


async def oidc_delete_role(name: str) -> Response:
    """``DELETE /identity/oidc/role/{name}``."""
    _backend().oidc_delete_role(name)
    return no_content()


# -- tokens ---------------------------------------------------------------------


async def oidc_generate_token(name: str) -> Response:
    """``GET /identity/oidc/token/{name}``: an ID token for the caller's entity."""
    token, role = _backend().oidc_generate_token(name, _entity_id(), base_url())
    return envelope({"client_id": role.client_id, "token": token, "ttl": role.ttl})


async def oidc_introspect(body: Body = None) -> Response:
    """``POST /identity/oidc/introspect``: ``{"active": ...}`` without envelope."""
    body = body or {}
    return bare(_backend().oidc_introspect(body.get("token"), body.get("client_id")))


async def oidc_read_open_id_configuration() -> Response:
    """``GET /identity/oidc/.well-known/openid-configuration`` (no token)."""
    issuer = _backend().issuer_for(base_url())
    return bare(
        {
            "issuer": issuer,
            "jwks_uri": f"{issuer}/.well-known/keys",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": list(ALGORITHMS),
        }
    )


async def oidc_read_public_keys() -> Response:
    """``GET /identity/oidc/.well-known/keys`` (no token)."""
    return bare({"keys": _backend().public_keys()})


# -- provider: scopes, assignments, clients, providers ------------------------


def _provider() -> ProviderBackend:
    return current().store.oidc_provider


async def oidc_write_scope(name: str, body: Body = None) -> Response:
    """``POST /identity/oidc/scope/{name}``."""
    body = body or {}
    _provider().oidc_write_scope(
        name, template=body.get("template"), description=body.get("description")
    )
    return no_content()


async def oidc_read_scope(name: str) -> Response:
    """``GET /identity/oidc/scope/{name}``."""
    scope = _provider().oidc_read_scope(name)
    return envelope({"description": scope.description, "template": scope.template})


async def oidc_list_scopes() -> Response:
    """``LIST /identity/oidc/scope``."""
    return listing(_provider().oidc_list_scopes())


async def oidc_delete_scope(name: str) -> Response:
    """``DELETE /identity/oidc/scope/{name}``."""
    _provider().oidc_delete_scope(name)
    return no_content()


async def oidc_write_assignment(name: str, body: Body = None) -> Response:
    """``POST /identity/oidc/assignment/{name}``."""
    body = body or {}
    _provider().oidc_write_assignment(
        name, entity_ids=body.get("entity_ids"), group_ids=body.get("group_ids")
    )
    return no_content()


async def oidc_read_assignment(name: str) -> Response:
    """``GET /identity/oidc/assignment/{name}``."""
    assignment = _provider().oidc_read_assignment(name)
    return envelope(
        {"entity_ids": assignment.entity_ids, "group_ids": assignment.group_ids}
    )


async def oidc_list_assignments() -> Response:
    """``LIST /identity/oidc/assignment``."""
    return listing(_provider().oidc_list_assignments())


async def oidc_delete_assignment(name: str) -> Response:
    """``DELETE /identity/oidc/assignment/{name}``."""
    _provider().oidc_delete_assignment(name)
    return no_content()


async def oidc_write_client(name: str, body: Body = None) -> Response:
    """``POST /identity/oidc/client/{name}``."""
    body = body or {}
    _provider().oidc_write_client(
        name,
        redirect_uris=body.get("redirect_uris"),
        assignments=body.get("assignments"),
        key=body.get("key"),
        id_token_ttl=body.get("id_token_ttl"),
        access_token_ttl=body.get("access_token_ttl"),
        client_type=body.get("client_type"),
    )
    return no_content()


async def oidc_read_client(name: str) -> Response:
    """``GET /identity/oidc/client/{name}``."""
    return envelope(_provider().oidc_read_client(name).view())


async def oidc_list_clients() -> Response:
    """``LIST /identity/oidc/client``."""
    clients = _provider().oidc_list_clients()
    return listing(
        [c.name for c in clients], {c.name: c.view(secret=False) for c in clients}
    )


async def oidc_delete_client(name: str) -> Response:
    """``DELETE /identity/oidc/client/{name}``."""
    _provider().oidc_delete_client(name)
    return no_content()


async def oidc_write_provider(name: str, body: Body = None) -> Response:
    """``POST /identity/oidc/provider/{name}``."""
    body = body or {}
    _provider().oidc_write_provider(
        name,
        issuer=body.get("issuer"),
        allowed_client_ids=body.get("allowed_client_ids"),
        scopes_supported=body.get("scopes_supported"),
    )
    return no_content()


async def oidc_read_provider(name: str) -> Response:
    """``GET /identity/oidc/provider/{name}``."""
    backend = _provider()
    return envelope(backend.view(backend.oidc_read_provider(name), base_url()))


async def oidc_list_providers() -> Response:
    """``LIST /identity/oidc/provider``."""
    backend = _provider()
    providers = backend.oidc_list_providers()
    return listing(
        [p.name for p in providers],
        {p.name: backend.view(p, base_url()) for p in providers},
    )


async def oidc_delete_provider(name: str) -> Response:
    """``DELETE /identity/oidc/provider/{name}``."""
    _provider().oidc_delete_provider(name)
    return no_content()


async def oidc_read_provider_open_id_configuration(name: str) -> Response:
    """``GET /identity/oidc/provider/{name}/.well-known/openid-configuration``."""
    backend = _provider()
    provider = backend.oidc_read_provider(name)
    issuer = backend.issuer(provider, base_url())
    ui = issuer.replace("/v1/identity/oidc/", "/ui/vault/identity/oidc/", 1)
    return bare(
        {
            "issuer": issuer,
            "jwks_uri": f"{issuer}/.well-known/keys",
            "authorization_endpoint": f"{ui}/authorize",
            "token_endpoint": f"{issuer}/token",
            "userinfo_endpoint": f"{issuer}/userinfo",
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
            "id_token_signing_alg_values_supported": list(ALGORITHMS),
            "response_types_supported": ["code"],
            "scopes_supported": [*provider.scopes_supported, "openid"],
            "claims_supported": [],
            "subject_types_supported": ["public"],
            "grant_types_supported": ["authorization_code"],
            "token_endpoint_auth_methods_supported": [
                "none",
                "client_secret_basic",
                "client_secret_post",
            ],
        }
    )


async def oidc_read_provider_public_keys(name: str) -> Response:
    """``GET /identity/oidc/provider/{name}/.well-known/keys``."""
    return bare({"keys": _provider().public_keys(name)})


# -- provider: the authorization-code flow ------------------------------------


def _oauth(error: OAuthError) -> Response:
    return bare(error.body(), status=error.status)


def _authorize(name: str, params: dict[str, Any]) -> Response:
    try:
        return bare(_provider().authorize(name, _entity_id(), params))
    except OAuthError as error:
        return _oauth(error)


async def oidc_provider_authorize(name: str, **_: Any) -> Response:
    """``GET /identity/oidc/provider/{name}/authorize``."""
    return _authorize(name, dict(request.query_params))


async def oidc_provider_authorize_with_parameters(
    name: str, body: Body = None
) -> Response:
    """``POST /identity/oidc/provider/{name}/authorize``."""
    return _authorize(name, body or {})


def _basic_credentials() -> tuple[str, str] | None:
    scheme, _, value = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip()).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, _, password = decoded.partition(":")
    return unquote_plus(user), unquote_plus(password)


def _undecoded(body: bytes | str) -> dict[str, Any]:
    # A body sent with no content type reaches this form operation as it came
    # (the body validators run for a declared type only); the real server reads
    # such a body as JSON.
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if not text.strip():
        return {}
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        raise InvalidRequest(f"failed to decode JSON input: {exc}") from None
    if not isinstance(parsed, dict):
        raise InvalidRequest(
            "failed to decode JSON input: json: cannot unmarshal "
            f"{type(parsed).__name__} into Go value of type map[string]interface {{}}"
        )
    return {k: v for k, v in parsed.items() if v is not None}


async def oidc_provider_token(
    name: str, body: Body | bytes | str = None, **form: Any
) -> Response:
    """``POST /identity/oidc/provider/{name}/token``: form or JSON body."""
    if isinstance(body, (bytes, str)):
        body = _undecoded(body)
    params = {**form, **(body or {})}
    try:
        answer = _provider().token(name, params, _basic_credentials(), base_url())
    except OAuthError as error:
        return _oauth(error)
    return bare(answer)


def _userinfo(name: str) -> Response:
    scheme, _, value = (request.headers.get("authorization") or "").partition(" ")
    presented = value.strip() if scheme.lower() == "bearer" else None
    try:
        return bare(_provider().userinfo(name, presented))
    except OAuthError as error:
        return _oauth(error)


async def oidc_provider_user_info(name: str) -> Response:
    """``GET /identity/oidc/provider/{name}/userinfo``."""
    return _userinfo(name)


async def oidc_provider_user_info2(name: str, body: Body = None) -> Response:
    """``POST /identity/oidc/provider/{name}/userinfo``."""
    return _userinfo(name)
