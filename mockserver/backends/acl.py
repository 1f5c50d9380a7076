"""ACL policies: the policy language, and the decision a real server makes with it.

Plain Python, no HTTP. Three parts:

* :func:`parse_policy` reads a policy written in HCL (version 1, the language
  Vault policies are written in) or in its JSON form, with the ``pyhcl`` parser,
  and checks it the way the real server does on ``sys/policy`` writes. A policy
  it refuses raises :class:`PolicyError` with the reason the real server gives.
* :class:`IdentityContext` holds what templated paths
  (``{{identity.entity.id}}`` and friends) resolve against: a token's entity,
  its aliases and its groups.
* :class:`ACL` is the merged set of rules of one token. It answers which rule
  governs a path (exact paths first, then the most specific ``*`` glob or ``+``
  wildcard path), whether an operation is allowed there (``deny`` wins, the
  parameter constraints and wrapping TTL bounds apply), and which capabilities
  a token holds on a path (``sys/capabilities-self``).

Deliberate differences from OpenBao 2.7: a syntax error is reported in
``pyhcl``'s words (the real server's parser words it differently; unbalanced
braces and brackets keep the real wording, see
:func:`mockserver.backends.policies.check_rules`); a JSON policy must be valid
JSON (the real server's JSON reader lets a missing closing brace pass).
Enterprise-only rule keys (``control_group``, ``mfa_methods``) are accepted and
not enforced.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from hcl.parser import HclParser  # type: ignore[import-untyped]

from mockserver.backends.tokens import parse_ttl
from mockserver.errors import InvalidRequest, multierror

__all__ = [
    "ACL",
    "CAPABILITIES",
    "AliasFacts",
    "GroupFacts",
    "IdentityContext",
    "ParsedPolicy",
    "PathRule",
    "Permissions",
    "PolicyError",
    "TemplateError",
    "TemplateResolver",
    "parse_policy",
]

CAPABILITIES = ("create", "read", "update", "patch", "delete", "list", "sudo", "deny")
"""Every capability a path rule may grant, in the real server's spelling."""

_SHORTHAND = {
    "deny": frozenset({"deny"}),
    "read": frozenset({"read", "list"}),
    "write": frozenset({"read", "list", "create", "update", "delete"}),
    "sudo": frozenset({"read", "list", "create", "update", "delete", "sudo"}),
}
"""The old ``policy = "..."`` form of a rule, and the capabilities it stands for."""

PARAMETER_CHECKED = frozenset({"read", "create", "update", "patch"})
"""The capabilities whose requests are held to the parameter constraints."""

_TOP_KEYS = frozenset({"name", "path"})
_RULE_KEYS = frozenset(
    {
        "comment",
        "policy",
        "capabilities",
        "allowed_parameters",
        "denied_parameters",
        "required_parameters",
        "min_wrapping_ttl",
        "max_wrapping_ttl",
        "mfa_methods",
        "control_group",
        "expiration",
        "pagination_limit",
        "list_scan_response_keys_filter_path",
    }
)
_TEMPLATE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_FORBIDDEN_IN_TEMPLATES = ("/", "*", "+")


MAX_POLICY_CHARS = 256 * 1024
"""The longest policy text the mock parses."""


