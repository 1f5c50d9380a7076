"""The policy language and the ACL decisions, without HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.backends import Store
from mockserver.backends.acl import (
    ACL,
    AliasFacts,
    GroupFacts,
    IdentityContext,
    PolicyError,
    TemplateError,
    parse_policy,
)


def acl(*texts: str, identity: IdentityContext | None = None) -> ACL:
    return ACL([parse_policy(t) for t in texts], identity)


# -- parsing ----------------------------------------------------------------------


def test_parse_hcl_and_json_alike() -> None:
    hcl = parse_policy('path "a/*" { capabilities = ["read", "list"] }')
    json_form = parse_policy('{"path": {"a/*": {"capabilities": ["read", "list"]}}}')
    assert hcl == json_form
    assert hcl.rules[0].path == "a/*"
    assert hcl.rules[0].permissions.capabilities == {"read", "list"}


def test_parse_keeps_repeated_blocks() -> None:
    parsed = parse_policy(
        'path "a" { capabilities = ["read"] }\npath "a" { capabilities = ["list"] }'
    )
    assert [sorted(r.permissions.capabilities) for r in parsed.rules] == [
        ["read"],
        ["list"],
    ]
    assert acl(
        'path "a" { capabilities = ["read"] } path "a" { capabilities = ["list"] }'
    ).capabilities("a") == ["list", "read"]


def test_parse_details() -> None:
    parsed = parse_policy(
        """
        name = "ignored"
        path "/lead" { policy = "write" }
        path "p" {
          capabilities = ["update", "deny"]
        }
        path "q" {
          capabilities = ["update"]
          allowed_parameters = { "A" = ["x"], "b" = [] }
          denied_parameters = { "c" = [] }
          required_parameters = ["d"]
          min_wrapping_ttl = "1m"
          max_wrapping_ttl = 3600
        }
        path "t/{{identity.entity.id}}" { capabilities = ["read"] }
        """
    )
    lead, p, q, t = parsed.rules
    assert lead.path == "lead"
    assert lead.permissions.capabilities == {
        "create",
        "read",
        "update",
        "delete",
        "list",
    }
    assert p.permissions.capabilities == {"deny"}
    assert q.permissions.allowed_parameters == {"a": ("x",), "b": ()}
    assert q.permissions.denied_parameters == {"c": ()}
    assert q.permissions.required_parameters == ("d",)
    assert (q.permissions.min_wrapping_ttl, q.permissions.max_wrapping_ttl) == (
        60,
        3600,
    )
    assert t.templated
    assert parsed.templated
    assert not lead.templated


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # The real server's wording, observed on OpenBao 2.7.
        (
            'path "x" { capabilities = ["reed"] }',
            'path "x": path "x": invalid capability "reed"',
        ),
        (
            'path "x" { capabilities = "read" }',
            'path "x": path "x": At 1:27: unknown slice type: *ast.LiteralType',
        ),
        (
            'path "x" { capabilities = ["read"] allowed_parameters = { "a" = "b" } }',
            'path "x": path "x": At 1:65: unknown slice type: *ast.LiteralType',
        ),
        (
            'path "x" { foo = 1 }',
            'path "x": 1 error occurred:\n\t* invalid key "foo" on line 1\n\n',
        ),
        (
            'foo "x" { capabilities = ["read"] }',
            '1 error occurred:\n\t* invalid key "foo" on line 0\n\n',
        ),
        (
            'path "x/+*" { capabilities = ["read"] }',
            'path "x/+*": path "x/+*": invalid use of wildcards (\'+*\' is forbidden)',
        ),
        (
            'path "x" { min_wrapping_ttl = "abc" }',
            'path "x": error parsing min_wrapping_ttl: time: invalid duration "abc"',
        ),
        (
            'path "x" { min_wrapping_ttl = "3m" max_wrapping_ttl = "2m" }',
            'path "x": max_wrapping_ttl cannot be less than min_wrapping_ttl',
        ),
        ('path "x" { policy = "list" }', 'path "x": path "x": invalid policy "list"'),
        (
            'path "x" { capabilities = ["read"] control_group = {} }',
            'path "x": error handling control_group: 1 error occurred:\n\t* requires at least one factor but had none\n\n',
        ),
        (
            'path "x" { list_scan_response_keys_filter_path = "y" }',
            'path "x": list_scan_response_keys_filter_path needs to be used on a path with the list capability',
        ),
    ],
)
def test_parse_refusals(text: str, reason: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text)
    assert caught.value.reason == reason
    assert caught.value.errors == [f"failed to parse policy: {reason}"]


@pytest.mark.parametrize(
    "text", ["garbage", 'path "x" { capabilities = [', '{"path": {"x": }}']
)
def test_syntax_errors_give_the_parser_reason(text: str) -> None:
    with pytest.raises(PolicyError, match=r"failed to parse policy: .+"):
        parse_policy(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# only a comment",
        'path "a" {}',
        'path "a*b" { capabilities = ["read"] }',
        'path "a" { capabilities = [] }',
        'path "a" { capabilities = ["read"] mfa_methods = ["m"] pagination_limit = 5 }',
        'path "a" { capabilities = ["read"] expiration = "2030-01-01T00:00:00Z" }',
    ],
)
def test_parse_accepts(text: str) -> None:
    parse_policy(text)


# -- decisions --------------------------------------------------------------------


def test_exact_glob_and_wildcard_precedence() -> None:
    rules = acl(
        'path "s/*" { capabilities = ["read"] }',
        'path "s/a" { capabilities = ["deny"] }',
        'path "s/b*" { capabilities = ["update"] }',
        'path "s/+" { capabilities = ["list"] }',
        'path "+/+/c" { capabilities = ["delete"] }',
        'path "s/+/c" { capabilities = ["create"] }',
    )
    assert rules.capabilities("s/a") == ["deny"]  # exact wins
    assert rules.capabilities("s/bx") == ["update"]  # the glob starts later than +
    assert rules.capabilities("s/x") == ["list"]  # + beats a glob at the same place
    assert rules.capabilities("s/x/y") == ["read"]  # + needs the same depth
    assert rules.capabilities("s/x/c") == ["create"]  # fewer wildcards
    assert rules.capabilities("t/x/c") == ["delete"]
    assert rules.capabilities("elsewhere") == ["deny"]


def test_rules_for_one_path_merge_and_deny_wins() -> None:
    assert acl(
        'path "a/*" { capabilities = ["read"] }',
        'path "a/*" { capabilities = ["update"] }',
    ).capabilities("a/b") == ["read", "update"]
    assert acl(
        'path "a/*" { capabilities = ["read"] }',
        'path "a/*" { capabilities = ["deny"] }',
    ).capabilities("a/b") == ["deny"]


def test_lists_fall_back_to_the_path_without_slash() -> None:
    rules = acl('path "a/b" { capabilities = ["list"] }')
    assert rules.allows("list", "a/b/")
    assert not rules.allows("read", "a/b/")


def test_sudo_and_wrapping() -> None:
    rules = acl(
        'path "sys/auth/*" { capabilities = ["update"] }',
        'path "w" { capabilities = ["read"] min_wrapping_ttl = 30 max_wrapping_ttl = 120 }',
    )
    assert rules.allows("update", "sys/auth/x")
    assert not rules.allows("update", "sys/auth/x", sudo=True)
    assert not rules.allows("read", "w")
    assert rules.allows("read", "w", wrap_ttl=60)
    assert not rules.allows("read", "w", wrap_ttl=10)
    assert not rules.allows("read", "w", wrap_ttl=600)


@pytest.mark.parametrize(
    ("parameters", "allowed"),
    [
        ({}, False),  # "r" is required
        ({"r": 1}, True),
        ({"r": 1, "name": "svc-a"}, True),
        ({"r": 1, "name": "other"}, False),
        ({"r": 1, "name": ["svc-a"]}, False),  # a list is one value
        ({"r": 1, "any": "thing"}, True),
        ({"r": 1, "bad": "x"}, False),
        ({"r": 1, "BAD": "ok"}, True),  # names compare in lower case
        ({"r": 1, "bad": "ok"}, True),
    ],
)
def test_parameter_constraints(parameters: dict[str, Any], allowed: bool) -> None:
    rules = acl(
        """path "p" {
          capabilities = ["update"]
          required_parameters = ["r"]
          allowed_parameters = { "r" = [] "name" = ["svc-*"] "any" = [] "bad" = ["ok"] }
          denied_parameters = { "bad" = ["x"] }
        }"""
    )
    assert rules.allows("update", "p", parameters=parameters) is allowed


def test_parameter_constraints_merge() -> None:
    restricted = acl(
        'path "p" { capabilities = ["update"] }',
        'path "p" { capabilities = ["update"] allowed_parameters = { "a" = ["1"] } }',
        'path "p" { capabilities = ["update"] allowed_parameters = { "a" = ["2"] } }',
    )
    assert restricted.allows("update", "p", parameters={"a": "2"})
    assert not restricted.allows("update", "p", parameters={"b": "2"})
    opened = acl(
        'path "p" { capabilities = ["update"] allowed_parameters = { "a" = ["1"] } }',
        'path "p" { capabilities = ["update"] allowed_parameters = { "a" = [] } }',
    )
    assert opened.allows("update", "p", parameters={"a": "9"})


# -- templates --------------------------------------------------------------------

IDENTITY = IdentityContext(
    entity_id="e-1",
    entity_name="alice",
    metadata={"team": "blue", "bad": "a/b"},
    aliases={"acc-1": AliasFacts(id="al-1", name="alice@up", metadata={"m": "v"})},
    groups=(GroupFacts(id="g-1", name="devs", metadata={"tier": "gold"}),),
)


@pytest.mark.parametrize(
    ("template", "path"),
    [
        ("{{identity.entity.id}}", "e-1"),
        ("{{ identity.entity.name }}", "alice"),
        ("{{identity.entity.metadata.team}}", "blue"),
        ("{{identity.entity.aliases.acc-1.id}}", "al-1"),
        ("{{identity.entity.aliases.acc-1.name}}", "alice@up"),
        ("{{identity.entity.aliases.acc-1.metadata.m}}", "v"),
        ("{{identity.groups.names.devs.id}}", "g-1"),
        ("{{identity.groups.ids.g-1.name}}", "devs"),
        ("{{identity.groups.ids.g-1.metadata.tier}}", "gold"),
    ],
)
def test_templates_resolve(template: str, path: str) -> None:
    rules = acl(
        f'path "x/{template}/y" {{ capabilities = ["read"] }}', identity=IDENTITY
    )
    assert rules.capabilities(f"x/{path}/y") == ["read"]


@pytest.mark.parametrize(
    "template",
    [
        "{{identity.entity.metadata.nokey}}",
        "{{identity.entity.aliases.other.id}}",
        "{{identity.groups.names.DEVS.id}}",
        "{{identity.nothing}}",
    ],
)
def test_unresolved_templates_match_nothing(template: str) -> None:
    rules = acl(
        f'path "x/{template}" {{ capabilities = ["read"] }}\n'
        'path "y" { capabilities = ["read"] }',
        identity=IDENTITY,
    )
    assert rules.capabilities("x/") == ["deny"]
    assert rules.capabilities("y") == ["read"]


def test_templates_without_an_entity_and_forbidden_values() -> None:
    text = 'path "x/{{identity.entity.id}}" { capabilities = ["read"] }'
    assert acl(text).capabilities("x/") == ["deny"]
    with pytest.raises(TemplateError, match='forbidden value: "/"'):
        acl(
            'path "x/{{identity.entity.metadata.bad}}" { capabilities = ["read"] }',
            identity=IDENTITY,
        )


# -- the policy backend -------------------------------------------------------------


def test_write_refuses_with_the_parser_reason() -> None:
    store = Store(seed=1)
    with pytest.raises(PolicyError, match='invalid capability "reed"'):
        store.policies.policy_write("p", 'path "x" { capabilities = ["reed"] }')
    assert not store.policies.exists("p")


def test_acl_cache_follows_writes_and_deletes() -> None:
    policies = Store(seed=1).policies
    policies.policy_write("p", 'path "a" { capabilities = ["read"] }')
    assert policies.acl(["p"]).capabilities("a") == ["read"]
    assert policies.acl(["P", "p"]) is policies.acl(["p"])
    policies.policy_write("p", 'path "a" { capabilities = ["update"] }')
    assert policies.acl(["p"]).capabilities("a") == ["update"]
    policies.policy_delete("p")
    assert policies.acl(["p"]).capabilities("a") == ["deny"]


def test_restored_policies_are_parsed_on_use() -> None:
    store = Store(seed=1)
    store.policies.policy_write("p", 'path "a" { capabilities = ["read"] }')
    copy = Store(seed=1)
    copy.restore(store.snapshot())
    assert copy.policies.acl(["p"]).capabilities("a") == ["read"]
    copy.reset()
    assert copy.policies.acl(["p"]).capabilities("a") == ["deny"]


def test_default_policy_grants_what_the_real_one_does() -> None:
    store = Store(seed=1)
    assert store.policies.parsed("default").expressions == {  # type: ignore[union-attr]
        "identity.entity.id",
        "identity.entity.name",
    }
    identity = IdentityContext(entity_id="e-1", entity_name="alice")
    rules = store.policies.acl(["default"], identity)
    assert rules.capabilities("auth/token/lookup-self") == ["read"]
    assert rules.capabilities("sys/capabilities-self") == ["update"]
    assert rules.capabilities("identity/entity/id/e-1") == ["read"]
    assert rules.capabilities("identity/entity/name/alice") == ["read"]
    assert rules.capabilities("identity/entity/name/bob") == ["deny"]
    assert rules.capabilities("identity/oidc/provider/p/authorize") == [
        "read",
        "update",
    ]


def test_huge_policies_are_refused_with_a_way_out() -> None:
    from mockserver.backends.acl import MAX_POLICY_CHARS, PolicyError, parse_policy

    block = 'path "secret/x" { capabilities = ["read"] }\n'
    text = block * (MAX_POLICY_CHARS // len(block) + 1)
    with pytest.raises(PolicyError, match="split it into several policies"):
        parse_policy(text)
