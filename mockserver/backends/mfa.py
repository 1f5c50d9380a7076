"""Login MFA: methods (totp, okta, duo, pingid), TOTP secrets of entities, and
login enforcements.

As on the real server:

* a method is created by type and found by id; writing a method under another
  type's path, or creating one with the name of an existing method, replaces
  that method's configuration and type (OpenBao 2.7 does this);
* a method's configuration is replaced as a whole on update: fields left out
  return to their defaults;
* a TOTP secret is real: ``key_size`` random bytes, given as an ``otpauth://``
  URL with the method's issuer, period, digits and algorithm, and as a PNG QR
  code of that URL; asking again while a secret exists answers nothing, with a
  warning;
* a method cannot be deleted while an enforcement refers to it, and an
  enforcement's method ids, entities, groups, mount accessors and auth method
  types must all exist.

Not modelled: the login itself (MFA validation during ``auth/.../login``),
namespaces, and ``max_validation_attempts`` counting.
"""

from __future__ import annotations

import base64
import io
import re
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import segno

from mockserver.backends._base import Randomness, load_records
from mockserver.backends.entities import EntityBackend
from mockserver.backends.mounts import MountBackend
from mockserver.errors import (
    InvalidRequest,
    NotFound,
    RequestError,
    UnsupportedPath,
    multierror,
)
from mockserver.wire.fields import parse_duration

METHOD_TYPES = ("totp", "okta", "duo", "pingid")
TOTP_ALGORITHMS = ("SHA1", "SHA256", "SHA512")
UUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_COMMON = {"namespace_id": "root", "namespace_path": ""}


class ServerError(RequestError):
    """500: what the real server answers for some refused MFA deletions."""

    status = 500


@dataclass(slots=True)
class Method:
    """One MFA method; ``config`` holds the type's fields, secrets included."""

    id: str
    type: str
    name: str = ""
    config: dict[str, Any] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        """The method as the read and list endpoints show it (no secrets)."""
        shown = {"id": self.id, "name": self.name, "type": self.type, **_COMMON}
        c = self.config
        if self.type == "totp":
            shown.update(
                {
                    k: c[k]
                    for k in (
                        "algorithm",
                        "digits",
                        "issuer",
                        "key_size",
                        "max_validation_attempts",
                        "period",
                        "qr_size",
                        "skew",
                    )
                }
            )
        elif self.type == "okta":
            # The real server shows the base URL it was given; without one, the
            # production flag if it was given; else the default base URL.
            if c.get("base_url") or c.get("production") is None:
                shown["base_url"] = c.get("base_url") or "okta.com"
            else:
                shown["production"] = c["production"]
            shown.update(
                mount_accessor="",
                org_name=c["org_name"],
                username_format=c["username_format"],
            )
        elif self.type == "duo":
            shown.update(
                api_hostname=c["api_hostname"],
                mount_accessor="",
                pushinfo=c["push_info"],
                use_passcode=c["use_passcode"],
                username_format=c["username_format"],
            )
        else:
            shown.update(
                {
                    k: c[k]
                    for k in (
                        "admin_url",
                        "authenticator_url",
                        "idp_url",
                        "org_alias",
                        "use_signature",
                    )
                }
            )
        return dict(sorted(shown.items()))


@dataclass(slots=True)
class LoginEnforcement:
    """Which logins must pass which MFA methods."""

    name: str
    id: str
    mfa_method_ids: list[str]
    auth_method_accessors: list[str] = field(default_factory=list)
    auth_method_types: list[str] = field(default_factory=list)
    identity_entity_ids: list[str] = field(default_factory=list)
    identity_group_ids: list[str] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        """The enforcement as read and list show it."""
        return dict(sorted({**asdict(self), **_COMMON}.items()))


@dataclass(slots=True)
class TOTPSecret:
    """An entity's TOTP secret for one method, with the URL it was given as."""

    method_id: str
    entity_id: str
    secret: str
    url: str


def _int(config: dict[str, Any], name: str, default: int) -> int:
    value = config.get(name)
    return default if value in (None, "", 0) else int(value)


