"""The ``jwt`` auth method: a mount's configuration, its roles, and the checks a
login's JSON Web Token must pass.

A login presents a signed token and a role. The signature is verified with the
PEM public keys of the mount's configuration (``jwt_validation_pubkeys``), then
the time claims with the role's leeways, then ``iss``, ``aud``, ``sub`` and the
role's ``bound_claims``. The ``user_claim`` names the entity alias; the values of
the ``groups_claim`` are group alias names on the mount, which
:class:`~mockserver.backends.auth.AuthBackend` turns into external group
memberships.

Not modelled (a write that uses them answers ``400`` saying so): ``jwks_url``,
``jwks_pairs``, ``oidc_discovery_url`` and ``provider_config`` (the mock reaches no
other server), ``role_type`` ``oidc`` (the browser flow), glob matching of
``bound_claims`` (``bound_claims_type`` ``glob``), and templated token policies.
``bound_claims`` values are matched exactly; a list matches when the claim holds
any of its values.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey

from mockserver.backends._base import by_mount, load_record, load_records
from mockserver.backends.tokens import parse_ttl
from mockserver.backends.userpass import TokenSettings
from mockserver.errors import InvalidRequest, NotFound

_ALGORITHMS = [
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
]
"""The asymmetric algorithms a login token may be signed with."""

DEFAULT_LEEWAY = 60
"""Seconds of clock skew a leeway of ``0`` stands for (measured on OpenBao 2.7)."""

_UNREACHABLE_SOURCES = ("jwks_url", "jwks_pairs", "oidc_discovery_url")


@dataclass(slots=True)
class JwtConfig:
    """The configuration of one ``jwt`` mount."""

    jwt_validation_pubkeys: list[str]
    bound_issuer: str = ""
    default_role: str = ""
    jwt_supported_algs: list[str] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        """The configuration as the real server's read answers it."""
        return {
            "bound_issuer": self.bound_issuer,
            "default_role": self.default_role,
            "jwks_ca_pem": "",
            "jwks_url": "",
            "jwt_supported_algs": list(self.jwt_supported_algs),
            "jwt_validation_pubkeys": list(self.jwt_validation_pubkeys),
            "namespace_in_state": True,
            "oidc_client_id": "",
            "oidc_discovery_ca_pem": "",
            "oidc_discovery_url": "",
            "oidc_response_mode": "",
            "oidc_response_types": [],
            "override_allowed_server_names": [],
            "provider_config": {},
            "status": "valid",
        }


@dataclass(slots=True)
class JwtRole:
    """One role of a ``jwt`` mount: which tokens may log in, and as whom."""

    name: str
    user_claim: str
    role_type: str = "jwt"
    groups_claim: str = ""
    bound_audiences: list[str] = field(default_factory=list)
    bound_subject: str = ""
    bound_claims: dict[str, Any] | None = None
    claim_mappings: dict[str, str] | None = None
    expiration_leeway: int = 0
    not_before_leeway: int = 0
    clock_skew_leeway: int = 0
    token: TokenSettings = field(default_factory=TokenSettings)

    def view(self) -> dict[str, Any]:
        """The role as the real server's read answers it."""
        view: dict[str, Any] = {
            "allowed_redirect_uris": None,
            "bound_audiences": list(self.bound_audiences) or None,
            "bound_claims": dict(self.bound_claims) if self.bound_claims else None,
            "bound_claims_type": "string",
            "bound_subject": self.bound_subject,
            "callback_mode": "client",
            "claim_mappings": (
                dict(self.claim_mappings) if self.claim_mappings else None
            ),
            "clock_skew_leeway": self.clock_skew_leeway,
            "expiration_leeway": self.expiration_leeway,
            "groups_claim": self.groups_claim,
            "max_age": 0,
            "not_before_leeway": self.not_before_leeway,
            "oauth2_metadata": None,
            "oidc_disable_confirmation": False,
            "oidc_scopes": None,
            "role_type": self.role_type,
            "token_policies_template_claims": False,
            "user_claim": self.user_claim,
            "user_claim_json_pointer": False,
            "verbose_oidc_logging": False,
        }
        view.update(self.token.view())
        return dict(sorted(view.items()))


