"""OIDC identity tokens: the issuer setting, named signing keys, roles, and the
signed JWTs issued for an entity.

Keys are real key pairs (joserfc) kept as JWK dictionaries, so a snapshot
carries them and a restored store verifies the tokens it issued before. As on
the real server:

* the ``default`` key always exists and cannot be deleted;
* a key's pair is generated the first time a role (or provider client) refers to
  it; from then on it holds a current and a next pair, both published;
* a rotation retires the current pair, keeping its public half in the key set
  for the key's ``verification_ttl``, promotes the next pair and makes a new next;
* a key is rotated by itself once its ``rotation_period`` has passed (checked
  whenever the key is used or published);
* validation of a token allows one minute of clock skew, as go-jose does.

Not modelled: namespaces (claims say ``root``). Key material is random even
under a seed: the seed makes ids repeat, not key pairs.
"""

from __future__ import annotations

import json
import re
import string
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeyParameters, KeySet, OKPKey, RSAKey, import_key
from joserfc.util import to_bytes

from mockserver.backends._base import Randomness, load_records
from mockserver.backends.entities import EntityBackend
from mockserver.errors import InvalidRequest, NotFound
from mockserver.wire.fields import parse_duration

ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "EdDSA")
"""Signing algorithms a key may use, in the order discovery lists them."""

_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
RESTRICTED_CLAIMS = (
    "iat",
    "aud",
    "exp",
    "iss",
    "sub",
    "namespace",
    "nonce",
    "auth_time",
    "at_hash",
    "c_hash",
)
LEEWAY = 60
"""Seconds of clock skew allowed when validating ``exp``, ``iat`` and ``nbf``."""

DAY = 86400
_ALNUM = string.ascii_letters + string.digits

Clock = Callable[[], float]
GroupNames = Callable[[list[str]], list[str]]


def duration(value: int | str | None, default: int, field: str = "") -> int:
    """Seconds in ``value`` (``90``, ``"90"``, ``"1h30m"``), or ``default``.

    A refusal is worded as the real server's field decoder words it, naming
    ``field``.
    """
    if value is None or value == "":
        return default
    prefix = f'error converting input for field "{field}": '
    seconds = value if isinstance(value, int) else parse_duration(str(value).strip())
    if seconds is None:
        raise InvalidRequest(prefix + f'time: invalid duration "{value}"')
    if seconds < 0:
        raise InvalidRequest(prefix + f"cannot provide negative value '{value}'")
    return seconds


def generate_pair(algorithm: str, kid: str) -> dict[str, Any]:
    """A fresh private key for ``algorithm`` as a JWK dictionary."""
    parameters: KeyParameters = {"kid": kid, "use": "sig", "alg": algorithm}
    key: RSAKey | ECKey | OKPKey
    if algorithm.startswith("RS"):
        key = RSAKey.generate_key(2048, parameters=parameters, private=True)
    elif algorithm in _CURVES:
        key = ECKey.generate_key(_CURVES[algorithm], parameters=parameters)
    else:
        key = OKPKey.generate_key("Ed25519", parameters=parameters)
    return dict(key.as_dict(private=True))


def public_jwk(private: dict[str, Any]) -> dict[str, Any]:
    """The public half of a JWK dictionary, as the key set publishes it."""
    return dict(import_key(private).as_dict(private=False))


def _quiet() -> warnings.catch_warnings[None]:
    # joserfc flags EdDSA as superseded by RFC 9864; the real server still
    # signs with it, so the mock must too, without a warning per token.
    guard = warnings.catch_warnings()
    guard.__enter__()
    warnings.filterwarnings("ignore", message=".*deprecated via RFC 9864")
    return guard


def sign(claims: dict[str, Any], private: dict[str, Any]) -> str:
    """A compact JWS of ``claims`` with the header ``{alg, kid}``."""
    key = import_key(private)
    algorithm = str(private["alg"])
    guard = _quiet()
    try:
        return jws.serialize_compact(
            {"alg": algorithm, "kid": private["kid"]},
            json.dumps(claims, separators=(",", ":"), sort_keys=True),
            key,
            algorithms=[algorithm],
        )
    finally:
        guard.__exit__(None, None, None)


