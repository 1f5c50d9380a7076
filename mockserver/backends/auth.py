"""The auth surface clients need: token creation and lookup, and logins.

:class:`AuthBackend` holds no state of its own. It ties the token, policy,
userpass, approle and jwt backends to the identity store the way the real server
does: a login finds or creates the entity that owns the alias for (mount, login
name), and the token it returns is tied to that entity; a token created through
a token role with ``entity_alias`` is tied the same way, through an alias on the
``token/`` mount. A jwt login also sets the entity's memberships among the
external groups aliased on its mount to the groups its token claims. The policies an entity draws from itself and its groups show up
as ``identity_policies`` of its tokens.
"""

from __future__ import annotations

import re
import time
from typing import Any

from mockserver.backends.approle import ApproleBackend
from mockserver.backends.entities import Entity, EntityBackend
from mockserver.backends.groups import GroupBackend
from mockserver.backends.jwtauth import JwtBackend
from mockserver.backends.mounts import Mount, MountBackend
from mockserver.backends.policies import DEFAULT, ROOT, PolicyBackend
from mockserver.backends.tokens import (
    DEFAULT_TTL,
    Token,
    TokenBackend,
    TokenRole,
    parse_ttl,
    rfc3339,
)
from mockserver.backends.userpass import TokenSettings, UserpassBackend
from mockserver.errors import InvalidRequest, PermissionDenied, RequestError

_DISPLAY_UNSAFE = re.compile(r"[^a-zA-Z0-9-]")

JWT_TYPES = ("jwt", "oidc")
"""Mount types served by the jwt auth method (one plugin under two names)."""