@dataclass(frozen=True, slots=True)
class JwtLogin:
    """What a login token proved: who logs in, with which groups and metadata."""

    role: JwtRole
    alias_name: str
    group_names: list[str]
    metadata: dict[str, str]


class JwtBackend:
    """Configuration and roles of every ``jwt`` mount, keyed by mount accessor."""

    def __init__(self) -> None:
        self.configs: dict[str, JwtConfig] = {}
        self.roles: dict[str, dict[str, JwtRole]] = {}

    # -- state contract -------------------------------------------------------

    def reset(self) -> None:
        """Forget every configuration and role."""
        self.configs = {}
        self.roles = {}

    def snapshot(self) -> dict[str, Any]:
        """Configurations and roles as plain data."""
        return {
            "configs": {m: asdict(c) for m, c in self.configs.items()},
            "roles": {
                m: [asdict(r) for r in roles.values()]
                for m, roles in self.roles.items()
            },
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the state with a snapshot's."""
        self.reset()
        for mount, raw in by_mount(data, "configs", "jwt"):
            self.configs[mount] = load_record(
                JwtConfig, raw, f"jwt: mount {mount!r}: config"
            )
        for mount, roles in by_mount(data, "roles", "jwt"):
            table = self.roles.setdefault(mount, {})
            for role in load_records(
                JwtRole, {mount: roles}, mount, f"jwt: mount {mount!r}: role {{}}"
            ):
                table[role.name] = role

    def check(self) -> None:
        """Nothing holds across configurations and roles beyond their shapes."""

    # -- configuration --------------------------------------------------------

    def config_write(self, mount: str, fields: dict[str, Any]) -> JwtConfig:
        """Replace the mount's configuration; the keys must parse."""
        if any(fields.get(name) for name in (*_UNREACHABLE_SOURCES, "provider_config")):
            raise InvalidRequest(
                "vaultmock verifies login tokens with local keys only: set "
                "'jwt_validation_pubkeys' to PEM public keys instead of fetching them "
                "from another server"
            )
        keys = _strings(fields.get("jwt_validation_pubkeys"))
        if not keys:
            raise InvalidRequest(
                "exactly one of 'jwt_validation_pubkeys', 'jwks_url', 'jwks_pairs', "
                "'oidc_discovery_url', or 'provider_config' must be set"
            )
        for pem in keys:
            _public_key(pem)
        config = JwtConfig(
            jwt_validation_pubkeys=keys,
            bound_issuer=str(fields.get("bound_issuer") or ""),
            default_role=str(fields.get("default_role") or ""),
            jwt_supported_algs=_strings(fields.get("jwt_supported_algs")),
        )
        self.configs[mount] = config
        return config

    def config_read(self, mount: str) -> JwtConfig:
        """The mount's configuration, or :class:`NotFound` before the first write."""
        config = self.configs.get(mount)
        if config is None:
            raise NotFound()
        return config

    # -- roles ----------------------------------------------------------------

    def role_write(self, mount: str, name: str, fields: dict[str, Any]) -> JwtRole:
        """Create or update a role; a refused write changes nothing."""
        old = self.roles.get(mount, {}).get(name.lower())
        role_type = str(fields.get("role_type") or (old.role_type if old else ""))
        if role_type not in ("", "jwt", "oidc"):
            raise InvalidRequest(f"invalid 'role_type': {role_type}")
        if role_type != "jwt":
            if not fields.get("allowed_redirect_uris"):
                raise InvalidRequest(
                    "'allowed_redirect_uris' must be set if 'role_type' is 'oidc' "
                    "or unspecified."
                )
            raise InvalidRequest(
                "vaultmock models the 'jwt' role type only: write the role with "
                "role_type=jwt, or test the OIDC browser flow against a real server"
            )
        if fields.get("bound_claims_type") not in (None, "", "string"):
            raise InvalidRequest(
                "vaultmock matches bound_claims exactly: leave bound_claims_type at "
                "'string'"
            )
        role = JwtRole(name=name.lower(), user_claim="")
        if old is not None:
            role = JwtRole(
                **{**asdict(old), "token": TokenSettings(**asdict(old.token))}
            )
        for name_ in ("user_claim", "groups_claim", "bound_subject"):
            if name_ in fields:
                setattr(role, name_, str(fields[name_] or ""))
        if "bound_audiences" in fields:
            role.bound_audiences = _strings(fields["bound_audiences"])
        for name_ in ("bound_claims", "claim_mappings"):
            if name_ in fields:
                value = fields[name_]
                if value is not None and not isinstance(value, dict):
                    raise InvalidRequest(f"'{name_}' must be a map")
                setattr(role, name_, dict(value) if value else None)
        for name_ in ("expiration_leeway", "not_before_leeway", "clock_skew_leeway"):
            if name_ in fields:
                setattr(role, name_, _leeway(fields[name_], name_))
        role.token.apply(fields)
        if not role.user_claim:
            raise InvalidRequest("a user claim must be defined on the role")
        if not (role.bound_audiences or role.bound_subject or role.bound_claims):
            raise InvalidRequest(
                "must have at least one bound constraint when creating/updating a role"
            )
        self.roles.setdefault(mount, {})[role.name] = role
        return role

    def role_read(self, mount: str, name: str) -> JwtRole:
        """The role, or :class:`NotFound`."""
        role = self.roles.get(mount, {}).get(name.lower())
        if role is None:
            raise NotFound()
        return role

    def role_delete(self, mount: str, name: str) -> None:
        """Delete a role; a missing one is not an error."""
        self.roles.get(mount, {}).pop(name.lower(), None)

    def role_list(self, mount: str) -> list[str]:
        """Role names, sorted; :class:`NotFound` when there are none."""
        names = sorted(self.roles.get(mount, {}))
        if not names:
            raise NotFound()
        return names

    # -- login ----------------------------------------------------------------

    def check_login(
        self,
        mount: str,
        role_name: str | None,
        token: str | None,
        *,
        now: float | None = None,
    ) -> JwtLogin:
        """Verify a login token against the mount and role, in the real server's
        order; returns who logs in or raises its refusal (``400``)."""
        config = self.configs.get(mount)
        if config is None:
            raise InvalidRequest("could not load configuration")
        name = role_name or config.default_role
        if not name:
            raise InvalidRequest("missing role")
        role = self.roles.get(mount, {}).get(name.lower())
        if role is None:
            raise InvalidRequest(f'role "{name}" could not be found')
        if not token:
            raise InvalidRequest("missing token")
        claims = _verified_claims(config, token)
        _check_times(role, claims, time.time() if now is None else now)
        if config.bound_issuer and claims.get("iss") != config.bound_issuer:
            raise InvalidRequest("error validating token: invalid issuer (iss) claim")
        if role.bound_subject and claims.get("sub") != role.bound_subject:
            raise InvalidRequest("error validating token: invalid subject (sub) claim")
        _check_audience(role, claims)
        _check_bound_claims(role, claims)
        user = _claim(claims, role.user_claim)
        if user is None:
            raise InvalidRequest(f'claim "{role.user_claim}" not found in token')
        if isinstance(user, bool) or not isinstance(user, (str, int, float)):
            raise InvalidRequest(
                f'claim "{role.user_claim}" could not be converted to string'
            )
        metadata = {"role": role.name}
        for claim, meta_key in (role.claim_mappings or {}).items():
            value = _claim(claims, claim)
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                metadata[meta_key] = _text(value)
        return JwtLogin(
            role=role,
            alias_name=_text(user),
            group_names=_groups(role, claims),
            metadata=metadata,
        )


def _public_key(pem: str) -> RSAKey | ECKey | OKPKey:
    for kind in (RSAKey, ECKey, OKPKey):
        try:
            key = kind.import_key(pem.encode())
        except (ValueError, TypeError, JoseError):
            continue
        if not key.is_private:
            return key
    raise InvalidRequest(
        "error parsing public key: data does not contain any valid public keys"
    )


def _verified_claims(config: JwtConfig, token: str) -> dict[str, Any]:
    prefix = "error validating token: error verifying token signature: "
    if token.count(".") != 2:
        raise InvalidRequest(
            prefix + "go-jose/go-jose: compact JWS format must have three parts"
        )
    algorithms = [
        a for a in _ALGORITHMS if a in config.jwt_supported_algs
    ] or _ALGORITHMS
    for pem in config.jwt_validation_pubkeys:
        try:
            decoded = jwt.decode(token, _public_key(pem), algorithms=algorithms)
        except (BadSignatureError, JoseError, ValueError):
            continue
        return dict(decoded.claims)
    raise InvalidRequest(
        prefix + "no known key successfully validated the token signature"
    )


def _check_times(role: JwtRole, claims: dict[str, Any], now: float) -> None:
    exp, nbf, iat = (claims.get(k) for k in ("exp", "nbf", "iat"))
    if exp is None and nbf is None and iat is None:
        raise InvalidRequest(
            "error validating token: no issued at (iat), not before (nbf), or "
            "expiration time (exp) claims in token"
        )
    if exp is not None and now > _number(exp) + _effective(role.expiration_leeway):
        raise InvalidRequest(
            "error validating token: invalid expiration time (exp) claim: token is "
            "expired"
        )
    # Without ``nbf`` the issue time stands in for it, with the clock skew leeway.
    start, leeway = (
        (nbf, role.not_before_leeway)
        if nbf is not None
        else (iat, role.clock_skew_leeway)
    )
    if start is not None and now < _number(start) - _effective(leeway):
        raise InvalidRequest(
            "error validating token: invalid not before (nbf) claim: token not yet "
            "valid"
        )


def _check_audience(role: JwtRole, claims: dict[str, Any]) -> None:
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else list(aud or [])
    if not role.bound_audiences:
        if audiences:
            raise InvalidRequest(
                "audience claim found in JWT but no audiences bound to the role"
            )
        return
    if not set(audiences) & set(role.bound_audiences):
        raise InvalidRequest(
            "error validating token: invalid audience (aud) claim: audience claim "
            "does not match any expected audience"
        )


def _check_bound_claims(role: JwtRole, claims: dict[str, Any]) -> None:
    for name, wanted in (role.bound_claims or {}).items():
        value = _claim(claims, name)
        if value is None:
            raise InvalidRequest(f'error validating claims: claim "{name}" is missing')
        allowed = wanted if isinstance(wanted, list) else [wanted]
        held = value if isinstance(value, list) else [value]
        if not {_text(v) for v in held} & {_text(a) for a in allowed}:
            raise InvalidRequest(
                f'error validating claims: claim "{name}" does not match any '
                "associated bound claim values"
            )


def _groups(role: JwtRole, claims: dict[str, Any]) -> list[str]:
    if not role.groups_claim:
        return []
    value = _claim(claims, role.groups_claim)
    if value is None:
        raise InvalidRequest(
            f'failed to fetch groups: "{role.groups_claim}" claim not found in token'
        )
    names = []
    for item in value if isinstance(value, list) else [value]:
        if not isinstance(item, str):
            raise InvalidRequest(
                f"value {_text(item)} in groups claim could not be parsed as string"
            )
        names.append(item)
    return list(dict.fromkeys(names))


def _claim(claims: dict[str, Any], name: str) -> Any:
    """A claim by name, or by JSON pointer (``/a/b``) into nested claims."""
    if not name.startswith("/"):
        return claims.get(name)
    value: Any = claims
    for part in name[1:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidRequest(
            "error validating token: time claims must be numbers"
        ) from None


def _effective(leeway: int) -> int:
    """``0`` is the default leeway, a negative value none at all."""
    if leeway < 0:
        return 0
    return leeway or DEFAULT_LEEWAY


def _leeway(value: Any, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.startswith("-"):
        return -parse_ttl(text[1:], name)
    return parse_ttl(text, name)


def _strings(value: Any) -> list[str]:
    """A list field as the real server reads it: a list, or comma-separated text."""
    if value is None or value == "":
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(v).strip() for v in items if str(v).strip()]
