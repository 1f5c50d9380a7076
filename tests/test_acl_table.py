"""Policy enforcement, table-driven, against the mock and a real ``bao server -dev``.

Every row of :data:`CASES` is one request: made with a token holding some set of
policies (or logged in as a userpass user tied to an entity), it must be allowed
or refused (``403 permission denied``) the same way on both servers, and as the
row says. The rows cover exact paths, ``*`` globs, ``+`` wildcards, their
precedence, ``deny``, merged rules, ``create`` against ``update`` (existence
checks), ``sudo``, parameter constraints, wrapping TTL bounds, policies inherited
from the entity and its groups (through parent groups), templated paths, and
disabled, deleted and merged entities, and external groups joined through
group aliases by a jwt login whose groups claim names them.

Both servers are given the same world once per session (:func:`build_world`);
the rows do not depend on each other, so they may run in any order and on any
xdist worker. "Allowed" means anything but a ``403``: an allowed read of a
missing item answers ``404``, which is fine.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey
from realserver import RealServer

from mockserver.config import ServerConfig
from mockserver.server import MockServer

ALLOW = "allow"
DENY = "deny"

POLICIES: dict[str, str] = {
    "glob-read": 'path "identity/entity/name/*" { capabilities = ["read"] }',
    "exact-read": 'path "identity/entity/name/alpha" { capabilities = ["read"] }',
    "deny-alpha": 'path "identity/entity/name/alpha" { capabilities = ["deny"] }',
    "deny-glob": 'path "identity/entity/name/*" { capabilities = ["deny"] }',
    "plus-read": 'path "identity/+/name/alpha" { capabilities = ["read"] }',
    "plus-deny": 'path "identity/+/name/alpha" { capabilities = ["deny"] }',
    "name-a-glob": 'path "identity/entity/name/a*" { capabilities = ["read"] }',
    "name-plus-deny": 'path "identity/entity/name/+" { capabilities = ["deny"] }',
    "plus-glob": 'path "identity/+/id/*" { capabilities = ["read"] }',
    "two-plus": 'path "identity/+/id/+" { capabilities = ["read"] }',
    "one-plus-deny": 'path "identity/entity/id/+" { capabilities = ["deny"] }',
    "literal-star": 'path "identity/group/name/a*b/c" { capabilities = ["read"] }',
    "group-read": 'path "identity/group/name/*" { capabilities = ["read"] }',
    "group-list": 'path "identity/group/name/*" { capabilities = ["list"] }',
    "group-deny": 'path "identity/group/name/*" { capabilities = ["deny"] }',
    "list-bare": 'path "identity/entity/id" { capabilities = ["list"] }',
    "list-slash": 'path "identity/group/id/" { capabilities = ["list"] }',
    "create-entity": 'path "identity/entity" { capabilities = ["create"] }',
    "update-entity": 'path "identity/entity" { capabilities = ["update"] }',
    "create-roles": 'path "auth/token/roles/*" { capabilities = ["create"] }',
    "update-roles": 'path "auth/token/roles/*" { capabilities = ["update"] }',
    "create-keys": 'path "identity/oidc/key/*" { capabilities = ["create"] }',
    "sys-auth": 'path "sys/auth/*" { capabilities = ["create", "update", "delete"] }',
    "sys-auth-sudo": (
        'path "sys/auth/*" { capabilities = ["create", "update", "delete", "sudo"] }'
    ),
    "sys-auth-list": 'path "sys/auth" { capabilities = ["read"] }',
    "policy-admin": 'path "sys/policies/acl/*" { capabilities = ["create", "update"] }',
    "allowed-params": """
        path "identity/entity/name/*" {
          capabilities = ["create", "update"]
          allowed_parameters = {
            "metadata" = []
            "policies" = ["p1", "p2"]
          }
        }""",
    "glob-params": """
        path "identity/entity/name/*" {
          capabilities = ["update"]
          allowed_parameters = { "policies" = ["team-*"] }
        }""",
    "any-param-but": """
        path "identity/group/name/*" {
          capabilities = ["update"]
          allowed_parameters = { "*" = [] }
          denied_parameters = { "type" = ["external"] }
        }""",
    "no-params": """
        path "identity/group/name/*" {
          capabilities = ["update"]
          denied_parameters = { "*" = [] }
        }""",
    "required-params": """
        path "identity/group/name/*" {
          capabilities = ["update", "read"]
          required_parameters = ["metadata"]
        }""",
    "plain-update": 'path "identity/group/name/*" { capabilities = ["update"] }',
    "wrapped-only": """
        path "identity/entity/name/*" {
          capabilities = ["read"]
          min_wrapping_ttl = "30s"
          max_wrapping_ttl = "2m"
        }""",
    "json-form": '{"path": {"identity/oidc/key/*": {"capabilities": ["read"]}}}',
    "shorthand-write": 'path "identity/group/name/*" { policy = "write" }',
    "repeated-blocks": """
        path "identity/group/name/*" { capabilities = ["read"] }
        path "identity/group/name/*" { capabilities = ["update"] }""",
    "ent-pol": 'path "identity/entity/name/by-entity" { capabilities = ["read"] }',
    "child-pol": 'path "identity/entity/name/by-child" { capabilities = ["read"] }',
    "parent-pol": 'path "identity/entity/name/by-parent" { capabilities = ["read"] }',
    "top-pol": 'path "identity/entity/name/by-top" { capabilities = ["read"] }',
    "other-pol": 'path "identity/entity/name/by-other" { capabilities = ["read"] }',
    "later-pol": 'path "identity/entity/name/by-later" { capabilities = ["read"] }',
    "identity-all": 'path "identity/*" { capabilities = ["read", "update"] }',
    "ext-pol": 'path "identity/entity/name/by-ext" { capabilities = ["read"] }',
    "ext-parent-pol": (
        'path "identity/entity/name/by-ext-parent" { capabilities = ["read"] }'
    ),
    "unclaimed-pol": (
        'path "identity/entity/name/by-unclaimed" { capabilities = ["read"] }'
    ),
    "tpl": """
        path "identity/entity/id/{{identity.entity.id}}" {
          capabilities = ["update"]
        }
        path "identity/entity/name/{{identity.entity.name}}-x" {
          capabilities = ["read"]
        }
        path "identity/group/name/{{identity.entity.metadata.team}}" {
          capabilities = ["read"]
        }
        path "identity/group/id/{{identity.groups.names.grp-tpl.id}}" {
          capabilities = ["read"]
        }
        path "identity/group/name/{{identity.groups.ids.@GRP_TPL@.name}}-g" {
          capabilities = ["read"]
        }
        path "identity/entity-alias/id/{{identity.entity.aliases.@USERPASS@.id}}" {
          capabilities = ["read"]
        }
        path "identity/oidc/key/{{identity.entity.aliases.@USERPASS@.name}}" {
          capabilities = ["read"]
        }
        path "identity/entity/name/nokey-{{identity.entity.metadata.nokey}}" {
          capabilities = ["read"]
        }
        path "identity/oidc/role/{{identity.groups.names.grp-parent.id}}" {
          capabilities = ["read"]
        }""",
}
"""Named policies written on both servers, with ``@NAME@`` markers for ids."""


@dataclass(frozen=True)
class Case:
    """One request and the verdict both servers must give."""

    id: str
    token: tuple[str, ...] | str
    """Policy names (a token made by root), or ``@user`` (a userpass login)."""
    method: str
    path: str
    expected: str
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    before: tuple[tuple[str, str, dict[str, Any] | None], ...] = ()
    """Requests made as root first (on a part of the world this case owns)."""


# One row per line reads as a table.
# fmt: off
CASES: tuple[Case, ...] = (
    # -- exact, glob and + paths --------------------------------------------------
    Case("glob-matches", ("glob-read",), "GET", "identity/entity/name/beta", ALLOW),
    Case("glob-other-path", ("glob-read",), "GET", "identity/group/name/b", DENY),
    Case("glob-wrong-capability", ("glob-read",), "DELETE", "identity/entity/name/b", DENY),
    Case("exact-matches", ("exact-read",), "GET", "identity/entity/name/alpha", ALLOW),
    Case("exact-is-exact", ("exact-read",), "GET", "identity/entity/name/alphab", DENY),
    Case("no-policy-no-access", (), "GET", "identity/entity/name/alpha", DENY),
    Case("plus-one-segment", ("plus-read",), "GET", "identity/group/name/alpha", ALLOW),
    Case("plus-not-two-segments", ("plus-read",), "GET", "identity/a/b/name/alpha", DENY),
    Case("plus-glob", ("plus-glob",), "GET", "identity/entity/id/x/y", ALLOW),
    Case("plus-glob-other", ("plus-glob",), "GET", "identity/entity/name/x", DENY),
    Case("two-plus", ("two-plus",), "GET", "identity/group/id/abc", ALLOW),
    Case("two-plus-too-deep", ("two-plus",), "GET", "identity/group/id/a/b", DENY),
    Case("star-inside-is-literal", ("literal-star",), "GET", "identity/group/name/a*b/c", ALLOW),
    Case("star-inside-no-glob", ("literal-star",), "GET", "identity/group/name/axb/c", DENY),
    Case("unknown-path-denied", ("glob-read",), "GET", "identity/nothing/here", DENY),
    Case("no-mount-denied", ("glob-read",), "GET", "nosuchmount/x", DENY),
    # -- precedence ----------------------------------------------------------------
    Case("exact-deny-beats-glob", ("glob-read", "deny-alpha"), "GET", "identity/entity/name/alpha", DENY),
    Case("glob-still-elsewhere", ("glob-read", "deny-alpha"), "GET", "identity/entity/name/beta", ALLOW),
    Case("exact-beats-glob-deny", ("deny-glob", "exact-read"), "GET", "identity/entity/name/alpha", ALLOW),
    Case("same-glob-deny-wins", ("glob-read", "deny-glob"), "GET", "identity/entity/name/beta", DENY),
    Case("later-glob-beats-plus", ("name-a-glob", "name-plus-deny"), "GET", "identity/entity/name/alpha", ALLOW),
    Case("plus-where-glob-misses", ("name-a-glob", "name-plus-deny"), "GET", "identity/entity/name/beta", DENY),
    Case("glob-beats-earlier-plus", ("glob-read", "plus-deny"), "GET", "identity/entity/name/alpha", ALLOW),
    Case("plus-deny-elsewhere", ("glob-read", "plus-deny"), "GET", "identity/group/name/alpha", DENY),
    Case("fewer-plus-wins", ("two-plus", "one-plus-deny"), "GET", "identity/entity/id/abc", DENY),
    Case("more-plus-elsewhere", ("two-plus", "one-plus-deny"), "GET", "identity/group/id/abc", ALLOW),
    Case("plus-beats-glob-same-place", ("plus-glob", "two-plus", "one-plus-deny"), "GET", "identity/entity/id/abc", DENY),
    Case("merged-capabilities-read", ("group-read", "group-list"), "GET", "identity/group/name/g", ALLOW),
    Case("merged-capabilities-list", ("group-read", "group-list"), "LIST", "identity/group/name", ALLOW),
    Case("merged-deny-wins", ("group-read", "group-deny"), "GET", "identity/group/name/g", DENY),
    Case("repeated-blocks-merge", ("repeated-blocks",), "POST", "identity/group/name/rb", ALLOW, {}),
    Case("root-token", "@root", "POST", "sys/auth/by-root", ALLOW, {"type": "userpass"}),
    # -- lists ---------------------------------------------------------------------
    Case("list-without-slash", ("list-bare",), "LIST", "identity/entity/id", ALLOW),
    Case("list-by-get", ("list-bare",), "GET", "identity/entity/id?list=true", ALLOW),
    Case("list-is-not-read", ("list-bare",), "GET", "identity/entity/id/abc", DENY),
    Case("list-with-slash", ("list-slash",), "LIST", "identity/group/id", ALLOW),
    Case("read-is-not-list", ("group-read",), "LIST", "identity/group/name", DENY),
    Case("read-is-not-list-elsewhere", ("glob-read",), "LIST", "identity/group/name", DENY),
    # -- create, update, sudo ----------------------------------------------------------
    Case("entity-post-needs-update", ("create-entity",), "POST", "identity/entity", DENY, {"name": "c1"}),
    Case("entity-post-update", ("update-entity",), "POST", "identity/entity", ALLOW, {"name": "u1"}),
    Case("new-role-is-create", ("create-roles",), "POST", "auth/token/roles/fresh-c", ALLOW, {}),
    Case("existing-role-is-update", ("create-roles",), "POST", "auth/token/roles/existing", DENY, {}),
    Case("new-role-not-update", ("update-roles",), "POST", "auth/token/roles/fresh-u", DENY, {}),
    Case("existing-role-update", ("update-roles",), "POST", "auth/token/roles/existing", ALLOW, {}),
    Case("new-key-is-create", ("create-keys",), "POST", "identity/oidc/key/fresh", ALLOW, {}),
    Case("existing-key-is-update", ("create-keys",), "POST", "identity/oidc/key/existing", DENY, {}),
    Case("sys-auth-needs-sudo", ("sys-auth",), "POST", "sys/auth/nosudo", DENY, {"type": "userpass"}),
    Case("sys-auth-with-sudo", ("sys-auth-sudo",), "POST", "sys/auth/sudo", ALLOW, {"type": "userpass"}),
    Case("sys-auth-list-no-sudo", ("sys-auth-list",), "GET", "sys/auth", ALLOW),
    Case("policy-write-no-sudo", ("policy-admin",), "POST", "sys/policies/acl/new", ALLOW, {"policy": 'path "a" { capabilities = ["read"] }'}),
    # -- parameters --------------------------------------------------------------------
    Case("allowed-param-value", ("allowed-params",), "POST", "identity/entity/name/pa1", ALLOW, {"policies": "p1"}),
    Case("allowed-param-list-is-one-value", ("allowed-params",), "POST", "identity/entity/name/pa0", DENY, {"policies": ["p1"]}),
    Case("allowed-param-bad-value", ("allowed-params",), "POST", "identity/entity/name/pa2", DENY, {"policies": ["p1", "p3"]}),
    Case("allowed-param-any-value", ("allowed-params",), "POST", "identity/entity/name/pa3", ALLOW, {"metadata": {"k": "v"}}),
    Case("not-an-allowed-param", ("allowed-params",), "POST", "identity/entity/name/pa4", DENY, {"disabled": False}),
    Case("allowed-params-empty-body", ("allowed-params",), "POST", "identity/entity/name/pa5", ALLOW, {}),
    Case("allowed-param-glob", ("glob-params",), "POST", "identity/entity/name/pg1", ALLOW, {"policies": "team-a"}),
    Case("allowed-param-glob-miss", ("glob-params",), "POST", "identity/entity/name/pg2", DENY, {"policies": ["ops"]}),
    Case("denied-param-value", ("any-param-but",), "POST", "identity/group/name/pd1", DENY, {"type": "external"}),
    Case("denied-param-other-value", ("any-param-but",), "POST", "identity/group/name/pd2", ALLOW, {"type": "internal"}),
    Case("all-params-denied", ("no-params",), "POST", "identity/group/name/pd3", DENY, {"metadata": {"a": "b"}}),
    Case("all-params-denied-empty", ("no-params",), "POST", "identity/group/name/pd4", ALLOW, {}),
    Case("required-param-missing", ("required-params",), "POST", "identity/group/name/pr1", DENY, {"policies": ["x"]}),
    Case("required-param-given", ("required-params",), "POST", "identity/group/name/pr2", ALLOW, {"metadata": {"a": "b"}}),
    Case("required-param-on-read", ("required-params",), "GET", "identity/group/name/pr3", DENY),
    Case("required-param-in-query", ("required-params",), "GET", "identity/group/name/pr4?metadata=x", ALLOW),
    Case("merged-params-restrict", ("plain-update", "no-params"), "POST", "identity/group/name/pm1", DENY, {"metadata": {"a": "b"}}),
    # -- response wrapping ---------------------------------------------------------------
    Case("wrapping-required", ("wrapped-only",), "GET", "identity/entity/name/w", DENY),
    Case("wrapping-in-bounds", ("wrapped-only",), "GET", "identity/entity/name/w", ALLOW, headers={"X-Vault-Wrap-TTL": "60"}),
    Case("wrapping-too-short", ("wrapped-only",), "GET", "identity/entity/name/w", DENY, headers={"X-Vault-Wrap-TTL": "10"}),
    # -- forms of the language -------------------------------------------------------------
    Case("json-policy", ("json-form",), "GET", "identity/oidc/key/k", ALLOW),
    Case("shorthand-write-update", ("shorthand-write",), "POST", "identity/group/name/sw", ALLOW, {}),
    Case("shorthand-write-list", ("shorthand-write",), "LIST", "identity/group/name", ALLOW),
    # -- the default policy ------------------------------------------------------------------
    Case("default-lookup-self", ("default",), "GET", "auth/token/lookup-self", ALLOW),
    Case("default-capabilities-self", ("default",), "POST", "sys/capabilities-self", ALLOW, {"paths": ["a"]}),
    Case("default-not-capabilities", ("default",), "POST", "sys/capabilities", DENY, {"paths": ["a"], "token": "x"}),
    Case("default-own-entity", "@u-plain", "GET", "identity/entity/name/ent-a", ALLOW),
    Case("default-own-entity-id", "@u-plain", "GET", "identity/entity/id/@ENT_A@", ALLOW),
    Case("default-not-other-entity", "@u-plain", "GET", "identity/entity/name/ent-tpl", DENY),
    # -- identity policies -------------------------------------------------------------------
    Case("entity-policy", "@u-plain", "GET", "identity/entity/name/by-entity", ALLOW),
    Case("direct-group-policy", "@u-plain", "GET", "identity/entity/name/by-child", ALLOW),
    Case("parent-group-policy", "@u-plain", "GET", "identity/entity/name/by-parent", ALLOW),
    Case("grandparent-group-policy", "@u-plain", "GET", "identity/entity/name/by-top", ALLOW),
    Case("unrelated-group-policy", "@u-plain", "GET", "identity/entity/name/by-other", DENY),
    Case(
        "entity-policy-change-applies",
        "@u-change",
        "GET",
        "identity/entity/name/by-later",
        ALLOW,
        before=(("POST", "identity/entity/name/ent-change", {"policies": ["later-pol"]}),),
    ),
    Case(
        "group-policy-removal-applies",
        "@u-leave",
        "GET",
        "identity/entity/name/by-child",
        DENY,
        before=(("POST", "identity/group/name/grp-leave", {"policies": []}),),
    ),
    # -- templated paths ---------------------------------------------------------------------
    Case("tpl-entity-id", "@u-tpl", "POST", "identity/entity/id/@ENT_TPL@", ALLOW, {}),
    Case("tpl-entity-id-other", "@u-tpl", "POST", "identity/entity/id/@ENT_A@", DENY, {}),
    Case("tpl-entity-name", "@u-tpl", "GET", "identity/entity/name/ent-tpl-x", ALLOW),
    Case("tpl-metadata", "@u-tpl", "GET", "identity/group/name/blue", ALLOW),
    Case("tpl-metadata-other", "@u-tpl", "GET", "identity/group/name/red", DENY),
    Case("tpl-group-by-name", "@u-tpl", "GET", "identity/group/id/@GRP_TPL@", ALLOW),
    Case("tpl-group-by-id", "@u-tpl", "GET", "identity/group/name/grp-tpl-g", ALLOW),
    Case("tpl-alias-id", "@u-tpl", "GET", "identity/entity-alias/id/@ALIAS_TPL@", ALLOW),
    Case("tpl-alias-name", "@u-tpl", "GET", "identity/oidc/key/u-tpl", ALLOW),
    Case("tpl-missing-metadata", "@u-tpl", "GET", "identity/entity/name/nokey-", DENY),
    Case("tpl-not-a-member", "@u-tpl", "GET", "identity/oidc/role/@GRP_PARENT@", DENY),
    Case("tpl-without-entity", ("tpl",), "GET", "identity/entity/name/ent-tpl-x", DENY),
    # -- disabled entities ---------------------------------------------------------------------
    Case("disabled-entity-read", "@u-dis", "GET", "identity/entity/name/x", DENY),
    Case("disabled-entity-lookup-self", "@u-dis", "GET", "auth/token/lookup-self", DENY),
    Case("enabled-twin-read", "@u-twin", "GET", "identity/entity/name/x", ALLOW),
    Case("deleted-entity-refused", "@u-gone", "GET", "auth/token/lookup-self", DENY),
    Case("merged-entity-policies", "@u-merged", "GET", "identity/group/name/x", ALLOW),
    # external groups, joined by a jwt login whose groups claim names their alias
    Case("external-group-policy", "@j-dev", "GET", "identity/entity/name/by-ext", ALLOW),
    Case("external-group-parent-policy", "@j-dev", "GET", "identity/entity/name/by-ext-parent", ALLOW),
    Case("external-group-not-claimed", "@j-dev", "GET", "identity/entity/name/by-unclaimed", DENY),
    Case("external-group-other-path", "@j-dev", "GET", "identity/entity/name/by-other", DENY),
    Case("claim-without-group-alias", "@j-noalias", "GET", "identity/entity/name/by-ext", DENY),
    Case("claim-without-group-alias-parent", "@j-noalias", "GET", "identity/entity/name/by-ext-parent", DENY),
    Case("external-group-left-at-next-login", "@j-left", "GET", "identity/entity/name/by-ext", DENY),
    Case("external-group-rejoined-at-next-login", "@j-back", "GET", "identity/entity/name/by-ext-parent", ALLOW),
)
# fmt: on


# -- the two servers ---------------------------------------------------------------


@dataclass
class World:
    """One server with the table's world in it."""

    name: str
    http: httpx.Client
    root_token: str
    marks: dict[str, str] = field(default_factory=dict)
    logins: dict[str, str] = field(default_factory=dict)
    tokens: dict[tuple[str, ...], str] = field(default_factory=dict)
    order_login: dict[str, Any] = field(default_factory=dict)

    def fill(self, text: str) -> str:
        for mark, value in self.marks.items():
            text = text.replace(f"@{mark}@", value)
        return text

    def root(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        answer = self.http.request(
            method,
            self.fill(path),
            json=body,
            headers={"X-Vault-Token": self.root_token},
        )
        if answer.status_code >= 400:
            raise AssertionError(
                f"setting up {self.name}: {method} {path} answered "
                f"{answer.status_code} {answer.text}"
            )
        return answer.json() if answer.content else None

    def token(self, spec: tuple[str, ...] | str) -> str:
        if spec == "@root":
            return self.root_token
        if isinstance(spec, str):
            return self.logins[spec[1:]]
        if spec not in self.tokens:
            body: dict[str, Any] = {"policies": list(spec) or ["default"]}
            if not spec:
                body = {"policies": ["nothing"], "no_default_policy": True}
            made = self.root("POST", "auth/token/create", body)
            self.tokens[spec] = made["auth"]["client_token"]
        return self.tokens[spec]


def _login(world: World, user: str) -> str:
    answer = world.http.post(f"auth/userpass/login/{user}", json={"password": "pw"})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["auth"]["client_token"])