class AuthBackend:
    """Token creation, lookup and revocation, and the login flows."""

    def __init__(
        self,
        *,
        mounts: MountBackend,
        tokens: TokenBackend,
        entities: EntityBackend,
        groups: GroupBackend,
        policies: PolicyBackend,
        userpass: UserpassBackend,
        approle: ApproleBackend,
        jwt: JwtBackend | None = None,
    ) -> None:
        self._mounts = mounts
        self._tokens = tokens
        self._entities = entities
        self._groups = groups
        self._policies = policies
        self.userpass = userpass
        self.approle = approle
        self.jwt = jwt if jwt is not None else JwtBackend()

    # -- tokens ---------------------------------------------------------------

    def token_create(
        self,
        caller: Token,
        fields: dict[str, Any],
        *,
        role_name: str | None = None,
        orphan: bool = False,
    ) -> tuple[Token, list[str]]:
        """Create a token as ``caller`` would; returns it and the warnings."""
        role: TokenRole | None = None
        if role_name is not None:
            role = self._tokens.roles.get(role_name)
            if role is None:
                raise InvalidRequest(f"unknown role {role_name}")
        alias_name = fields.get("entity_alias")
        if alias_name and role is None:
            raise InvalidRequest(
                "'entity_alias' is only allowed in combination with token role"
            )
        if fields.get("type") == "batch" or (role and role.token_type == "batch"):
            raise InvalidRequest(
                "vaultmock does not model batch tokens: create a service token "
                "(leave 'type' out), or run this test against a real server"
            )
        ttl = parse_ttl(fields.get("ttl") or fields.get("lease"))
        period = parse_ttl(fields.get("period"), "period") or (
            role.token_period if role else 0
        )
        if period:
            # A periodic token lives one period at a time.
            ttl = period
        explicit_max = parse_ttl(fields.get("explicit_max_ttl"), "explicit_max_ttl")
        if role and role.token_explicit_max_ttl:
            explicit_max = min(
                explicit_max or role.token_explicit_max_ttl, role.token_explicit_max_ttl
            )
        no_default = bool(fields.get("no_default_policy")) or bool(
            role and role.token_no_default_policy
        )
        policies = self._token_policies(
            caller, fields.get("policies"), role, no_default
        )
        if ttl == 0 and policies != [ROOT]:
            ttl = DEFAULT_TTL
        display = str(fields.get("display_name") or "").strip()
        display_name = "token"
        if display:
            display_name = _DISPLAY_UNSAFE.sub("-", f"token-{display}").rstrip("-")
        entity_id = ""
        if alias_name:
            assert role is not None
            if not role.allows_alias(alias_name):
                raise InvalidRequest("invalid 'entity_alias' value")
            entity_id = self._entity_for(self._token_mount(), alias_name)
        renewable = fields.get("renewable")
        token = self._tokens.issue(
            policies=policies,
            parent=caller,
            ttl=ttl,
            id=fields.get("id") or None,
            display_name=display_name,
            entity_id=entity_id,
            meta=fields.get("meta"),
            path=f"auth/token/create/{role.name}" if role else "auth/token/create",
            orphan=orphan
            or bool(fields.get("no_parent"))
            or bool(role and role.orphan),
            renewable=(role.renewable if role else True)
            if renewable is None
            else bool(renewable),
            num_uses=int(fields.get("num_uses") or 0),
            explicit_max_ttl=explicit_max,
            role=role.name if role else "",
        )
        warnings = []
        if fields.get("id"):
            warnings.append(
                "Supplying a custom ID for the token uses the weaker SHA1 hashing "
                "instead of the more secure SHA2-256 HMAC for token obfuscation. SHA1 "
                "hashed tokens on the wire leads to less secure lookups."
            )
        warnings += [
            f'Policy "{p}" does not exist'
            for p in policies
            if p not in (DEFAULT, ROOT) and not self._policies.exists(p)
        ]
        return token, warnings

    def _token_policies(
        self,
        caller: Token,
        requested: list[str] | None,
        role: TokenRole | None,
        no_default: bool,
    ) -> list[str]:
        if requested is None:
            if role and role.allowed_policies:
                chosen = list(role.allowed_policies)
            else:
                chosen = [
                    p for p in caller.policies if not (no_default and p == DEFAULT)
                ]
        else:
            chosen = [p.strip() for p in requested if p.strip()]
        policies = sorted(set(chosen))
        if ROOT not in policies and not no_default and DEFAULT not in policies:
            policies = sorted([*policies, DEFAULT])
        if role and role.allowed_policies:
            allowed = sorted({*role.allowed_policies, DEFAULT})
            if not set(policies) <= set(allowed):
                raise InvalidRequest(
                    f"token policies ({_go_list(policies)}) must be subset of the "
                    f"role's allowed policies ({_go_list(allowed)}) or glob "
                    "policies ([])"
                )
        if role and role.disallowed_policies:
            refused = sorted(set(policies) & set(role.disallowed_policies))
            if refused:
                raise InvalidRequest(
                    f"token policy ({_go_list(refused)}) is disallowed by this role"
                )
        return policies

    def token_lookup(self, caller: Token, token_id: str | None) -> Token:
        """The token ``token_id`` (the caller's own when empty); unknown is 403."""
        if not token_id:
            return caller
        token = self._tokens.find(token_id)
        if token is None:
            raise RequestError("bad token", status=403)
        return token

    def token_revoke(self, token_id: str | None) -> None:
        """Revoke a token and its children; an unknown token is not an error."""
        if not token_id:
            raise InvalidRequest("missing token ID")
        self._tokens.revoke(token_id)

    def identity_policies(self, token: Token) -> list[str]:
        """The policies the token's entity holds itself and through its groups."""
        entity = self._entities.entities.get(token.entity_id)
        if entity is None:
            return []
        return sorted(
            {*entity.policies, *self._groups.identity_policies(token.entity_id)}
        )

    def token_entity(self, token: Token) -> Entity | None:
        """The entity a token acts as: the one it is tied to, or, once that one
        was merged into another, the entity it was merged into; None for a
        token without an entity or whose entity was deleted."""
        if not token.entity_id:
            return None
        entity = self._entities.entities.get(token.entity_id)
        if entity is not None:
            return entity
        return next(
            (
                e
                for e in self._entities.entities.values()
                if token.entity_id in (e.merged_entity_ids or ())
            ),
            None,
        )

    def identity_policies_shown(self, token: Token) -> list[str]:
        """The identity policies as a token lookup lists them: the entity's own,
        sorted, then its groups', sorted (a name held both ways shows twice)."""
        entity = self.token_entity(token)
        if entity is None:
            return []
        return [
            *sorted(set(entity.policies)),
            *self._groups.identity_policies(entity.id),
        ]

    def token_view(self, token: Token) -> dict[str, Any]:
        """The token as the real server's lookup answers it."""
        now = time.time()
        view: dict[str, Any] = {
            "accessor": token.accessor,
            "creation_time": int(token.issued_at),
            "creation_ttl": token.ttl,
            "display_name": token.display_name,
            "entity_id": token.entity_id,
            "expire_time": rfc3339(token.expires_at) if token.expires_at else None,
            "explicit_max_ttl": token.explicit_max_ttl,
            "id": token.id,
            "issue_time": rfc3339(token.issued_at),
            "meta": dict(token.meta) if token.meta is not None else None,
            "num_uses": token.num_uses,
            "orphan": token.orphan,
            "path": token.path,
            "policies": list(token.policies),
            "renewable": token.renewable,
            "ttl": token.remaining(now),
            "type": "service",
        }
        identity = self.identity_policies_shown(token)
        if identity:
            view["external_namespace_policies"] = {}
            view["identity_policies"] = identity
        if token.role:
            view["role"] = token.role
        return view

    def auth_view(self, token: Token) -> dict[str, Any]:
        """The ``auth`` member of a create or login answer."""
        identity = self.identity_policies(token)
        view: dict[str, Any] = {
            "client_token": token.id,
            "accessor": token.accessor,
            "policies": sorted({*token.policies, *identity}),
            "token_policies": list(token.policies),
        }
        if identity:
            view["identity_policies"] = identity
        view.update(
            metadata=dict(token.meta) if token.meta is not None else None,
            lease_duration=token.ttl,
            renewable=token.renewable,
            entity_id=token.entity_id,
            token_type="service",
            orphan=token.orphan,
            mfa_requirement=None,
            num_uses=token.num_uses,
        )
        return view

    # -- logins ---------------------------------------------------------------

    def userpass_login(self, path: str, username: str, password: str | None) -> Token:
        """Log in as a userpass user; returns a token tied to its entity."""
        mount = self.mount("userpass", path)
        user = self.userpass.check_login(mount.accessor, username, password)
        return self._login(
            mount,
            alias_name=user.name,
            settings=user.token,
            meta={"username": user.name},
            display=user.name,
            path=f"auth/{mount.path}login/{user.name}",
        )

    def approle_login(
        self, path: str, role_id: str | None, secret_id: str | None
    ) -> Token:
        """Log in with an approle role id and secret id."""
        mount = self.mount("approle", path)
        role, metadata = self.approle.check_login(mount.accessor, role_id, secret_id)
        return self._login(
            mount,
            alias_name=role.role_id,
            settings=role.token,
            meta=metadata,
            display="",
            path=f"auth/{mount.path}login",
        )

    def jwt_login(self, path: str, role: str | None, jwt: str | None) -> Token:
        """Log in with a signed JSON Web Token through a ``jwt`` (or ``oidc``)
        mount; the entity joins the external groups its groups claim names."""
        kind = self.mount_type(path)
        mount = self.mount(kind if kind in JWT_TYPES else "jwt", path)
        login = self.jwt.check_login(mount.accessor, role, jwt)
        token = self._login(
            mount,
            alias_name=login.alias_name,
            settings=login.role.token,
            meta=login.metadata,
            display=login.alias_name,
            path=f"auth/{mount.path}login",
        )
        group_ids = []
        for name in login.group_names:
            alias = self._groups.alias_by_mount_and_name(mount.accessor, name)
            if alias is not None:
                group_ids.append(alias.canonical_id)
        self._groups.set_external_memberships(
            token.entity_id, mount.accessor, group_ids
        )
        return token

    def mount_type(self, path: str) -> str | None:
        """The type of the auth method enabled at ``path``; None for none."""
        mount = self._mounts.mounts.get(path.strip("/") + "/")
        return mount.type if mount is not None else None

    def mount(self, kind: str, path: str) -> Mount:
        """The ``kind`` mount at ``path``, or the real server's answer for none.

        An unmounted path is a ``403`` (the request reaches no backend that would
        let it through); a mount of another type has no such path (``404``).
        """
        key = path.strip("/") + "/"
        mount = self._mounts.mounts.get(key)
        if mount is None:
            raise PermissionDenied()
        if mount.type != kind:
            raise RequestError(
                "1 error occurred:\n\t* unsupported path\n\n", status=404
            )
        return mount

    def _login(
        self,
        mount: Mount,
        *,
        alias_name: str,
        settings: TokenSettings,
        meta: dict[str, str],
        display: str,
        path: str,
    ) -> Token:
        # Approle and jwt logins' aliases carry the login metadata; userpass's none.
        alias_meta = meta if mount.type in ("approle", *JWT_TYPES) else None
        entity_id = self._entity_for(mount, alias_name, alias_meta)
        if self._entities.entities[entity_id].disabled:
            raise PermissionDenied()
        policies = sorted(set(settings.token_policies))
        if not settings.token_no_default_policy and DEFAULT not in policies:
            policies = sorted([*policies, DEFAULT])
        ttl = settings.token_ttl or DEFAULT_TTL
        if settings.token_max_ttl:
            ttl = min(ttl, settings.token_max_ttl)
        prefix = mount.path.strip("/").replace("/", "-")
        return self._tokens.issue(
            policies=policies,
            parent=None,
            ttl=ttl,
            display_name=f"{prefix}-{display}" if display else prefix,
            entity_id=entity_id,
            meta=meta,
            path=path,
            orphan=True,
            renewable=True,
            num_uses=settings.token_num_uses,
            explicit_max_ttl=settings.token_explicit_max_ttl,
        )

    def _token_mount(self) -> Mount:
        return self._mounts.mounts["token/"]

    def _entity_for(
        self, mount: Mount, alias_name: str, metadata: dict[str, str] | None = None
    ) -> str:
        """The entity owning (mount, alias name); a new one if nobody does."""
        return self._entities.login_alias(
            mount.accessor, alias_name, metadata
        ).canonical_id


def _go_list(values: list[str]) -> str:
    return "[" + " ".join(f'"{v}"' for v in values) + "]"
