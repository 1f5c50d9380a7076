"""Handlers of the auth surface: tokens and token roles, userpass, approle, jwt,
and named policies (``sys/policy``, ``sys/policies/acl``).

Userpass, approle and jwt operations take the mount's path from the URL
(``/auth/{mount_path}/...``), so a method enabled at another path works too; a
path that holds another kind of method answers as the real server does.

Approle and jwt share path templates: ``POST /auth/{mount_path}/login`` and
``/auth/{mount_path}/role[/{role_name}]``. The document has one operation per
(path, method), so those keep their approle operationIds and each handler serves
the method enabled at the mount in the URL: a ``jwt`` (or ``oidc``) mount is
answered by the ``_jwt_*`` functions below, any other by approle's. The jwt-only
paths (``/auth/{mount_path}/config``) have operations of their own.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from mockserver.backends.auth import JWT_TYPES, AuthBackend
from mockserver.backends.mounts import Mount
from mockserver.backends.policies import Policy
from mockserver.backends.tokens import Token, parse_ttl
from mockserver.errors import NotFound, PermissionDenied, RequestError
from mockserver.handlers._envelope import JSON, envelope, listing, no_content
from mockserver.wire.context import current

Body = dict[str, Any] | None


def _auth() -> AuthBackend:
    return current().store.auth


def _caller() -> Token:
    token = current().token
    if token is None:
        raise PermissionDenied()
    return token


def _authenticated(token: Token) -> Response:
    """An answer that carries a new token in ``auth``, as logins and creates do."""
    context = current()
    body = {
        "request_id": context.request_id,
        "lease_id": "",
        "renewable": False,
        "lease_duration": 0,
        "data": None,
        "wrap_info": None,
        "warnings": context.warnings or None,
        "auth": _auth().auth_view(token),
    }
    return Response(content=json.dumps(body).encode(), media_type=JSON)


def _mount(kind: str, mount_path: str, route: str) -> Mount:
    try:
        return _auth().mount(kind, mount_path)
    except PermissionDenied:
        raise RequestError(
            f'no handler for route "{route}". route entry not found.', status=404
        ) from None


# -- tokens ---------------------------------------------------------------------


async def auth_token_create(body: Body = None) -> Response:
    """``POST /auth/token/create``."""
    return _create(body or {})


async def auth_token_create_orphan(body: Body = None) -> Response:
    """``POST /auth/token/create-orphan``."""
    return _create(body or {}, orphan=True)


async def auth_token_create_against_role(role_name: str, body: Body = None) -> Response:
    """``POST /auth/token/create/{role_name}``."""
    return _create(body or {}, role_name=role_name)


def _create(
    body: dict[str, Any], *, role_name: str | None = None, orphan: bool = False
) -> Response:
    token, warnings = _auth().token_create(
        _caller(), body, role_name=role_name, orphan=orphan
    )
    current().warnings.extend(warnings)
    return _authenticated(token)


async def auth_token_lookup(body: Body = None) -> Response:
    """``POST /auth/token/lookup``: another token, or the caller's when empty."""
    auth = _auth()
    return envelope(
        auth.token_view(auth.token_lookup(_caller(), (body or {}).get("token")))
    )


async def auth_token_lookup_self() -> Response:
    """``GET /auth/token/lookup-self``."""
    return envelope(_auth().token_view(_caller()))


async def auth_token_revoke(body: Body = None) -> Response:
    """``POST /auth/token/revoke``: the token and the tokens it created."""
    _auth().token_revoke((body or {}).get("token"))
    return no_content()


async def auth_token_revoke_self() -> Response:
    """``POST /auth/token/revoke-self``."""
    _auth().token_revoke(_caller().id)
    return no_content()


_ROLE_LEGACY = {
    "explicit_max_ttl": "token_explicit_max_ttl",
    "period": "token_period",
}
_ROLE_FIELDS = (
    "explicit_max_ttl",
    "period",
    "allowed_policies",
    "disallowed_policies",
    "allowed_entity_aliases",
    "orphan",
    "renewable",
    "path_suffix",
    "token_explicit_max_ttl",
    "token_no_default_policy",
    "token_period",
    "token_type",
)