def check_issuer(issuer: str | None) -> str:
    """``issuer`` without a trailing slash; refused unless scheme, host, port."""
    issuer = (issuer or "").rstrip("/")
    if issuer and not re.fullmatch(r"https?://[^/?#\s]+", issuer):
        raise InvalidRequest(
            "invalid issuer, which must include only a scheme, host, and "
            "optional port (e.g. https://example.com:8200)"
        )
    return issuer


class TokenInvalid(Exception):
    """A JWT failed verification; the message is the real server's wording."""


def verify(
    token: str,
    keys: list[dict[str, Any]],
    *,
    now: float,
    audience: str | None = None,
) -> dict[str, Any]:
    """The claims of ``token`` if its signature, times and audience check out.

    ``keys`` are public JWK dictionaries. Raises :class:`TokenInvalid` with the
    reason the real server's introspection gives.
    """
    if token.count(".") != 2:
        raise TokenInvalid(
            "error parsing token: go-jose/go-jose: compact JWS format must have three parts"
        )
    try:
        parsed = jws.extract_compact(to_bytes(token))
        algorithm = str(parsed.protected.get("alg", ""))
        kid = parsed.protected.get("kid")
    except (JoseError, ValueError) as exc:
        raise TokenInvalid(f"error parsing token: {exc}") from None
    candidates = [k for k in keys if kid is None or k.get("kid") == kid]
    guard = _quiet()
    try:
        verified = None
        for jwk in candidates:
            if jwk.get("alg") != algorithm:
                continue
            try:
                verified = jws.deserialize_compact(
                    token, import_key(jwk), algorithms=[algorithm]
                )
                break
            except (JoseError, ValueError):
                continue
    finally:
        guard.__exit__(None, None, None)
    if verified is None:
        raise TokenInvalid("unable to validate the token signature")
    try:
        claims = json.loads(verified.payload)
    except ValueError:
        raise TokenInvalid("error parsing token claims") from None
    if not isinstance(claims, dict):
        raise TokenInvalid("error parsing token claims")
    prefix = "error validating claims: go-jose/go-jose/jwt: validation failed, "
    if audience is not None:
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        if audience not in auds:
            raise TokenInvalid(prefix + "invalid audience claim (aud)")
    if "nbf" in claims and now + LEEWAY < float(claims["nbf"]):
        raise TokenInvalid(prefix + "token not valid yet (nbf)")
    if "exp" in claims and now - LEEWAY > float(claims["exp"]):
        raise TokenInvalid(prefix + "token is expired (exp)")
    if "iat" in claims and now + LEEWAY < float(claims["iat"]):
        raise TokenInvalid(prefix + "token issued in the future (iat)")
    return claims


@dataclass(slots=True)
class Retired:
    """The public half of a rotated-out pair, published until ``expires_at``."""

    jwk: dict[str, Any]
    expires_at: float


@dataclass(slots=True)
class NamedKey:
    """A named signing key and its pairs (generated when first referenced)."""

    name: str
    algorithm: str = "RS256"
    rotation_period: int = DAY
    verification_ttl: int = DAY
    allowed_client_ids: list[str] = field(default_factory=list)
    current: dict[str, Any] | None = None
    next: dict[str, Any] | None = None
    retired: list[Retired] = field(default_factory=list)
    rotated_at: float = 0.0

    def view(self) -> dict[str, Any]:
        """The key as ``GET identity/oidc/key/{name}`` shows it."""
        return {
            "algorithm": self.algorithm,
            "allowed_client_ids": list(self.allowed_client_ids),
            "rotation_period": self.rotation_period,
            "verification_ttl": self.verification_ttl,
        }

    def allows(self, client_id: str) -> bool:
        """True when tokens for ``client_id`` may be signed with this key."""
        return "*" in self.allowed_client_ids or client_id in self.allowed_client_ids


