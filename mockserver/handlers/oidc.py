"""Handlers of the OIDC family: identity tokens (issuer, keys, roles, token,
introspect, discovery) and the OIDC provider (scopes, clients, assignments,
providers, and the authorization-code flow).

Identity tokens call :class:`~mockserver.backends.oidc.OIDCBackend`; the
provider calls :class:`~mockserver.backends.oidc_provider.ProviderBackend`.
The discovery documents and the provider's token and userinfo endpoints answer
without the envelope, as the real server does.
"""

from __future__ import annotations

from typing import Any

from connexion import request
from starlette.responses import Response

from mockserver.backends.oidc import ALGORITHMS, OIDCBackend
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