class PolicyError(InvalidRequest):
    """A policy the real server would refuse; ``reason`` is its wording."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"failed to parse policy: {reason}")
        self.reason = reason


class TemplateError(Exception):
    """A templated path resolved to a value the real server refuses to put in a
    path (it contains ``/``, ``*`` or ``+``): no ACL can be built for the token."""


# -- parsing --------------------------------------------------------------------


class _PairParser(HclParser):  # type: ignore[misc]
    """The ``pyhcl`` parser, keeping the top level as a list of (key, value) pairs.

    ``pyhcl`` folds repeated top-level blocks into one dictionary, so a second
    ``path "a" {...}`` block would replace the first one's keys; the real server
    keeps both and merges their capabilities.
    """

    def objectlist_flat(self, lt: list[Any], replace: bool) -> Any:
        if replace:
            return list(lt)
        return super().objectlist_flat(lt, replace)


_parsers = threading.local()


def _parser() -> _PairParser:
    # Building the parser tables costs tens of milliseconds; one per thread.
    parser: _PairParser | None = getattr(_parsers, "parser", None)
    if parser is None:
        parser = _PairParser()
        _parsers.parser = parser
    return parser


@dataclass(frozen=True, slots=True)
class Permissions:
    """What one rule (or several merged rules for the same path) grants.

    ``allowed_parameters`` and ``denied_parameters`` map lower-case parameter
    names to the values allowed or denied (an empty list: any value); None means
    the rule sets no such constraint.
    """

    capabilities: frozenset[str] = frozenset()
    allowed_parameters: Mapping[str, tuple[Any, ...]] | None = None
    denied_parameters: Mapping[str, tuple[Any, ...]] | None = None
    required_parameters: tuple[str, ...] = ()
    min_wrapping_ttl: int = 0
    max_wrapping_ttl: int = 0

    @property
    def constrains_parameters(self) -> bool:
        """True when a decision needs the request's parameters."""
        return bool(
            self.allowed_parameters
            or self.denied_parameters
            or self.required_parameters
        )

    def merge(self, other: Permissions) -> Permissions:
        """The permissions of two rules for the same path, as the server merges them."""
        if "deny" in self.capabilities or "deny" in other.capabilities:
            return Permissions(capabilities=frozenset({"deny"}))
        return Permissions(
            capabilities=self.capabilities | other.capabilities,
            allowed_parameters=_merge_values(
                self.allowed_parameters, other.allowed_parameters
            ),
            denied_parameters=_merge_values(
                self.denied_parameters, other.denied_parameters
            ),
            required_parameters=tuple(
                dict.fromkeys((*self.required_parameters, *other.required_parameters))
            ),
            min_wrapping_ttl=_lowest(self.min_wrapping_ttl, other.min_wrapping_ttl),
            max_wrapping_ttl=max(self.max_wrapping_ttl, other.max_wrapping_ttl),
        )


def _merge_values(
    left: Mapping[str, tuple[Any, ...]] | None,
    right: Mapping[str, tuple[Any, ...]] | None,
) -> Mapping[str, tuple[Any, ...]] | None:
    # A rule without the constraint takes the other rule's; for a name in both,
    # an empty list (any value) wins, otherwise the values add up.
    if not right:
        return left
    if not left:
        return right
    merged = dict(left)
    for name, values in right.items():
        if name in merged and (not values or not merged[name]):
            merged[name] = ()
        else:
            merged[name] = (*values, *merged.get(name, ()))
    return merged


def _lowest(left: int, right: int) -> int:
    if not left or not right:
        return left or right
    return min(left, right)


@dataclass(frozen=True, slots=True)
class PathRule:
    """One ``path "..." {...}`` block: its pattern and what it grants.

    ``path`` has no leading slash; it may hold ``{{...}}`` templates.
    """

    path: str
    permissions: Permissions
    templated: bool = False


@dataclass(frozen=True, slots=True)
class ParsedPolicy:
    """A policy after parsing: its rules in the order written."""

    rules: tuple[PathRule, ...]
    templated: bool = False
    expressions: frozenset[str] = frozenset()
    """The template expressions its paths use (``identity.entity.id``, ...)."""


def parse_policy(text: str) -> ParsedPolicy:
    """Parse and check a policy in HCL or JSON.

    Raises :class:`PolicyError` with the real server's reason for a policy it
    refuses (the message starts ``failed to parse policy:``).
    """
    if len(text) > MAX_POLICY_CHARS:
        # The parser's cost grows faster than the text; the whole server would
        # wait on one huge policy.
        raise PolicyError(
            f"vaultmock refuses policies over {MAX_POLICY_CHARS // 1024} KiB of "
            f"text (this one has {len(text) // 1024} KiB; the real server takes "
            "bigger ones): split it into several policies"
        )
    pairs = _top_level_pairs(text)
    rules: list[PathRule] = []
    for key, value in pairs:
        if key not in _TOP_KEYS:
            raise PolicyError(multierror([f'invalid key "{key}" on line 0']))
        if key != "path":
            continue
        for pattern, body in _path_blocks(value):
            rules.append(_parse_rule(text, pattern, body))
    expressions = frozenset(
        match.group(1) for rule in rules for match in _TEMPLATE.finditer(rule.path)
    )
    return ParsedPolicy(
        rules=tuple(rules),
        templated=bool(expressions),
        expressions=expressions,
    )