def build_world(world: World) -> World:
    """Policies, a userpass mount, users tied to entities, groups, and a role and
    a key that exist (for the existence-check rows)."""
    root = world.root
    root("POST", "sys/auth/userpass", {"type": "userpass"})
    mounts = root("GET", "sys/auth")["data"]
    world.marks["USERPASS"] = mounts["userpass/"]["accessor"]

    def entity(name: str, **fields: Any) -> str:
        return str(
            root("POST", "identity/entity", {"name": name, **fields})["data"]["id"]
        )

    def user(name: str, entity_id: str, **fields: Any) -> str:
        root("POST", f"auth/userpass/users/{name}", {"password": "pw", **fields})
        alias = root(
            "POST",
            "identity/entity-alias",
            {
                "name": name,
                "canonical_id": entity_id,
                "mount_accessor": world.marks["USERPASS"],
            },
        )
        return str(alias["data"]["id"])

    def group(name: str, **fields: Any) -> str:
        return str(
            root("POST", "identity/group", {"name": name, **fields})["data"]["id"]
        )

    ent_a = entity("ent-a", policies=["ent-pol"])
    user("u-plain", ent_a)
    child = group("grp-child", policies=["child-pol"], member_entity_ids=[ent_a])
    parent = group("grp-parent", policies=["parent-pol"], member_group_ids=[child])
    group("grp-top", policies=["top-pol"], member_group_ids=[parent])
    group("grp-other", policies=["other-pol"])
    world.marks.update(ENT_A=ent_a, GRP_PARENT=parent)

    ent_tpl = entity("ent-tpl", metadata={"team": "blue"})
    world.marks["ALIAS_TPL"] = user("u-tpl", ent_tpl, token_policies=["tpl"])
    world.marks["GRP_TPL"] = group("grp-tpl", member_entity_ids=[ent_tpl])
    world.marks["ENT_TPL"] = ent_tpl

    ent_order = entity("ent-order", policies=["zz-pol", "child-pol", "aa-pol"])
    user("u-order", ent_order, token_policies=["tok-pol"])
    group("grp-order", policies=["child-pol", "bb-pol"], member_entity_ids=[ent_order])
    user("u-change", entity("ent-change"))
    ent_leave = entity("ent-leave")
    user("u-leave", ent_leave)
    group("grp-leave", policies=["child-pol"], member_entity_ids=[ent_leave])

    ent_dis = entity("ent-dis", policies=["identity-all"])
    user("u-dis", ent_dis)
    user("u-twin", entity("ent-twin", policies=["identity-all"]))

    for name, text in POLICIES.items():
        root("POST", f"sys/policies/acl/{name}", {"policy": world.fill(text)})
    root("POST", "auth/token/roles/existing", {})
    root("POST", "identity/oidc/key/existing", {})

    ent_gone = entity("ent-gone", policies=["identity-all"])
    user("u-gone", ent_gone)
    ent_merged = entity("ent-merged")
    user("u-merged", ent_merged)
    for name in (
        "u-plain",
        "u-tpl",
        "u-change",
        "u-leave",
        "u-dis",
        "u-twin",
        "u-gone",
        "u-merged",
    ):
        world.logins[name] = _login(world, name)
    root("DELETE", f"identity/entity/id/{ent_gone}")
    survivor = entity("ent-survivor", policies=["group-read"])
    root(
        "POST",
        "identity/entity/merge",
        {"from_entity_ids": [ent_merged], "to_entity_id": survivor},
    )
    answer = world.http.post("auth/userpass/login/u-order", json={"password": "pw"})
    world.order_login = answer.json()["auth"]
    world.logins["u-order"] = world.order_login["client_token"]
    # Disabled after the login: a disabled entity cannot log in at all.
    root("POST", f"identity/entity/id/{ent_dis}", {"disabled": True})
    _jwt_world(world)
    return world