async def auth_token_role_write(role_name: str, body: Body = None) -> Response:
    """``POST /auth/token/roles/{role_name}``."""
    body = dict(body or {})
    for old, new in _ROLE_LEGACY.items():
        if old in body and new not in body:
            body[new] = body[old]
    fields = {k: body[k] for k in _ROLE_FIELDS if k in body}
    current().store.tokens.role_write(role_name, fields)
    return no_content()


async def auth_token_role_read(role_name: str) -> Response:
    """``GET /auth/token/roles/{role_name}``."""
    role = current().store.tokens.roles.get(role_name)
    if role is None:
        raise NotFound()
    return envelope(role.view())


async def auth_token_role_delete(role_name: str) -> Response:
    """``DELETE /auth/token/roles/{role_name}``."""
    current().store.tokens.role_delete(role_name)
    return no_content()


async def auth_token_role_list() -> Response:
    """``LIST /auth/token/roles``."""
    names = current().store.tokens.role_list()
    if not names:
        raise NotFound()
    return listing(names)


# -- userpass -------------------------------------------------------------------


async def auth_userpass_user_write(
    mount_path: str, username: str, body: Body = None
) -> Response:
    """``POST /auth/{mount_path}/users/{username}``."""
    mount = _mount("userpass", mount_path, f"auth/{mount_path}/users/{username}")
    _auth().userpass.user_write(mount.accessor, username, body or {})
    return no_content()


async def auth_userpass_user_read(mount_path: str, username: str) -> Response:
    """``GET /auth/{mount_path}/users/{username}``."""
    mount = _mount("userpass", mount_path, f"auth/{mount_path}/users/{username}")
    userpass = _auth().userpass
    return envelope(userpass.user_view(userpass.user_read(mount.accessor, username)))


async def auth_userpass_user_delete(mount_path: str, username: str) -> Response:
    """``DELETE /auth/{mount_path}/users/{username}``."""
    mount = _mount("userpass", mount_path, f"auth/{mount_path}/users/{username}")
    _auth().userpass.user_delete(mount.accessor, username)
    return no_content()


async def auth_userpass_user_list(mount_path: str) -> Response:
    """``LIST /auth/{mount_path}/users``."""
    mount = _mount("userpass", mount_path, f"auth/{mount_path}/users")
    return listing(_auth().userpass.user_list(mount.accessor))


async def auth_userpass_password_reset(
    mount_path: str, username: str, body: Body = None
) -> Response:
    """``POST /auth/{mount_path}/users/{username}/password``."""
    route = f"auth/{mount_path}/users/{username}/password"
    mount = _mount("userpass", mount_path, route)
    _auth().userpass.user_password(
        mount.accessor, username, (body or {}).get("password")
    )
    return no_content()


async def auth_userpass_login(
    mount_path: str, username: str, body: Body = None
) -> Response:
    """``POST /auth/{mount_path}/login/{username}``: needs no token."""
    token = _auth().userpass_login(mount_path, username, (body or {}).get("password"))
    return _authenticated(token)


# -- approle --------------------------------------------------------------------


def _approle(mount_path: str, route: str) -> Mount:
    return _mount("approle", mount_path, f"auth/{mount_path}/{route}")


def _is_jwt(mount_path: str) -> bool:
    return _auth().mount_type(mount_path) in JWT_TYPES


async def auth_approle_role_write(
    mount_path: str, role_name: str, body: Body = None
) -> Response:
    """``POST /auth/{mount_path}/role/{role_name}`` (a jwt role on a jwt mount)."""
    if _is_jwt(mount_path):
        return _jwt_role_write(mount_path, role_name, body or {})
    mount = _approle(mount_path, f"role/{role_name}")
    _auth().approle.role_write(mount.accessor, role_name, body or {})
    return no_content()


async def auth_approle_role_read(mount_path: str, role_name: str) -> Response:
    """``GET /auth/{mount_path}/role/{role_name}`` (a jwt role on a jwt mount)."""
    if _is_jwt(mount_path):
        return _jwt_role_read(mount_path, role_name)
    mount = _approle(mount_path, f"role/{role_name}")
    return envelope(_auth().approle.role_read(mount.accessor, role_name).view())