def _top_level_pairs(text: str) -> list[tuple[str, Any]]:
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            document = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise PolicyError(str(exc)) from None
        if not isinstance(document, dict):
            raise PolicyError("policy must be a JSON object")
        return list(document.items())
    try:
        parsed = _parser().parse(text)
    except ValueError as exc:
        raise PolicyError(str(exc)) from None
    return [(str(k), v) for k, v in parsed]


def _path_blocks(value: Any) -> list[tuple[str, Any]]:
    # HCL gives {pattern: body}; JSON may also give a list of such objects.
    blocks: list[tuple[str, Any]] = []
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, dict):
            raise PolicyError("path must be followed by a path pattern and a block")
        blocks.extend((str(pattern), body) for pattern, body in item.items())
    return blocks


def _parse_rule(text: str, raw: str, body: Any) -> PathRule:
    where = f'path "{raw}"'
    if not isinstance(body, dict):
        raise PolicyError(f"{where}: {where}: a path takes a block of settings")
    for key in body:
        if key not in _RULE_KEYS:
            line = _line_of(text, raw, key)
            raise PolicyError(
                f"{where}: " + multierror([f'invalid key "{key}" on line {line}'])
            )
    for key in ("capabilities", "required_parameters", "mfa_methods"):
        if key in body and not isinstance(body[key], list):
            raise PolicyError(f"{where}: {where}: {_slice_error(text, raw, key)}")
    for key in ("allowed_parameters", "denied_parameters"):
        value = body.get(key)
        if value is None:
            continue
        if not isinstance(value, dict):
            raise PolicyError(f"{where}: {where}: {_slice_error(text, raw, key)}")
        for name, values in value.items():
            if not isinstance(values, list):
                problem = _slice_error(text, raw, key, name)
                raise PolicyError(f"{where}: {where}: {problem}")

    path = raw.removeprefix("/")
    if "+*" in path:
        raise PolicyError(
            f"{where}: {where}: invalid use of wildcards ('+*' is forbidden)"
        )

    capabilities: set[str] = set()
    shorthand = body.get("policy")
    if shorthand is not None:
        granted = _SHORTHAND.get(str(shorthand).lower())
        if granted is None:
            raise PolicyError(f'{where}: {where}: invalid policy "{shorthand}"')
        capabilities |= granted
    for capability in _flatten(body.get("capabilities") or []):
        if capability not in CAPABILITIES:
            raise PolicyError(f'{where}: {where}: invalid capability "{capability}"')
        capabilities.add(capability)
    if "deny" in capabilities:
        capabilities = {"deny"}

    min_ttl = _wrapping_ttl(where, body, "min_wrapping_ttl")
    max_ttl = _wrapping_ttl(where, body, "max_wrapping_ttl")
    if min_ttl and max_ttl and max_ttl < min_ttl:
        raise PolicyError(
            f"{where}: max_wrapping_ttl cannot be less than min_wrapping_ttl"
        )
    if "control_group" in body and not _has_factors(body["control_group"]):
        raise PolicyError(
            f"{where}: error handling control_group: "
            + multierror(["requires at least one factor but had none"])
        )
    if "list_scan_response_keys_filter_path" in body and "list" not in capabilities:
        raise PolicyError(
            f"{where}: list_scan_response_keys_filter_path needs to be used on a "
            "path with the list capability"
        )

    permissions = Permissions(
        capabilities=frozenset(capabilities),
        allowed_parameters=_parameters(body.get("allowed_parameters")),
        denied_parameters=_parameters(body.get("denied_parameters")),
        required_parameters=tuple(
            str(p) for p in _flatten(body.get("required_parameters") or [])
        ),
        min_wrapping_ttl=min_ttl,
        max_wrapping_ttl=max_ttl,
    )
    return PathRule(
        path=path, permissions=permissions, templated=bool(_TEMPLATE.search(path))
    )


def _flatten(values: Iterable[Any]) -> list[Any]:
    # pyhcl nests the list of a repeated key inside the first one.
    flat: list[Any] = []
    for value in values:
        if isinstance(value, list):
            flat.extend(_flatten(value))
        else:
            flat.append(value)
    return flat


def _parameters(value: Any) -> Mapping[str, tuple[Any, ...]] | None:
    if not value:
        return None
    return {str(k).lower(): tuple(_flatten(v)) for k, v in value.items()}