JWT_KEY = ECKey.generate_key("P-256")
"""Signs the login tokens of the jwt mount; its public half configures the mount."""


def _jwt_login(world: World, sub: str, groups: list[str]) -> str:
    now = int(time.time())
    claims = {"sub": sub, "aud": "acl-table", "iat": now, "exp": now + 600}
    token = jwt.encode({"alg": "ES256"}, {**claims, "groups": groups}, JWT_KEY)
    answer = world.http.post("auth/jwt/login", json={"role": "dev", "jwt": token})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["auth"]["client_token"])


def _jwt_world(world: World) -> None:
    """A jwt mount whose group aliases map the claims ``devs`` and ``ops`` to
    external groups (``ext-devs`` inside the internal ``grp-ext-parent``), and
    logins: ``j-dev`` claims ``devs`` and a name no alias has, ``j-noalias`` only
    that name; ``j-left`` claimed ``devs``, then logged in again without it;
    ``j-back`` left and came back."""
    root = world.root
    root("POST", "sys/auth/jwt", {"type": "jwt"})
    world.marks["JWT"] = root("GET", "sys/auth")["data"]["jwt/"]["accessor"]
    pem = JWT_KEY.as_pem(private=False).decode()
    root("POST", "auth/jwt/config", {"jwt_validation_pubkeys": [pem]})
    role = {
        "role_type": "jwt",
        "user_claim": "sub",
        "groups_claim": "groups",
        "bound_audiences": ["acl-table"],
    }
    root("POST", "auth/jwt/role/dev", role)
    groups = {}
    for name, claim, policy in (
        ("ext-devs", "devs", "ext-pol"),
        ("ext-ops", "ops", "unclaimed-pol"),
    ):
        body = {"name": name, "type": "external", "policies": [policy]}
        groups[name] = root("POST", "identity/group", body)["data"]["id"]
        alias = {"name": claim, "mount_accessor": world.marks["JWT"]}
        root("POST", "identity/group-alias", {**alias, "canonical_id": groups[name]})
    parent = {"name": "grp-ext-parent", "policies": ["ext-parent-pol"]}
    root("POST", "identity/group", {**parent, "member_group_ids": [groups["ext-devs"]]})
    world.logins["j-dev"] = _jwt_login(world, "j-dev", ["devs", "no-alias"])
    world.logins["j-noalias"] = _jwt_login(world, "j-noalias", ["no-alias"])
    world.logins["j-left"] = _jwt_login(world, "j-left", ["devs"])
    _jwt_login(world, "j-left", [])
    _jwt_login(world, "j-back", ["devs"])
    _jwt_login(world, "j-back", [])
    world.logins["j-back"] = _jwt_login(world, "j-back", ["devs"])