async def auth_approle_role_delete(mount_path: str, role_name: str) -> Response:
    """``DELETE /auth/{mount_path}/role/{role_name}`` (jwt roles too)."""
    if _is_jwt(mount_path):
        return _jwt_role_delete(mount_path, role_name)
    mount = _approle(mount_path, f"role/{role_name}")
    _auth().approle.role_delete(mount.accessor, role_name)
    return no_content()


async def auth_approle_role_list(mount_path: str) -> Response:
    """``LIST /auth/{mount_path}/role`` (jwt roles on a jwt mount)."""
    if _is_jwt(mount_path):
        return _jwt_role_list(mount_path)
    mount = _approle(mount_path, "role")
    return listing(_auth().approle.role_list(mount.accessor))


async def auth_approle_role_id_read(mount_path: str, role_name: str) -> Response:
    """``GET /auth/{mount_path}/role/{role_name}/role-id``."""
    mount = _approle(mount_path, f"role/{role_name}/role-id")
    role = _auth().approle.role_read(mount.accessor, role_name)
    return envelope({"role_id": role.role_id})


async def auth_approle_role_id_write(
    mount_path: str, role_name: str, body: Body = None
) -> Response:
    """``POST /auth/{mount_path}/role/{role_name}/role-id``."""
    mount = _approle(mount_path, f"role/{role_name}/role-id")
    _auth().approle.role_id_write(
        mount.accessor, role_name, (body or {}).get("role_id")
    )
    return no_content()


async def auth_approle_secret_id_generate(
    mount_path: str, role_name: str, body: Body = None
) -> Response:
    """``POST /auth/{mount_path}/role/{role_name}/secret-id``."""
    body = body or {}
    mount = _approle(mount_path, f"role/{role_name}/secret-id")
    secret = _auth().approle.secret_id_generate(
        mount.accessor,
        role_name,
        metadata=body.get("metadata"),
        cidr_list=body.get("cidr_list"),
        num_uses=body.get("num_uses"),
        ttl=parse_ttl(body.get("ttl")) if "ttl" in body else None,
    )
    return envelope(
        {
            "secret_id": secret.secret_id,
            "secret_id_accessor": secret.accessor,
            "secret_id_num_uses": secret.num_uses,
            "secret_id_ttl": secret.ttl,
        }
    )


async def auth_approle_secret_id_list(mount_path: str, role_name: str) -> Response:
    """``LIST /auth/{mount_path}/role/{role_name}/secret-id``: the accessors."""
    mount = _approle(mount_path, f"role/{role_name}/secret-id")
    return listing(_auth().approle.secret_id_list(mount.accessor, role_name))


async def auth_approle_secret_id_lookup(
    mount_path: str, role_name: str, body: Body = None
) -> Response:
    """``POST /auth/{mount_path}/role/{role_name}/secret-id/lookup``."""
    mount = _approle(mount_path, f"role/{role_name}/secret-id/lookup")
    approle = _auth().approle
    secret = approle.secret_id_lookup(
        mount.accessor, role_name, (body or {}).get("secret_id") or ""
    )
    return envelope(approle.secret_id_view(secret)) if secret else no_content()


async def auth_approle_secret_id_destroy(
    mount_path: str, role_name: str, body: Body = None
) -> Response:
    """``POST /auth/{mount_path}/role/{role_name}/secret-id/destroy``."""
    mount = _approle(mount_path, f"role/{role_name}/secret-id/destroy")
    _auth().approle.secret_id_destroy(
        mount.accessor, role_name, (body or {}).get("secret_id") or ""
    )
    return no_content()


async def auth_approle_login(mount_path: str, body: Body = None) -> Response:
    """``POST /auth/{mount_path}/login``: needs no token; on a jwt mount it is
    the jwt login (``role``, ``jwt``)."""
    body = body or {}
    if _is_jwt(mount_path):
        return _authenticated(
            _auth().jwt_login(mount_path, body.get("role"), body.get("jwt"))
        )
    token = _auth().approle_login(
        mount_path, body.get("role_id"), body.get("secret_id")
    )
    return _authenticated(token)


