"""Named ACL policies (``sys/policy`` and ``sys/policies/acl``).

Policies are stored and returned; their rules are not enforced yet (every live
token may call every operation). The text of a policy is checked for the shape
the real server's parser needs (balanced braces and brackets, closed strings), so
an obviously broken policy is refused as it would be; a policy that is well formed
but names an unknown capability is accepted.

``root`` always exists, has no rules and can be neither changed nor deleted;
``default`` always exists and can be changed but not deleted. Names are stored in
lower case, as on the real server.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from mockserver.backends._base import Randomness
from mockserver.errors import InvalidRequest, NotFound

ROOT = "root"
DEFAULT = "default"

DEFAULT_RULES = """
# A token may read what it is and what it may do.
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

# A token may renew and revoke itself.
path "auth/token/renew-self" {
    capabilities = ["update"]
}

path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# A token may ask which capabilities it holds on a path.
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# A token may read the entity it is tied to and generate identity tokens.
path "identity/entity/id/{{identity.entity.id}}" {
    capabilities = ["read"]
}

path "identity/oidc/token/*" {
    capabilities = ["read"]
}
"""
"""The rules of the ``default`` policy (vaultmock's own wording)."""


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

    def snapshot(self) -> dict[str, Any]:
        """Every policy as plain data."""
        return {"policies": [asdict(p) for p in self.policies.values()]}

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the policies with a snapshot's."""
        self.policies = {}
        for raw in data["policies"]:
            policy = Policy(**raw)
            self.policies[policy.name] = policy

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
        policy = Policy(
            name=key,
            rules=rules,
            version=version + 1,
            modified=self._random.timestamp(),
        )
        self.policies[key] = policy
        return policy

    def policy_delete(self, name: str) -> None:
        """Delete the policy ``name``; a missing one is not an error."""
        key = name.lower()
        if key == ROOT:
            raise InvalidRequest('cannot delete "root" policy')
        if key == DEFAULT:
            raise InvalidRequest("cannot delete default policy")
        self.policies.pop(key, None)


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
