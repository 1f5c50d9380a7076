"""Named ACL policies (``sys/policy`` and ``sys/policies/acl``).

A policy is parsed when it is written (:func:`mockserver.backends.acl.parse_policy`)
and refused with the parser's reason when it does not parse, as the real server
refuses it. The parsed rules are kept beside the text, and :meth:`PolicyBackend.acl`
builds (and caches) the merged ACL of a set of policy names; every write or delete
drops the cache, so a change applies from the next request on.

``root`` always exists, has no rules and can be neither changed nor deleted;
``default`` always exists and can be changed but not deleted. Names are stored in
lower case, as on the real server.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from mockserver.backends._base import Randomness, load_records
from mockserver.backends.acl import ACL, ParsedPolicy, TemplateResolver, parse_policy
from mockserver.errors import InvalidRequest, NotFound

ROOT = "root"
DEFAULT = "default"

DEFAULT_RULES = """
# Every token may see what it is, renew itself and give itself up.
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

path "auth/token/renew-self" {
    capabilities = ["update"]
}

path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# Every token may ask which capabilities it holds on a path.
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# A token tied to an entity may read that entity, by id or by name.
path "identity/entity/id/{{identity.entity.id}}" {
    capabilities = ["read"]
}

path "identity/entity/name/{{identity.entity.name}}" {
    capabilities = ["read"]
}

# The token's resultant ACL, as UIs read it.
path "sys/internal/ui/resultant-acl" {
    capabilities = ["read"]
}

# Leases: renew one, or look one up by id.
path "sys/leases/renew" {
    capabilities = ["update"]
}

path "sys/leases/lookup" {
    capabilities = ["update"]
}

# The token's own cubbyhole.
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}

# Response wrapping: wrap, look up and unwrap.
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}

path "sys/wrapping/lookup" {
    capabilities = ["update"]
}

path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}

# Hashing tools.
path "sys/tools/hash" {
    capabilities = ["update"]
}

path "sys/tools/hash/*" {
    capabilities = ["update"]
}

# The authorization endpoint of OIDC providers.
path "identity/oidc/provider/+/authorize" {
    capabilities = ["read", "update"]
}
"""
"""The rules of the ``default`` policy: the real server's grants, in our words."""


@dataclass(slots=True)
class Policy:
    """One named ACL policy."""

    name: str
    rules: str
    version: int
    modified: str