# -- jwt --------------------------------------------------------------------------


def _jwt(mount_path: str, route: str) -> Mount:
    kind = _auth().mount_type(mount_path)
    return _mount(
        kind if kind in JWT_TYPES else "jwt", mount_path, f"auth/{mount_path}/{route}"
    )


async def auth_jwt_config_write(mount_path: str, body: Body = None) -> Response:
    """``POST /auth/{mount_path}/config``."""
    mount = _jwt(mount_path, "config")
    _auth().jwt.config_write(mount.accessor, body or {})
    return no_content()


async def auth_jwt_config_read(mount_path: str) -> Response:
    """``GET /auth/{mount_path}/config``."""
    mount = _jwt(mount_path, "config")
    return envelope(_auth().jwt.config_read(mount.accessor).view())


def _jwt_role_write(mount_path: str, role_name: str, body: dict[str, Any]) -> Response:
    mount = _jwt(mount_path, f"role/{role_name}")
    _auth().jwt.role_write(mount.accessor, role_name, body)
    return no_content()


def _jwt_role_read(mount_path: str, role_name: str) -> Response:
    mount = _jwt(mount_path, f"role/{role_name}")
    return envelope(_auth().jwt.role_read(mount.accessor, role_name).view())


def _jwt_role_delete(mount_path: str, role_name: str) -> Response:
    mount = _jwt(mount_path, f"role/{role_name}")
    _auth().jwt.role_delete(mount.accessor, role_name)
    return no_content()


def _jwt_role_list(mount_path: str) -> Response:
    mount = _jwt(mount_path, "role")
    return listing(_auth().jwt.role_list(mount.accessor))


# -- named policies -------------------------------------------------------------


def _policy_data(policy: Policy, text_field: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "allow_slashes_in_identity_templates": False,
        "allow_wildcards_in_identity_templates": False,
        "cas_required": False,
        "name": policy.name,
        text_field: policy.rules,
        "version": policy.version,
    }
    if policy.modified:
        data["modified"] = policy.modified
    return data


async def sys_policy_list() -> Response:
    """``GET /sys/policy``: every policy name, also beside the envelope."""
    names = current().store.policies.policy_list()
    data = {"keys": names, "policies": names}
    return envelope(data, legacy=data)


async def sys_policy_read(name: str) -> Response:
    """``GET /sys/policy/{name}``: the policy, also beside the envelope."""
    data = _policy_data(current().store.policies.policy_read(name), "rules")
    return envelope(data, legacy=data)


async def sys_policy_write(name: str, body: Body = None) -> Response:
    """``POST /sys/policy/{name}``: ``policy`` (or the deprecated ``rules``)."""
    body = body or {}
    rules = body.get("policy")
    deprecated = not rules and bool(body.get("rules"))
    if deprecated:
        rules = body["rules"]
    current().store.policies.policy_write(name, rules, body.get("cas"))
    if deprecated:
        # The real server answers this one write with a body, for its warning.
        current().warnings.append("'rules' is deprecated, please use 'policy' instead")
        return envelope(None)
    return no_content()


async def sys_policy_delete(name: str) -> Response:
    """``DELETE /sys/policy/{name}``."""
    current().store.policies.policy_delete(name)
    return no_content()


async def sys_policy_acl_list() -> Response:
    """``LIST /sys/policies/acl``."""
    return listing(current().store.policies.policy_list())


async def sys_policy_acl_read(name: str) -> Response:
    """``GET /sys/policies/acl/{name}``."""
    return envelope(_policy_data(current().store.policies.policy_read(name), "policy"))


async def sys_policy_acl_write(name: str, body: Body = None) -> Response:
    """``POST /sys/policies/acl/{name}``."""
    body = body or {}
    current().store.policies.policy_write(name, body.get("policy"), body.get("cas"))
    return no_content()


async def sys_policy_acl_delete(name: str) -> Response:
    """``DELETE /sys/policies/acl/{name}``."""
    current().store.policies.policy_delete(name)
    return no_content()