@dataclass(slots=True)
class Role:
    """A role: which key signs its tokens, their lifetime and extra claims."""

    name: str
    key: str
    client_id: str
    template: str = ""
    ttl: int = DAY

    def view(self) -> dict[str, Any]:
        """The role as ``GET identity/oidc/role/{name}`` shows it."""
        return {
            "client_id": self.client_id,
            "key": self.key,
            "template": self.template,
            "ttl": self.ttl,
        }


_PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")
_KNOWN = re.compile(
    r"identity\.entity\.(id|name|metadata(\.[^.]+)?|groups\.(ids|names)"
    r"|aliases\.[^.]+\.(id|name|(custom_)?metadata(\.[^.]+)?))"
    r"|time\.now(\.(plus|minus)\.\w+)?"
)


def check_template(template: str) -> dict[str, Any]:
    """Refuse a template the real server refuses; return its parsed shape."""
    if not template:
        return {}
    probe = _PLACEHOLDER.sub("null", template)
    try:
        parsed = json.loads(probe)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"error parsing template JSON: {exc.msg}") from None
    if not isinstance(parsed, dict):
        raise InvalidRequest("error parsing template JSON: template is not an object")
    for match in _PLACEHOLDER.finditer(template):
        if not _KNOWN.fullmatch(match.group(1)):
            raise InvalidRequest(
                "error parsing template: no value could be found for one of "
                "the template directives"
            )
    for claim in parsed:
        if claim in RESTRICTED_CLAIMS:
            raise InvalidRequest(
                f'top level key "{claim}" not allowed. Restricted keys: '
                + ", ".join(RESTRICTED_CLAIMS)
            )
    return parsed