def _wrapping_ttl(where: str, body: Mapping[str, Any], key: str) -> int:
    value = body.get(key)
    if value is None or value == "":
        return 0
    try:
        return parse_ttl(value, key)
    except InvalidRequest as exc:
        raise PolicyError(f"{where}: error parsing {key}: {exc.errors[0]}") from None


def _has_factors(value: Any) -> bool:
    if isinstance(value, list):
        return any(_has_factors(v) for v in value)
    return isinstance(value, dict) and bool(value.get("factor"))


def _line_of(text: str, pattern: str, key: str) -> int:
    """The line of ``key`` inside the block of ``pattern`` (1-based), for messages."""
    start = text.find(f'"{pattern}"')
    found = re.compile(rf"\b{re.escape(key)}\b").search(text, max(start, 0))
    return text.count("\n", 0, found.start()) + 1 if found else 0


def _slice_error(text: str, pattern: str, key: str, name: str | None = None) -> str:
    """The real server's complaint about a value that should be a list, with the
    ``line:column`` of the value when it can be found in the text."""
    message = "unknown slice type: *ast.LiteralType"
    start = max(text.find(f'"{pattern}"'), 0)
    anchor = re.compile(rf"\b{re.escape(key)}\s*=\s*").search(text, start)
    if anchor is None:
        return message
    position = anchor.end()
    if name is not None:
        inner = re.compile(rf'"?{re.escape(name)}"?\s*=\s*').search(text, position)
        if inner is None:
            return message
        position = inner.end()
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return f"At {line}:{column}: {message}"


# -- templates ------------------------------------------------------------------


class TemplateResolver(Protocol):
    """What templated paths resolve against: anything that answers
    :meth:`resolve` (an :class:`IdentityContext`, or a view of the live store)."""

    def resolve(self, expression: str) -> str | None:
        """The value of one template expression, or None when it has none."""


@dataclass(frozen=True, slots=True)
class AliasFacts:
    """An entity alias as templates see it."""

    id: str
    name: str
    metadata: Mapping[str, str] = field(default_factory=dict)
    custom_metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GroupFacts:
    """A group of the entity (direct or inherited) as templates see it."""

    id: str
    name: str
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IdentityContext:
    """The entity a token is tied to, for resolving templated paths.

    ``aliases`` is keyed by mount accessor. A token without an entity has the
    empty context, in which every template fails to resolve.
    """

    entity_id: str = ""
    entity_name: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, AliasFacts] = field(default_factory=dict)
    groups: tuple[GroupFacts, ...] = ()

    def resolve(self, expression: str) -> str | None:
        """The value of one template expression, or None when it has none."""
        if not self.entity_id:
            return None
        parts = expression.split(".")
        if parts[:2] == ["identity", "entity"]:
            return self._entity(parts[2:])
        if parts[:2] == ["identity", "groups"]:
            return self._group(parts[2:])
        return None

    def _entity(self, parts: list[str]) -> str | None:
        if parts == ["id"]:
            return self.entity_id
        if parts == ["name"]:
            return self.entity_name
        if len(parts) == 2 and parts[0] == "metadata":
            return self.metadata.get(parts[1])
        if len(parts) >= 3 and parts[0] == "aliases":
            alias = self.aliases.get(parts[1])
            if alias is None:
                return None
            rest = parts[2:]
            if rest == ["id"]:
                return alias.id
            if rest == ["name"]:
                return alias.name
            if len(rest) == 2 and rest[0] == "metadata":
                return alias.metadata.get(rest[1])
            if len(rest) == 2 and rest[0] == "custom_metadata":
                return alias.custom_metadata.get(rest[1])
        return None

    def _group(self, parts: list[str]) -> str | None:
        if len(parts) < 3 or parts[0] not in ("ids", "names"):
            return None
        by_id = parts[0] == "ids"
        group = next(
            (g for g in self.groups if (g.id if by_id else g.name) == parts[1]), None
        )
        if group is None:
            return None
        rest = parts[2:]
        if rest == ["id"]:
            return group.id
        if rest == ["name"]:
            return group.name
        if len(rest) == 2 and rest[0] == "metadata":
            return group.metadata.get(rest[1])
        return None