def _duration_seconds(name: str, value: object) -> int | None:
    """Seconds in a duration field (``30``, ``"30"``, ``"1m"``), worded as the
    real server words a refusal."""
    if value is None or value == "":
        return None
    prefix = f'Field validation failed: error converting input for field "{name}": '
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InvalidRequest(prefix + f'time: missing unit in duration "{value}"')
    seconds = value if isinstance(value, int) else parse_duration(value.strip())
    if seconds is None:
        raise InvalidRequest(prefix + f'time: invalid duration "{value}"')
    if seconds < 0:
        raise InvalidRequest(prefix + f"cannot provide negative value '{value}'")
    return seconds


def _totp_config(body: dict[str, Any]) -> dict[str, Any]:
    issuer = body.get("issuer") or ""
    if not issuer:
        raise InvalidRequest("issuer must be set")
    algorithm = body.get("algorithm") or "SHA1"
    if algorithm not in TOTP_ALGORITHMS:
        raise InvalidRequest("unrecognized algorithm")
    digits = _int(body, "digits", 6)
    if digits not in (6, 8):
        raise InvalidRequest("digits can only be 6 or 8")
    period = _duration_seconds("period", body.get("period"))
    if period is not None and period <= 0:
        raise InvalidRequest("period must be greater than zero")
    if body.get("key_size") is not None and int(body["key_size"]) <= 0:
        raise InvalidRequest("key_size must be greater than zero")
    skew = int(body.get("skew", 1))
    if skew not in (0, 1):
        raise InvalidRequest("skew must be 0 or 1")
    attempts = int(body.get("max_validation_attempts") or 0)
    if attempts < 0:
        raise InvalidRequest("max_validation_attempts must be greater than zero")
    return {
        "issuer": issuer,
        "algorithm": algorithm,
        "digits": digits,
        "period": period or 30,
        "key_size": _int(body, "key_size", 20),
        "qr_size": _int(body, "qr_size", 200),
        "skew": skew,
        "max_validation_attempts": attempts or 5,
    }


def _okta_config(body: dict[str, Any]) -> dict[str, Any]:
    if not body.get("org_name"):
        raise InvalidRequest("org_name must be set")
    if not body.get("api_token"):
        raise InvalidRequest("api_token must be set")
    production = body.get("production")
    return {
        "org_name": body["org_name"],
        "api_token": body["api_token"],
        "base_url": body.get("base_url") or "",
        "production": None if production is None else bool(production),
        "username_format": body.get("username_format") or "",
        "primary_email": bool(body.get("primary_email", False)),
    }


def _duo_config(body: dict[str, Any]) -> dict[str, Any]:
    for name in ("secret_key", "integration_key", "api_hostname"):
        if not body.get(name):
            raise InvalidRequest(f"{name} is empty")
    return {
        "secret_key": body["secret_key"],
        "integration_key": body["integration_key"],
        "api_hostname": body["api_hostname"],
        "username_format": body.get("username_format") or "",
        "push_info": body.get("push_info") or "",
        "use_passcode": bool(body.get("use_passcode", False)),
    }


def _pingid_config(body: dict[str, Any]) -> dict[str, Any]:
    encoded = body.get("settings_file_base64") or ""
    if not encoded:
        raise InvalidRequest("settings_file_base64 is empty")
    try:
        text = base64.b64decode(encoded, validate=True).decode()
    except ValueError:
        # binascii.Error and UnicodeDecodeError are ValueErrors, and so is the
        # error b64decode raises for text that is not ASCII at all.
        position = next(
            (i for i, ch in enumerate(encoded) if not re.match(r"[A-Za-z0-9+/=]", ch)),
            0,
        )
        raise InvalidRequest(f"illegal base64 data at input byte {position}") from None
    settings: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise InvalidRequest(
                "pingid settings file contains a non-empty non-comment line that "
                f'is not in key=value format: "{line}"'
            )
        settings[key.strip()] = value.strip()
    return {
        "settings_file_base64": encoded,
        "use_signature": settings.get("use_signature", "").lower() == "true",
        "idp_url": settings.get("idp_url", ""),
        "org_alias": settings.get("org_alias", ""),
        "admin_url": settings.get("admin_url", ""),
        "authenticator_url": settings.get("authenticator_url", ""),
        "username_format": body.get("username_format") or "",
    }


