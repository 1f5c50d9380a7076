"""Plain-Python state of the mock, one backend per family, owned by one :class:`Store`.

Backends know nothing of HTTP: they take and return Python values and raise
:class:`~mockserver.errors.RequestError` subclasses for what the real server
refuses. The store resets, snapshots and restores every backend at once.
"""

from __future__ import annotations

from typing import Any

from mockserver.backends._base import Randomness
from mockserver.backends.approle import ApproleBackend
from mockserver.backends.auth import AuthBackend
from mockserver.backends.entities import EntityBackend
from mockserver.backends.groups import GroupBackend
from mockserver.backends.lookup import LookupBackend
from mockserver.backends.mfa import MFABackend
from mockserver.backends.mounts import MountBackend
from mockserver.backends.oidc import OIDCBackend
from mockserver.backends.oidc_provider import ProviderBackend
from mockserver.backends.policies import PolicyBackend
from mockserver.backends.tokens import TokenBackend
from mockserver.backends.userpass import UserpassBackend

__all__ = ["SNAPSHOT_FORMAT", "Store"]

SNAPSHOT_FORMAT = "vaultmock-state/1"
"""Marker of a snapshot's format; a snapshot without it is refused."""


class Store:
    """Every backend of the mock, and the seeded source they draw from."""

    def __init__(self, *, seed: int | None = None, root_token: str = "root") -> None:
        self.seed = seed
        self.random = Randomness(seed)
        self.cluster_id = self.random.uuid()
        self.mounts = MountBackend(self.random)
        self.tokens = TokenBackend(self.random, root_token)
        self.entities = EntityBackend(self.random, self.mounts)
        self.oidc = OIDCBackend(self.random, self.entities)
        self.mfa = MFABackend(self.random, self.entities, self.mounts)
        self.oidc_provider = ProviderBackend(self.oidc, self.entities, self.tokens)
        self.groups = GroupBackend(self.random, self.mounts, self.entities)
        self.mfa.group_exists = lambda group_id: group_id in self.groups.groups
        self.oidc.group_names = self._group_names
        self.lookup = LookupBackend(self.entities, self.groups)
        self.policies = PolicyBackend(self.random)
        self.userpass = UserpassBackend(self.random)
        self.approle = ApproleBackend(self.random)
        self.auth = AuthBackend(
            mounts=self.mounts,
            tokens=self.tokens,
            entities=self.entities,
            groups=self.groups,
            policies=self.policies,
            userpass=self.userpass,
            approle=self.approle,
        )

    def _group_names(self, group_ids: list[str]) -> list[str]:
        # Names in the order of the ids (direct groups, then inherited ones).
        groups = self.groups.groups
        return [groups[i].name for i in group_ids if i in groups]

    def reset(self) -> None:
        """Back to the state of a new store with the same seed."""
        self.random.rewind()
        self.cluster_id = self.random.uuid()
        self.mounts.reset()
        self.tokens.reset()
        self.entities.reset()
        self.oidc.reset()
        self.mfa.reset()
        self.oidc_provider.reset()
        self.groups.reset()
        self.policies.reset()
        self.userpass.reset()
        self.approle.reset()

    def snapshot(self) -> dict[str, Any]:
        """The whole state as JSON-compatible data."""
        return {
            "format": SNAPSHOT_FORMAT,
            "random": self.random.state(),
            "cluster_id": self.cluster_id,
            "mounts": self.mounts.snapshot(),
            "tokens": self.tokens.snapshot(),
            "entities": self.entities.snapshot(),
            "oidc": self.oidc.snapshot(),
            "mfa": self.mfa.snapshot(),
            "oidc_provider": self.oidc_provider.snapshot(),
            "groups": self.groups.snapshot(),
            "policies": self.policies.snapshot(),
            "userpass": self.userpass.snapshot(),
            "approle": self.approle.snapshot(),
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the whole state with a :meth:`snapshot`.

        Raises :class:`ValueError` when ``data`` is not a snapshot of this format;
        the current state is left untouched in that case.
        """
        if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(
                f"not a vaultmock snapshot (expected format {SNAPSHOT_FORMAT!r})"
            )
        candidate = Store(seed=self.seed, root_token=self.tokens.root_token)
        try:
            candidate.random.set_state(data["random"])
            candidate.mounts.restore(data["mounts"])
            candidate.tokens.restore(data["tokens"])
            candidate.entities.restore(data["entities"])
            candidate.oidc.restore(data["oidc"])
            candidate.mfa.restore(data["mfa"])
            candidate.oidc_provider.restore(data["oidc_provider"])
            candidate.groups.restore(data["groups"])
            candidate.policies.restore(data["policies"])
            candidate.userpass.restore(data["userpass"])
            candidate.approle.restore(data["approle"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"snapshot is incomplete or damaged: {exc!r}") from exc
        self.cluster_id = str(data.get("cluster_id", self.cluster_id))
        self.mounts.restore(data["mounts"])
        self.tokens.restore(data["tokens"])
        self.entities.restore(data["entities"])
        self.oidc.restore(data["oidc"])
        self.mfa.restore(data["mfa"])
        self.oidc_provider.restore(data["oidc_provider"])
        self.groups.restore(data["groups"])
        self.policies.restore(data["policies"])
        self.userpass.restore(data["userpass"])
        self.approle.restore(data["approle"])
        self.random.set_state(data["random"])