def _render(path: str, identity: TemplateResolver) -> str | None:
    """``path`` with its templates filled in; None when one has no value.

    Raises :class:`TemplateError` when a value holds a character the real server
    refuses in a path.
    """
    missing = False

    def fill(match: re.Match[str]) -> str:
        nonlocal missing
        value = identity.resolve(match.group(1))
        if value is None:
            missing = True
            return ""
        for forbidden in _FORBIDDEN_IN_TEMPLATES:
            if forbidden in value:
                raise TemplateError(
                    f'path "{path}": template substitution contains forbidden '
                    f'value: "{forbidden}"'
                )
        return value

    rendered = _TEMPLATE.sub(fill, path)
    return None if missing else rendered


# -- decisions ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Wildcard:
    """A pattern with ``+`` segments, split once."""

    pattern: str
    segments: tuple[str, ...]
    prefix: bool
    first_wildcard: int
    wildcards: int
    permissions: Permissions


def _wildcard(pattern: str, permissions: Permissions) -> _Wildcard:
    prefix = pattern.endswith("*")
    body = pattern[:-1] if prefix else pattern
    segments = tuple(body.split("/"))
    first = len(body)
    offset = 0
    for segment in segments:
        if segment == "+":
            first = offset
            break
        offset += len(segment) + 1
    return _Wildcard(
        pattern=body,
        segments=segments,
        prefix=prefix,
        first_wildcard=first,
        wildcards=segments.count("+"),
        permissions=permissions,
    )


def _priority(
    first: int, prefix: bool, wildcards: int, pattern: str
) -> tuple[Any, ...]:
    # Larger is more specific: a later first wildcard or glob, then not a glob,
    # then fewer wildcards, then a longer pattern, then (arbitrarily) the order
    # of the text.
    return (first, not prefix, -wildcards, len(pattern), pattern)


_DECIDED_SIZE = 2048
"""Paths whose governing rule an ACL remembers at most."""


class ACL:
    """The merged rules of a set of policies, for one token.

    Rules for the same path pattern merge (capabilities add up, ``deny`` takes
    over); for a request path the exact rule wins, else the most specific of the
    matching ``*`` and ``+`` rules.
    """

    def __init__(
        self,
        policies: Iterable[ParsedPolicy],
        identity: TemplateResolver | None = None,
    ) -> None:
        identity = identity or IdentityContext()
        self._decided: dict[str, Permissions | None] = {}
        merged: dict[str, Permissions] = {}
        for policy in policies:
            for rule in policy.rules:
                path = rule.path
                if rule.templated:
                    rendered = _render(path, identity)
                    if rendered is None:
                        continue
                    path = rendered
                known = merged.get(path)
                merged[path] = (
                    rule.permissions if known is None else known.merge(rule.permissions)
                )
        self.exact: dict[str, Permissions] = {}
        self.globs: list[tuple[str, Permissions]] = []
        self.wildcards: list[_Wildcard] = []
        for path, permissions in merged.items():
            if "+" in path:
                self.wildcards.append(_wildcard(path, permissions))
            elif path.endswith("*"):
                self.globs.append((path[:-1], permissions))
            else:
                self.exact[path] = permissions
        # Longest prefix first, so the first match is the longest.
        self.globs.sort(key=lambda item: len(item[0]), reverse=True)

    def rule_for(self, path: str, *, listing: bool = False) -> Permissions | None:
        """The permissions of the rule that governs ``path``, or None.

        A list request's path ends in ``/``; when nothing governs it, the path
        without the slash is tried too, as the real server does.
        """
        found = self._lookup(path)
        if found is None and listing and path.endswith("/"):
            found = self._lookup(path[:-1])
        return found

    def _lookup(self, path: str) -> Permissions | None:
        # Tests ask about the same few paths again and again.
        try:
            return self._decided[path]
        except KeyError:
            pass
        found = self._search(path)
        if len(self._decided) >= _DECIDED_SIZE:
            self._decided.clear()
        self._decided[path] = found
        return found

    def _search(self, path: str) -> Permissions | None:
        exact = self.exact.get(path)
        if exact is not None:
            return exact
        best: tuple[Any, ...] | None = None
        chosen: Permissions | None = None
        for prefix, permissions in self.globs:
            if path.startswith(prefix):
                best = _priority(len(prefix), True, 0, prefix)
                chosen = permissions
                break
        if not self.wildcards:
            return chosen
        parts = path.split("/")
        for candidate in self.wildcards:
            if not _matches(candidate, parts):
                continue
            rank = _priority(
                candidate.first_wildcard,
                candidate.prefix,
                candidate.wildcards,
                candidate.pattern,
            )
            if best is None or rank > best:
                best, chosen = rank, candidate.permissions
        return chosen

    def capabilities(self, path: str) -> list[str]:
        """The capabilities held on ``path``, sorted; ``["deny"]`` for none.

        A path ending in ``/`` falls back to the rule of the path without it.
        """
        permissions = self.rule_for(path, listing=True)
        if permissions is None or not permissions.capabilities:
            return ["deny"]
        if "deny" in permissions.capabilities:
            return ["deny"]
        return sorted(permissions.capabilities)

    def allows(
        self,
        capability: str,
        path: str,
        *,
        parameters: Mapping[str, Any] | None = None,
        sudo: bool = False,
        wrap_ttl: int | None = None,
    ) -> bool:
        """Whether a request needing ``capability`` on ``path`` is allowed.

        ``parameters`` are the request's fields (its body, or the query of a
        read), checked against the parameter constraints of reads, creates,
        updates and patches; ``sudo``
        says the path also needs the ``sudo`` capability; ``wrap_ttl`` is the
        response-wrapping TTL the request asks for, if any.
        """
        permissions = self.rule_for(path, listing=capability == "list")
        if permissions is None:
            return False
        return decide(
            permissions,
            capability,
            parameters=parameters,
            sudo=sudo,
            wrap_ttl=wrap_ttl,
        )


