"""Handlers of the MFA family: methods of each type, TOTP secrets and login
enforcements. Each reads the request, calls
:class:`~mockserver.backends.mfa.MFABackend`, and wraps the answer."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from mockserver.backends.mfa import (
    LoginEnforcement,
    Method,
    MFABackend,
    ServerError,
    TOTPSecret,
)
from mockserver.errors import InvalidRequest
from mockserver.handlers._envelope import envelope, listing, no_content
from mockserver.wire.context import current

Body = dict[str, Any] | None


def _backend() -> MFABackend:
    return current().store.mfa


def _methods(methods: list[Method]) -> Response:
    return listing([m.id for m in methods], {m.id: m.view() for m in methods})


def _create(type_: str, body: Body) -> Response:
    method = _backend().mfa_create_method(type_, body or {})
    return envelope({"method_id": method.id})


def _configure(type_: str, method_id: str, body: Body) -> Response:
    _backend().mfa_configure_method(type_, method_id, body or {})
    return no_content()


def _read(type_: str | None, method_id: str) -> Response:
    return envelope(_backend().mfa_read_method(type_, method_id).view())


def _delete(type_: str, method_id: str) -> Response:
    # The real server answers 500 for a method of another type or one an
    # enforcement still uses; both are the caller's error, answered 400 with
    # the server's wording.
    try:
        _backend().mfa_delete_method(type_, method_id)
    except ServerError as exc:
        raise InvalidRequest(*exc.errors) from exc
    return no_content()


_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def _list(type_: str | None, query: dict[str, Any]) -> Response:
    # The real server serves a plain read of a method list path as a read of
    # the method with an empty id; a flag that is not a boolean is refused
    # with no message.
    flag = str(query.get("list", ""))
    if flag in _TRUE:
        return _methods(_backend().mfa_list_methods(type_))
    if flag in _FALSE or flag == "":
        raise InvalidRequest("missing method ID")
    raise InvalidRequest()


# -- every type -----------------------------------------------------------------


async def mfa_read_method_configuration(method_id: str) -> Response:
    """``GET /identity/mfa/method/{method_id}``: a method of any type."""
    return _read(None, method_id)


async def mfa_list_methods(**query: Any) -> Response:
    """``LIST /identity/mfa/method``: methods of every type."""
    return _list(None, query)


# -- totp -----------------------------------------------------------------------


async def mfa_create_totp_method(body: Body = None) -> Response:
    """``POST /identity/mfa/method/totp``."""
    return _create("totp", body)


async def mfa_configure_totp_method(method_id: str, body: Body = None) -> Response:
    """``POST /identity/mfa/method/totp/{method_id}``."""
    return _configure("totp", method_id, body)


async def mfa_read_totp_method_configuration(method_id: str) -> Response:
    """``GET /identity/mfa/method/totp/{method_id}``."""
    return _read("totp", method_id)


async def mfa_delete_totp_method(method_id: str) -> Response:
    """``DELETE /identity/mfa/method/totp/{method_id}``."""
    return _delete("totp", method_id)


async def mfa_list_totp_methods(**query: Any) -> Response:
    """``LIST /identity/mfa/method/totp``."""
    return _list("totp", query)


# -- okta -----------------------------------------------------------------------


async def mfa_create_okta_method(body: Body = None) -> Response:
    """``POST /identity/mfa/method/okta``."""
    return _create("okta", body)


async def mfa_configure_okta_method(method_id: str, body: Body = None) -> Response:
    """``POST /identity/mfa/method/okta/{method_id}``."""
    return _configure("okta", method_id, body)


async def mfa_read_okta_method_configuration(method_id: str) -> Response:
    """``GET /identity/mfa/method/okta/{method_id}``."""
    return _read("okta", method_id)


async def mfa_delete_okta_method(method_id: str) -> Response:
    """``DELETE /identity/mfa/method/okta/{method_id}``."""
    return _delete("okta", method_id)


async def mfa_list_okta_methods(**query: Any) -> Response:
    """``LIST /identity/mfa/method/okta``."""
    return _list("okta", query)


# -- duo ------------------------------------------------------------------------


async def mfa_create_duo_method(body: Body = None) -> Response:
    """``POST /identity/mfa/method/duo``."""
    return _create("duo", body)


async def mfa_configure_duo_method(method_id: str, body: Body = None) -> Response:
    """``POST /identity/mfa/method/duo/{method_id}``."""
    return _configure("duo", method_id, body)


async def mfa_read_duo_method_configuration(method_id: str) -> Response:
    """``GET /identity/mfa/method/duo/{method_id}``."""
    return _read("duo", method_id)


async def mfa_delete_duo_method(method_id: str) -> Response:
    """``DELETE /identity/mfa/method/duo/{method_id}``."""
    return _delete("duo", method_id)


async def mfa_list_duo_methods(**query: Any) -> Response:
    """``LIST /identity/mfa/method/duo``."""
    return _list("duo", query)


# -- pingid ---------------------------------------------------------------------


async def mfa_create_pingid_method(body: Body = None) -> Response:
    """``POST /identity/mfa/method/pingid``."""
    return _create("pingid", body)


async def mfa_configure_pingid_method(method_id: str, body: Body = None) -> Response:
    """``POST /identity/mfa/method/pingid/{method_id}``."""
    return _configure("pingid", method_id, body)


async def mfa_read_pingid_method_configuration(method_id: str) -> Response:
    """``GET /identity/mfa/method/pingid/{method_id}``."""
    return _read("pingid", method_id)


async def mfa_delete_pingid_method(method_id: str) -> Response:
    """``DELETE /identity/mfa/method/pingid/{method_id}``."""
    return _delete("pingid", method_id)


async def mfa_list_ping_id_methods(**query: Any) -> Response:
    """``LIST /identity/mfa/method/pingid``."""
    return _list("pingid", query)


# -- TOTP secrets ---------------------------------------------------------------


def _secret(method_id: str | None, issued: TOTPSecret | None) -> Response:
    backend = _backend()
    if issued is None:
        current().warnings.append(backend.repeat_warning(str(method_id)))
        return envelope(None)
    return envelope({"barcode": backend.barcode(issued), "url": issued.url})


async def mfa_generate_totp_secret(body: Body = None) -> Response:
    """``POST /identity/mfa/method/totp/generate``: for the calling entity."""
    method_id = (body or {}).get("method_id")
    token = current().token
    entity_id = token.entity_id if token is not None else ""
    return _secret(method_id, _backend().mfa_generate_totp_secret(method_id, entity_id))


async def mfa_admin_generate_totp_secret(body: Body = None) -> Response:
    """``POST /identity/mfa/method/totp/admin-generate``: for a given entity."""
    body = body or {}
    method_id = body.get("method_id")
    issued = _backend().mfa_admin_generate_totp_secret(method_id, body.get("entity_id"))
    return _secret(method_id, issued)


async def mfa_admin_destroy_totp_secret(body: Body = None) -> Response:
    """``POST /identity/mfa/method/totp/admin-destroy``."""
    body = body or {}
    # The real server answers 500 for a method that is not TOTP; answered 400
    # with its wording, as the caller's error.
    try:
        _backend().mfa_admin_destroy_totp_secret(
            body.get("method_id"), body.get("entity_id")
        )
    except ServerError as exc:
        raise InvalidRequest(*exc.errors) from exc
    return no_content()


# -- login enforcements ---------------------------------------------------------


def _enforcements(items: list[LoginEnforcement]) -> Response:
    return listing([e.name for e in items], {e.name: e.view() for e in items})


async def mfa_write_login_enforcement(name: str, body: Body = None) -> Response:
    """``POST /identity/mfa/login-enforcement/{name}``."""
    body = body or {}
    fields = (
        "mfa_method_ids",
        "auth_method_accessors",
        "auth_method_types",
        "identity_entity_ids",
        "identity_group_ids",
    )
    _backend().mfa_write_login_enforcement(
        name, **{k: body[k] for k in fields if k in body}
    )
    return no_content()


async def mfa_read_login_enforcement(name: str) -> Response:
    """``GET /identity/mfa/login-enforcement/{name}``."""
    return envelope(_backend().mfa_read_login_enforcement(name).view())


async def mfa_list_login_enforcements() -> Response:
    """``LIST /identity/mfa/login-enforcement``."""
    return _enforcements(_backend().mfa_list_login_enforcements())


async def mfa_delete_login_enforcement(name: str) -> Response:
    """``DELETE /identity/mfa/login-enforcement/{name}``."""
    _backend().mfa_delete_login_enforcement(name)
    return no_content()