_CONFIGURE: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "totp": _totp_config,
    "okta": _okta_config,
    "duo": _duo_config,
    "pingid": _pingid_config,
}


def otpauth_url(method: Method, entity_id: str, secret: str) -> str:
    """The ``otpauth://`` URL an authenticator app reads."""
    c = method.config
    query = urlencode(
        {
            "algorithm": c["algorithm"],
            "digits": c["digits"],
            "issuer": c["issuer"],
            "period": c["period"],
            "secret": secret,
        },
        quote_via=quote,
    )
    label = quote(f"{c['issuer']}:{entity_id}", safe=":@")
    return f"otpauth://totp/{label}?{query}"


def qr_png(url: str, size: int) -> bytes:
    """A PNG QR code of ``url``, about ``size`` pixels wide."""
    code = segno.make(url, error="m")
    modules = code.symbol_size(scale=1, border=4)[0]
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=max(1, size // modules), border=4)
    return buffer.getvalue()


GroupExists = Callable[[str], bool]


class MFABackend:
    """State of the MFA family. Method names follow the API's operationIds."""

    def __init__(
        self, randomness: Randomness, entities: EntityBackend, mounts: MountBackend
    ) -> None:
        self._random = randomness
        self._entities = entities
        self._mounts = mounts
        self.group_exists: GroupExists = lambda group_id: False
        """Whether a group id exists (wired to the group family when present)."""
        self.methods: dict[str, Method] = {}
        self.enforcements: dict[str, LoginEnforcement] = {}
        self.secrets: dict[tuple[str, str], TOTPSecret] = {}

    # -- state contract -------------------------------------------------------

    def reset(self) -> None:
        """Forget every method, secret and enforcement."""
        self.methods = {}
        self.enforcements = {}
        self.secrets = {}

    def snapshot(self) -> dict[str, Any]:
        """Methods, enforcements and TOTP secrets as plain data."""
        return {
            "methods": [asdict(m) for m in self.methods.values()],
            "enforcements": [asdict(e) for e in self.enforcements.values()],
            "secrets": [asdict(s) for s in self.secrets.values()],
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the state with a snapshot's."""
        self.methods = {
            m.id: m for m in load_records(Method, data, "methods", "mfa: method {}")
        }
        self.enforcements = {
            e.name: e
            for e in load_records(
                LoginEnforcement, data, "enforcements", "mfa: enforcement {}"
            )
        }
        self.secrets = {
            (s.method_id, s.entity_id): s
            for s in load_records(TOTPSecret, data, "secrets", "mfa: secret {}")
        }

    def check(self) -> None:
        """Enforcements and secrets name methods that exist."""
        for enforcement in self.enforcements.values():
            for method_id in enforcement.mfa_method_ids:
                if method_id not in self.methods:
                    raise ValueError(
                        f"mfa: enforcement {enforcement.name!r} uses method "
                        f"{method_id!r}, which does not exist"
                    )
        for method_id, _ in self.secrets:
            if method_id not in self.methods:
                raise ValueError(
                    f"mfa: a secret belongs to method {method_id!r}, which does not "
                    "exist"
                )

    # -- methods --------------------------------------------------------------

    def mfa_create_method(self, type_: str, body: dict[str, Any]) -> Method:
        """Create a method of ``type_``; an existing name is replaced instead."""
        config = _CONFIGURE[type_](body)
        name = body.get("method_name") or ""
        existing = next(
            (m for m in self.methods.values() if name and m.name == name), None
        )
        method = existing or Method(id=self._random.uuid(), type=type_)
        method.type, method.name, method.config = type_, name, config
        self.methods[method.id] = method
        return method

    def mfa_configure_method(
        self, type_: str, method_id: str, body: dict[str, Any]
    ) -> None:
        """Replace the configuration of ``method_id``; an unknown id does nothing."""
        _check_uuid(method_id)
        config = _CONFIGURE[type_](body)
        method = self.methods.get(method_id)
        if method is None:
            return
        method.type = type_
        # An empty or absent name keeps the current one; the rest is replaced.
        method.name = body.get("method_name") or method.name
        method.config = config

    def mfa_read_method(self, type_: str | None, method_id: str) -> Method:
        """The method ``method_id``, checked to be of ``type_`` when given."""
        _check_uuid(method_id)
        method = self.methods.get(method_id)
        if method is None:
            raise NotFound()
        if type_ is not None and method.type != type_:
            raise InvalidRequest(
                f"failed to find the method ID under MFA type {type_}."
            )
        return method

    def mfa_list_methods(self, type_: str | None = None) -> list[Method]:
        """Methods (of one type), by id; none is :class:`NotFound`."""
        found = [
            self.methods[k]
            for k in sorted(self.methods)
            if type_ is None or self.methods[k].type == type_
        ]
        if not found:
            raise NotFound()
        return found

    def mfa_delete_method(self, type_: str, method_id: str) -> None:
        """Delete a method no enforcement uses; a missing one is not an error."""
        _check_uuid(method_id)
        method = self.methods.get(method_id)
        if method is None:
            return
        for enforcement in self.enforcements.values():
            if method_id in enforcement.mfa_method_ids:
                raise ServerError(
                    multierror(
                        [
                            "methodID is still used by an enforcement "
                            f"configuration with ID: {enforcement.id}"
                        ]
                    )
                )
        if method.type != type_:
            raise ServerError(
                multierror(["method type does not match the MFA config type"])
            )
        del self.methods[method_id]
        for key in [k for k in self.secrets if k[0] == method_id]:
            del self.secrets[key]

    # -- TOTP secrets ---------------------------------------------------------

    def _generate_target(self, method_id: str | None, entity_id: str | None) -> Method:
        # The real server checks generate requests in this order.
        if not method_id:
            raise InvalidRequest("missing method ID")
        if not entity_id:
            raise InvalidRequest("missing entityID")
        method = self.methods.get(method_id)
        if method is None:
            raise InvalidRequest(
                f'configuration for method ID "{method_id}" does not exist'
            )
        if entity_id not in self._entities.entities:
            raise InvalidRequest("invalid entity ID")
        if method.type != "totp":
            raise InvalidRequest(f'generate not available for MFA type "{method.type}"')
        return method

    def mfa_admin_generate_totp_secret(
        self, method_id: str | None, entity_id: str | None
    ) -> TOTPSecret | None:
        """A new secret for the entity, or None (with a warning) if it has one."""
        method = self._generate_target(method_id, entity_id)
        assert entity_id is not None
        if (method.id, entity_id) in self.secrets:
            return None
        raw = secrets.token_bytes(int(method.config["key_size"]))
        secret = base64.b32encode(raw).decode().rstrip("=")
        issued = TOTPSecret(
            method.id, entity_id, secret, otpauth_url(method, entity_id, secret)
        )
        self.secrets[(method.id, entity_id)] = issued
        return issued

    def mfa_generate_totp_secret(
        self, method_id: str | None, entity_id: str | None
    ) -> TOTPSecret | None:
        """:meth:`mfa_admin_generate_totp_secret` for the calling entity."""
        return self.mfa_admin_generate_totp_secret(method_id, entity_id)

    def mfa_admin_destroy_totp_secret(
        self, method_id: str | None, entity_id: str | None
    ) -> None:
        """Forget the entity's secret for the method, if it has one.

        Checked in the real server's order, which differs from generate's: the
        entity before the method, and a method of another type is a 500.
        """
        if not method_id:
            raise InvalidRequest("missing method ID")
        if not entity_id:
            raise InvalidRequest("missing entity ID")
        if entity_id not in self._entities.entities:
            raise InvalidRequest("invalid entity ID")
        method = self.methods.get(method_id)
        if method is None:
            raise InvalidRequest(
                f'configuration for method ID "{method_id}" does not exist'
            )
        if method.type != "totp":
            raise ServerError(multierror(["method ID does not match TOTP type"]))
        self.secrets.pop((method.id, entity_id), None)

    def repeat_warning(self, method_id: str) -> str:
        """The warning of a generate for an entity that already has a secret."""
        return (
            "Entity already has a secret for MFA method "
            f'"{self.methods[method_id].name}"'
        )

    def barcode(self, issued: TOTPSecret) -> str:
        """The base64 PNG QR code of a secret's URL."""
        size = int(self.methods[issued.method_id].config["qr_size"])
        return base64.b64encode(qr_png(issued.url, size)).decode()

    # -- login enforcements ---------------------------------------------------

    def mfa_write_login_enforcement(
        self,
        name: str,
        *,
        mfa_method_ids: list[str] | None = None,
        auth_method_accessors: list[str] | None = None,
        auth_method_types: list[str] | None = None,
        identity_entity_ids: list[str] | None = None,
        identity_group_ids: list[str] | None = None,
    ) -> LoginEnforcement:
        """Create the enforcement ``name``, or update it, after checking references.

        As on the real server, ``None`` means "not in the request": the method ids
        must be given on every write, at least one kind of target must be given
        (an empty list counts), and an update keeps the targets it is not given.
        """
        if mfa_method_ids is None:
            raise InvalidRequest("missing method ids")
        given = (
            auth_method_accessors,
            auth_method_types,
            identity_entity_ids,
            identity_group_ids,
        )
        if all(targets is None for targets in given):
            raise InvalidRequest(
                "One of auth_method_accessors, auth_method_types, "
                "identity_group_ids, identity_entity_ids must be specified"
            )
        existing = self.enforcements.get(name)

        def merged(targets: list[str] | None, current: list[str]) -> list[str]:
            return list(current if targets is None else targets)

        accessors = merged(
            auth_method_accessors, existing.auth_method_accessors if existing else []
        )
        types = merged(
            auth_method_types, existing.auth_method_types if existing else []
        )
        entities = merged(
            identity_entity_ids, existing.identity_entity_ids if existing else []
        )
        groups = merged(
            identity_group_ids, existing.identity_group_ids if existing else []
        )
        if any(m not in self.methods for m in mfa_method_ids):
            raise InvalidRequest("one of the provided method ids doesn't exist")
        if any(self._mounts.by_accessor(a) is None for a in accessors):
            raise InvalidRequest("one of the auth method accessors provided is invalid")
        # Only types of enabled auth mounts count (token's always exists).
        mounted = {m.type for m in self._mounts.sys_auth_list()}
        if any(t not in mounted for t in types):
            raise InvalidRequest("one of the auth method types provided is invalid")
        if any(e not in self._entities.entities for e in entities):
            raise InvalidRequest("one of the provided entity ids doesn't exist")
        if any(not self.group_exists(g) for g in groups):
            raise InvalidRequest("one of the provided group ids doesn't exist")
        enforcement = LoginEnforcement(
            name=name,
            id=existing.id if existing else self._random.uuid(),
            mfa_method_ids=list(mfa_method_ids),
            auth_method_accessors=accessors,
            auth_method_types=types,
            identity_entity_ids=entities,
            identity_group_ids=groups,
        )
        self.enforcements[name] = enforcement
        return enforcement

    def mfa_read_login_enforcement(self, name: str) -> LoginEnforcement:
        """The enforcement ``name``, or :class:`NotFound`."""
        enforcement = self.enforcements.get(name)
        if enforcement is None:
            raise NotFound()
        return enforcement

    def mfa_list_login_enforcements(self) -> list[LoginEnforcement]:
        """Every enforcement by name; none is :class:`NotFound`."""
        if not self.enforcements:
            raise NotFound()
        return [self.enforcements[k] for k in sorted(self.enforcements)]

    def mfa_delete_login_enforcement(self, name: str) -> None:
        """Delete an enforcement; a missing one is not an error."""
        self.enforcements.pop(name, None)


def _check_uuid(method_id: str) -> None:
    # The real server routes method ids by a UUID pattern: anything else is
    # not a path it knows.
    if not UUID.match(method_id):
        raise UnsupportedPath()