def decide(
    permissions: Permissions,
    capability: str,
    *,
    parameters: Mapping[str, Any] | None = None,
    sudo: bool = False,
    wrap_ttl: int | None = None,
) -> bool:
    """Whether ``permissions`` let a request needing ``capability`` through."""
    granted = permissions.capabilities
    if "deny" in granted or capability not in granted:
        return False
    if sudo and "sudo" not in granted:
        return False
    if permissions.max_wrapping_ttl and (
        wrap_ttl is None or wrap_ttl > permissions.max_wrapping_ttl
    ):
        return False
    if permissions.min_wrapping_ttl and (
        wrap_ttl is None or wrap_ttl < permissions.min_wrapping_ttl
    ):
        return False
    if capability in PARAMETER_CHECKED:
        return _parameters_allowed(permissions, parameters or {})
    return True


def _parameters_allowed(
    permissions: Permissions, parameters: Mapping[str, Any]
) -> bool:
    fields = {str(k).lower(): v for k, v in parameters.items()}
    if any(name.lower() not in fields for name in permissions.required_parameters):
        return False
    if not fields:
        return True
    denied = permissions.denied_parameters
    if denied:
        if "*" in denied:
            return False
        for name, value in fields.items():
            if name in denied and _value_listed(value, denied[name]):
                return False
    allowed = permissions.allowed_parameters
    if not allowed:
        return True
    any_name = "*" in allowed
    if any_name and len(allowed) == 1:
        return True
    for name, value in fields.items():
        values = allowed.get(name)
        if values is None:
            if not any_name:
                return False
        elif not _value_listed(value, values):
            return False
    return True


def _value_listed(value: Any, listed: Sequence[Any]) -> bool:
    # An empty list stands for every value. A list value is one value: it matches
    # an equal list, not a list holding its elements (as on the real server).
    if not listed:
        return True
    return _one_listed(value, listed)


def _one_listed(value: Any, listed: Sequence[Any]) -> bool:
    for item in listed:
        if isinstance(item, str) and isinstance(value, str):
            if _glob_match(item, value):
                return True
        elif item == value and type(item) is type(value):
            return True
    return False


def _glob_match(pattern: str, value: str) -> bool:
    # A value pattern may start and/or end with "*" (prefix, suffix, infix).
    if pattern == "*":
        return True
    starts = pattern.startswith("*")
    ends = pattern.endswith("*") and len(pattern) > 1
    core = pattern[1 if starts else 0 : len(pattern) - 1 if ends else len(pattern)]
    if starts and ends:
        return core in value
    if starts:
        return value.endswith(core)
    if ends:
        return value.startswith(core)
    return pattern == value


def _matches(candidate: _Wildcard, parts: list[str]) -> bool:
    segments = candidate.segments
    if len(parts) < len(segments):
        return False
    if not candidate.prefix and len(parts) != len(segments):
        return False
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        part = parts[index]
        if segment in ("+", part):
            continue
        if candidate.prefix and index == last and part.startswith(segment):
            continue
        return False
    return True