class OIDCBackend:
    """State of the OIDC token family. Method names follow the operationIds."""

    def __init__(self, randomness: Randomness, entities: EntityBackend) -> None:
        self._random = randomness
        self._entities = entities
        self.clock: Clock = time.time
        """Wall clock for token times; tests move it to expire tokens."""
        self.group_names: GroupNames = lambda ids: []
        """Names of the given group ids (wired to the group family when present)."""
        self.key_users: Callable[[str], list[str]] = lambda name: []
        """Names of provider clients using a key (wired by the provider backend)."""
        self.issuer = ""
        self.keys: dict[str, NamedKey] = {}
        self.roles: dict[str, Role] = {}
        self.reset()

    # -- state contract -------------------------------------------------------

    def reset(self) -> None:
        """Back to the issuer unset, only the ``default`` key, no roles."""
        self.issuer = ""
        self.keys = {"default": NamedKey(name="default", allowed_client_ids=["*"])}
        self.roles = {}

    def snapshot(self) -> dict[str, Any]:
        """Issuer, keys (private JWKs included) and roles as plain data."""
        return {
            "issuer": self.issuer,
            "keys": [asdict(k) for k in self.keys.values()],
            "roles": [asdict(r) for r in self.roles.values()],
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the state with a snapshot's."""
        issuer = data["issuer"]
        if type(issuer) is not str:
            raise ValueError(
                f"oidc: 'issuer' must be a string, not {type(issuer).__name__}"
            )
        self.issuer = issuer
        self.keys = {}
        for key in load_records(NamedKey, data, "keys", "oidc: key {}"):
            self.keys[key.name] = key
        self.roles = {}
        for role in load_records(Role, data, "roles", "oidc: role {}"):
            self.roles[role.name] = role

    def check(self) -> None:
        """Every role signs with a key that exists."""
        for role in self.roles.values():
            if role.key not in self.keys:
                raise ValueError(
                    f"oidc: role {role.name!r} uses key {role.key!r}, which does "
                    "not exist"
                )

    # -- issuer ---------------------------------------------------------------

    def oidc_configure(self, issuer: str | None) -> bool:
        """Set (or with ``""`` clear) the issuer; True when one is now set."""
        issuer = check_issuer(issuer)
        self.issuer = issuer
        return bool(issuer)

    def oidc_read_configuration(self) -> dict[str, Any]:
        """``{"issuer": ...}`` as set (empty when derived from the request)."""
        return {"issuer": self.issuer}

    def issuer_for(self, base_url: str) -> str:
        """The token issuer: the configured one, else the request's own address."""
        return (self.issuer or base_url.rstrip("/")) + "/v1/identity/oidc"

    # -- keys -----------------------------------------------------------------

    def oidc_write_key(
        self,
        name: str,
        *,
        algorithm: str | None = None,
        rotation_period: int | str | None = None,
        verification_ttl: int | str | None = None,
        allowed_client_ids: list[str] | None = None,
    ) -> NamedKey:
        """Create or update the key ``name``; absent fields keep their value."""
        existing = self.keys.get(name)
        key = existing or NamedKey(name=name)
        algorithm = algorithm or key.algorithm
        if algorithm not in ALGORITHMS:
            raise InvalidRequest(f'unknown signing algorithm "{algorithm}"')
        period = duration(rotation_period, key.rotation_period, "rotation_period")
        ttl = duration(verification_ttl, key.verification_ttl, "verification_ttl")
        if period < 60:
            raise InvalidRequest("rotation_period must be at least one minute")
        if ttl > 10 * period:
            raise InvalidRequest(
                "verification_ttl cannot be longer than 10x rotation_period"
            )
        for role in self.roles.values():
            if role.key == name and role.ttl > ttl:
                raise InvalidRequest(
                    "unable to update key "
                    f'"{name}" because it is currently referenced by one or more '
                    "roles with a token ttl greater than "
                    f"{ttl} seconds"
                )
        changed_algorithm = algorithm != key.algorithm
        key.algorithm = algorithm
        key.rotation_period = period
        key.verification_ttl = ttl
        if allowed_client_ids is not None:
            key.allowed_client_ids = list(allowed_client_ids)
        self.keys[name] = key
        if changed_algorithm and key.current is not None:
            self._rotate(key, key.verification_ttl, regenerate=True)
        return key

    def oidc_read_key(self, name: str) -> NamedKey:
        """The key ``name``, or :class:`NotFound`."""
        key = self.keys.get(name)
        if key is None:
            raise NotFound()
        return key

    def oidc_list_keys(self) -> list[str]:
        """Key names; never empty since ``default`` always exists."""
        return sorted(self.keys)

    def oidc_delete_key(self, name: str) -> None:
        """Delete an unreferenced key; ``default`` stays."""
        if name == "default":
            raise InvalidRequest(f'deletion of key "{name}" not allowed')
        if name not in self.keys:
            return
        roles = sorted(r.name for r in self.roles.values() if r.key == name)
        if roles:
            raise InvalidRequest(
                f'unable to delete key "{name}" because it is currently '
                f"referenced by these roles: {', '.join(roles)}"
            )
        clients = self.key_users(name)
        if clients:
            raise InvalidRequest(
                f'unable to delete key "{name}" because it is currently '
                f"referenced by these clients: {', '.join(clients)}"
            )
        del self.keys[name]

    def oidc_rotate_key(
        self, name: str, verification_ttl: int | str | None = None
    ) -> None:
        """Rotate ``name`` now, keeping the old public key for its ttl."""
        key = self.keys.get(name)
        if key is None:
            raise InvalidRequest(f'no named key found at "{name}"')
        ttl = duration(verification_ttl, key.verification_ttl, "verification_ttl")
        if key.current is None:
            self.ensure_pairs(key)
        self._rotate(key, ttl)

    def ensure_pairs(self, key: NamedKey) -> None:
        """Generate the key's pairs if it has none; rotate it if it is due."""
        now = self.clock()
        if key.current is None or key.next is None:
            key.current = generate_pair(key.algorithm, self._random.uuid())
            key.next = generate_pair(key.algorithm, self._random.uuid())
            key.rotated_at = now
        elif now >= key.rotated_at + key.rotation_period:
            self._rotate(key, key.verification_ttl)

    def _rotate(self, key: NamedKey, ttl: int, *, regenerate: bool = False) -> None:
        now = self.clock()
        if key.current is not None:
            key.retired.append(Retired(public_jwk(key.current), now + ttl))
        if regenerate or key.next is None:
            if key.next is not None:
                key.retired.append(Retired(public_jwk(key.next), now + ttl))
            key.current = generate_pair(key.algorithm, self._random.uuid())
        else:
            key.current = key.next
        key.next = generate_pair(key.algorithm, self._random.uuid())
        key.rotated_at = now

    def public_keys(self, names: list[str] | None = None) -> list[dict[str, Any]]:
        """The published key set: every generated pair and unexpired retiree."""
        now = self.clock()
        published: list[dict[str, Any]] = []
        for key in self.keys.values():
            if names is not None and key.name not in names:
                continue
            if key.current is None:
                continue
            self.ensure_pairs(key)
            key.retired = [r for r in key.retired if r.expires_at > now]
            published.extend(r.jwk for r in key.retired)
            for pair in (key.current, key.next):
                if pair is not None:
                    published.append(public_jwk(pair))
        return published

    def key_set(self) -> KeySet:
        """The published keys as a joserfc :class:`KeySet`."""
        return KeySet.import_key_set({"keys": self.public_keys()})

    # -- roles ----------------------------------------------------------------

    def oidc_write_role(
        self,
        name: str,
        *,
        key: str | None = None,
        template: str | None = None,
        ttl: int | str | None = None,
        client_id: str | None = None,
    ) -> Role:
        """Create or update the role ``name``; absent fields keep their value."""
        existing = self.roles.get(name)
        key_name = key if key is not None else (existing.key if existing else "")
        if not key_name:
            raise InvalidRequest("the key parameter is required")
        named = self.keys.get(key_name)
        if named is None:
            raise InvalidRequest(f'cannot find key "{key_name}"')
        text = (
            template
            if template is not None
            else (existing.template if existing else "")
        )
        check_template(text)
        lifetime = duration(ttl, existing.ttl if existing else DAY, "ttl")
        if lifetime > named.verification_ttl:
            raise InvalidRequest(
                "a role's token ttl cannot be longer than the verification_ttl "
                "of the key it references"
            )
        role = existing or Role(
            name=name, key=key_name, client_id=client_id or self.client_id()
        )
        role.key = key_name
        role.template = text
        role.ttl = lifetime
        if client_id:
            role.client_id = client_id
        self.roles[name] = role
        self.ensure_pairs(named)
        return role

    def oidc_read_role(self, name: str) -> Role:
        """The role ``name``, or :class:`NotFound`."""
        role = self.roles.get(name)
        if role is None:
            raise NotFound()
        return role

    def oidc_list_roles(self) -> list[str]:
        """Role names; none is :class:`NotFound`."""
        if not self.roles:
            raise NotFound()
        return sorted(self.roles)

    def oidc_delete_role(self, name: str) -> None:
        """Delete a role; a missing one is not an error."""
        self.roles.pop(name, None)

    def client_id(self) -> str:
        """A 26-character alphanumeric client id, as the server generates."""
        return "".join(_ALNUM[int(self._random.hex(2), 16) % 62] for _ in range(26))

    # -- tokens ---------------------------------------------------------------

    def oidc_generate_token(
        self, role_name: str, entity_id: str, base_url: str
    ) -> tuple[str, Role]:
        """A signed ID token of role ``role_name`` for the entity ``entity_id``."""
        role = self.roles.get(role_name)
        if role is None:
            raise InvalidRequest(f'role "{role_name}" not found')
        if not entity_id:
            raise InvalidRequest("no entity associated with the request's token")
        entity = self._entities.entities.get(entity_id)
        if entity is None:
            raise InvalidRequest("no entity associated with the request's token")
        key = self.keys.get(role.key)
        if key is None:
            raise InvalidRequest(f'cannot find key "{role.key}"')
        if not key.allows(role.client_id):
            raise InvalidRequest(
                f'the key "{key.name}" does not list the client ID of the role '
                f'"{role.name}" as an allowed client ID'
            )
        self.ensure_pairs(key)
        assert key.current is not None
        now = int(self.clock())
        claims: dict[str, Any] = self.template_claims(role.template, entity_id, now)
        claims.update(
            {
                "aud": role.client_id,
                "exp": now + role.ttl,
                "iat": now,
                "iss": self.issuer_for(base_url),
                "namespace": "root",
                "sub": entity_id,
            }
        )
        return sign(claims, key.current), role

    def oidc_introspect(
        self, token: str | None, client_id: str | None = None
    ) -> dict[str, Any]:
        """``{"active": true}``, or ``false`` with the reason."""
        try:
            claims = verify(
                token or "",
                self.public_keys(),
                now=self.clock(),
                audience=client_id or None,
            )
        except TokenInvalid as exc:
            return {"active": False, "error": str(exc)}
        subject = claims.get("sub")
        if isinstance(subject, str) and subject not in self._entities.entities:
            return {"active": False, "error": "entity was not found"}
        return {"active": True}

    # -- templates ------------------------------------------------------------

    def template_claims(
        self, template: str, entity_id: str, now: int
    ) -> dict[str, Any]:
        """The claims ``template`` renders to for ``entity_id``."""
        if not template:
            return {}
        values = self.template_values(entity_id, now)

        def render(match: re.Match[str]) -> str:
            return json.dumps(resolve_placeholder(match.group(1), values, now))

        rendered = _PLACEHOLDER.sub(render, template)
        try:
            parsed = json.loads(rendered)
        except json.JSONDecodeError as exc:
            raise InvalidRequest(f"error parsing template JSON: {exc.msg}") from None
        return parsed if isinstance(parsed, dict) else {}

    def template_values(self, entity_id: str, now: int) -> dict[str, Any]:
        """What placeholders of the form ``identity.entity.*`` resolve to."""
        entity = self._entities.entities[entity_id]
        direct, inherited = self._entities.groups_of(entity_id)
        group_ids = list(dict.fromkeys(direct + inherited))
        aliases = {
            a.mount_accessor: {
                "id": a.id,
                "name": a.name,
                "metadata": dict(a.metadata or {}),
                "custom_metadata": dict(a.custom_metadata or {}),
            }
            for a in self._entities.aliases.values()
            if a.canonical_id == entity_id
        }
        return {
            "identity.entity.id": entity.id,
            "identity.entity.name": entity.name,
            "identity.entity.metadata": dict(entity.metadata or {}),
            # No groups renders as null on the real server, not as [].
            "identity.entity.groups.ids": group_ids or None,
            "identity.entity.groups.names": self.group_names(group_ids) or None,
            "identity.entity.aliases": aliases,
        }


def resolve_placeholder(path: str, values: dict[str, Any], now: int) -> Any:
    """The value of one ``{{ ... }}`` placeholder; unknown ones render empty."""
    if path in values:
        return values[path]
    if path.startswith("identity.entity.metadata."):
        return values["identity.entity.metadata"].get(path.rsplit(".", 1)[1], "")
    if path.startswith("identity.entity.aliases."):
        rest = path[len("identity.entity.aliases.") :]
        accessor, _, attribute = rest.partition(".")
        alias = values["identity.entity.aliases"].get(accessor)
        if alias is None:
            return ""
        if attribute.startswith("metadata."):
            return alias["metadata"].get(attribute.split(".", 1)[1], "")
        if attribute.startswith("custom_metadata."):
            return alias["custom_metadata"].get(attribute.split(".", 1)[1], "")
        return alias.get(attribute, "")
    if path == "time.now":
        return now
    match = re.fullmatch(r"time\.now\.(plus|minus)\.(\w+)", path)
    if match:
        seconds = parse_duration(match.group(2)) or 0
        return now + seconds if match.group(1) == "plus" else now - seconds
    return ""