@pytest.fixture(scope="module")
def mock_world() -> Iterator[World]:
    errors: list[BaseException] = []
    with (
        MockServer(ServerConfig(port=0, on_error=errors.append)) as mock,
        httpx.Client(base_url=f"{mock.url}/v1/") as http,
    ):
        yield build_world(World("mock", http, mock.root_token))
    assert errors == []


@pytest.fixture(scope="module")
def real_world() -> Iterator[World]:
    with RealServer() as server, httpx.Client(base_url=f"{server.url}/v1/") as http:
        yield build_world(World("real", http, server.root_token))


def verdict(world: World, case: Case) -> tuple[str, int, str]:
    """Make the case's request; (allow or deny, status, body)."""
    for method, path, body in case.before:
        world.root(method, path, body)
    headers = {"X-Vault-Token": world.token(case.token), **case.headers}
    content = None if case.body is None else json.dumps(case.body).encode()
    answer = world.http.request(
        case.method, world.fill(case.path), content=content, headers=headers
    )
    denied = answer.status_code == 403 and "permission denied" in answer.text
    return (DENY if denied else ALLOW), answer.status_code, answer.text


@pytest.mark.parametrize("target", ["mock", "real"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, target: str, request: pytest.FixtureRequest) -> None:
    world: World = request.getfixturevalue(f"{target}_world")
    outcome, status, text = verdict(world, case)
    assert outcome == case.expected, f"{target} answered {status} {text}"


def test_table_size() -> None:
    assert len(CASES) >= 50
    assert len({c.id for c in CASES}) == len(CASES)


CAPABILITY_QUESTIONS: tuple[tuple[tuple[str, ...] | str, tuple[str, ...]], ...] = (
    (
        ("glob-read", "deny-alpha"),
        ("identity/entity/name/alpha", "identity/entity/name/b"),
    ),
    (("group-read", "group-list", "shorthand-write"), ("identity/group/name/g",)),
    (
        ("two-plus", "one-plus-deny", "plus-glob"),
        ("identity/entity/id/a", "identity/group/id/a/b"),
    ),
    (
        ("sys-auth-sudo", "list-bare"),
        ("sys/auth/x", "identity/entity/id", "identity/entity/id/"),
    ),
    (
        "@u-plain",
        ("identity/entity/name/by-top", "identity/entity/id/@ENT_A@", "nowhere"),
    ),
    (
        "@u-tpl",
        (
            "identity/entity/id/@ENT_TPL@",
            "identity/group/name/blue",
            "identity/oidc/key/u-tpl",
        ),
    ),
    ("@root", ("identity/entity",)),
)
"""(token, paths) pairs whose ``sys/capabilities-self`` answers must be equal."""


def _capabilities(
    world: World, spec: tuple[str, ...] | str, paths: tuple[str, ...]
) -> Any:
    answer = world.http.post(
        "sys/capabilities-self",
        json={"paths": [world.fill(p) for p in paths]},
        headers={"X-Vault-Token": world.token(spec)},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    # Ids differ between the servers: compare with the marks put back.
    marks = {value: f"@{mark}@" for mark, value in world.marks.items()}

    def unmark(text: str) -> str:
        for value, mark in marks.items():
            text = text.replace(value, mark)
        return text

    data = {unmark(k): v for k, v in body["data"].items()}
    beside = {unmark(k): v for k, v in body.items() if k not in _ENVELOPE}
    return data, beside


_ENVELOPE = {
    "request_id",
    "lease_id",
    "renewable",
    "lease_duration",
    "data",
    "wrap_info",
    "warnings",
    "auth",
}


@pytest.mark.parametrize(
    ("spec", "paths"),
    CAPABILITY_QUESTIONS,
    ids=[str(q[0]) for q in CAPABILITY_QUESTIONS],
)
def test_capabilities_self_agrees(
    spec: tuple[str, ...] | str,
    paths: tuple[str, ...],
    mock_world: World,
    real_world: World,
) -> None:
    mock = _capabilities(mock_world, spec, paths)
    real = _capabilities(real_world, spec, paths)
    assert mock == real
    assert mock[0] == mock[1]


def _policy_lists(world: World) -> dict[str, Any]:
    answer = world.http.get(
        "auth/token/lookup-self", headers={"X-Vault-Token": world.logins["u-order"]}
    )
    data = answer.json()["data"]
    login = world.order_login
    return {
        "lookup": [data["policies"], data.get("identity_policies")],
        "login": [
            login["policies"],
            login["token_policies"],
            login.get("identity_policies"),
        ],
    }


def test_identity_policies_shown_alike(mock_world: World, real_world: World) -> None:
    mock = _policy_lists(mock_world)
    assert mock == _policy_lists(real_world)
    assert mock["lookup"][1] == ["aa-pol", "child-pol", "zz-pol", "bb-pol", "child-pol"]