class PolicyBackend:
    """Stored policies, keyed by lower-case name."""

    def __init__(self, randomness: Randomness) -> None:
        self._random = randomness
        self.policies: dict[str, Policy] = {}
        self._parsed: dict[str, ParsedPolicy] = {}
        self._acls: dict[tuple[Any, ...], ACL] = {}
        self._sets: dict[
            tuple[str, ...], tuple[tuple[str, ...], list[ParsedPolicy], tuple[str, ...]]
        ] = {}
        self.reset()

    def reset(self) -> None:
        """Back to only ``default`` (``root`` is implicit)."""
        # The start time is not drawn from the seeded source, so adding this
        # backend leaves every other generated value where it was.
        started = (
            datetime.now(UTC)
            if self._random.seed is None
            else datetime(2026, 1, 1, tzinfo=UTC)
        )
        self.policies = {
            DEFAULT: Policy(
                name=DEFAULT,
                rules=DEFAULT_RULES,
                version=1,
                modified=started.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            )
        }
        self._forget_parsed()

    def snapshot(self) -> dict[str, Any]:
        """Every policy as plain data."""
        return {"policies": [asdict(p) for p in self.policies.values()]}

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the policies with a snapshot's."""
        self.policies = {}
        for policy in load_records(Policy, data, "policies", "policies: policy {}"):
            if policy.name != policy.name.lower() or policy.name in self.policies:
                raise ValueError(
                    f"policies: policy {policy.name!r} is not lowercase or is "
                    "listed twice"
                )
            self.policies[policy.name] = policy
        self._forget_parsed()

    def check(self) -> None:
        """Every policy's rules parse."""
        for policy in self.policies.values():
            problem = check_rules(policy.rules)
            if problem:
                raise ValueError(
                    f"policies: policy {policy.name!r}: rules do not parse: {problem}"
                )

    def exists(self, name: str) -> bool:
        """True for ``root`` and every stored policy."""
        key = name.lower()
        return key == ROOT or key in self.policies

    def policy_list(self) -> list[str]:
        """Every policy name, sorted, with ``root`` last as the server lists it."""
        return [*sorted(self.policies), ROOT]

    def policy_read(self, name: str) -> Policy:
        """The policy ``name`` (``root`` has no rules), or :class:`NotFound`."""
        key = name.lower()
        if key == ROOT:
            return Policy(name=ROOT, rules="", version=0, modified="")
        policy = self.policies.get(key)
        if policy is None:
            raise NotFound()
        return policy

    def policy_write(
        self, name: str, rules: str | None, cas: int | None = None
    ) -> Policy:
        """Create or replace the policy ``name``.

        ``cas`` must equal the current version when given (0: must not exist).
        """
        key = name.lower()
        if not rules:
            raise InvalidRequest("'policy' parameter not supplied or empty")
        if key == ROOT:
            raise InvalidRequest('cannot update "root" policy')
        current = self.policies.get(key)
        version = current.version if current else 0
        if cas is not None and cas != version:
            raise InvalidRequest(
                f"check-and-set parameter {cas} did not match the current version "
                f"{version}"
            )
        problem = check_rules(rules)
        if problem:
            raise InvalidRequest(f"failed to parse policy: {problem}")
        parsed = parse_policy(rules)
        policy = Policy(
            name=key,
            rules=rules,
            version=version + 1,
            modified=self._random.timestamp(),
        )
        self.policies[key] = policy
        self._forget_parsed(key)
        self._parsed[key] = parsed
        return policy

    def policy_delete(self, name: str) -> None:
        """Delete the policy ``name``; a missing one is not an error."""
        key = name.lower()
        if key == ROOT:
            raise InvalidRequest('cannot delete "root" policy')
        if key == DEFAULT:
            raise InvalidRequest("cannot delete default policy")
        if self.policies.pop(key, None) is not None:
            self._forget_parsed(key)

    # -- evaluation -------------------------------------------------------------

    def parsed(self, name: str) -> ParsedPolicy | None:
        """The parsed rules of the policy ``name``; None for ``root`` or a
        policy that does not exist (a token may name one: it grants nothing)."""
        key = name.lower()
        parsed = self._parsed.get(key)
        if parsed is None:
            policy = self.policies.get(key)
            if policy is None:
                return None
            # Policies restored from a snapshot are parsed on first use.
            parsed = parse_policy(policy.rules)
            self._parsed[key] = parsed
        return parsed

    def acl(
        self, names: Iterable[str], identity: TemplateResolver | None = None
    ) -> ACL:
        """The merged ACL of the policies ``names`` (unknown names grant nothing).

        ``identity`` resolves templated paths. Built ACLs are cached by the
        policy names and the values of the template expressions those policies
        use, so tokens of different entities share one ACL unless a template
        tells them apart. Raises :class:`~mockserver.backends.acl.TemplateError`
        when a template resolves to a value no path may hold.
        """
        unique, parsed, expressions = self._policy_set(tuple(names))
        values = (
            tuple(identity.resolve(e) for e in expressions)
            if identity is not None
            else (None,) * len(expressions)
        )
        key = (unique, values)
        acl = self._acls.get(key)
        if acl is None:
            acl = ACL(parsed, identity)
            if len(self._acls) >= _ACL_CACHE_SIZE:
                self._acls.clear()
            self._acls[key] = acl
        return acl

    def _policy_set(
        self, names: tuple[str, ...]
    ) -> tuple[tuple[str, ...], list[ParsedPolicy], tuple[str, ...]]:
        """(unique lower-case names, their parsed policies, the template
        expressions they use), remembered per list of names as a token gives it."""
        known = self._sets.get(names)
        if known is None:
            unique = tuple(sorted({n.lower() for n in names}))
            parsed = [p for p in map(self.parsed, unique) if p is not None]
            expressions = tuple(sorted({e for p in parsed for e in p.expressions}))
            known = (unique, parsed, expressions)
            if len(self._sets) >= _ACL_CACHE_SIZE:
                self._sets.clear()
            self._sets[names] = known
        return known

    def _forget_parsed(self, name: str | None = None) -> None:
        # Built ACLs may hold any policy: they all go. Parsed policies go only
        # for the one that changed (all of them when the whole state changes).
        self._acls = {}
        self._sets = {}
        if name is None:
            self._parsed = {}
        else:
            self._parsed.pop(name, None)


_ACL_CACHE_SIZE = 4096
"""Built ACLs kept at most; past that the cache starts again empty."""


_CLOSERS = {"{": "}", "[": "]"}


def check_rules(text: str) -> str | None:
    """What is structurally wrong with a policy's text, or None.

    Checks what any HCL or JSON policy needs: strings are closed, and braces and
    brackets are balanced and properly nested. Positions are ``line:column``.
    """
    stack: list[tuple[str, int, int]] = []
    line, column = 1, 0
    in_string = False
    escaped = False
    in_comment = False
    for char in text:
        column += 1
        if char == "\n":
            line, column = line + 1, 0
            in_comment = False
            continue
        if in_comment:
            continue
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == "#":
            in_comment = True
        elif char == '"':
            in_string = True
        elif char in _CLOSERS:
            stack.append((char, line, column))
        elif char in ("}", "]"):
            if not stack or _CLOSERS[stack[-1][0]] != char:
                return f"At {line}:{column}: unexpected {char!r}"
            stack.pop()
    if in_string:
        return f"At {line}:{column}: literal not terminated"
    if stack:
        opener, _, _ = stack[-1]
        closing = "RBRACE" if opener == "{" else "RBRACK"
        # The real parser reports the end of input one column past the last.
        return f"At {line}:{column + 2}: object expected closing {closing} got: EOF"
    return None
