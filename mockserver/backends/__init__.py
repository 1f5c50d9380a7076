"""Plain-Python state of the mock, one backend per family, owned by one :class:`Store`.

Backends know nothing of HTTP: they take and return Python values and raise
:class:`~mockserver.errors.RequestError` subclasses for what the real server
refuses. The store resets, snapshots and restores every backend at once.
"""

from __future__ import annotations

from typing import Any

from mockserver.backends._base import Backend, Randomness
from mockserver.backends.approle import ApproleBackend
from mockserver.backends.auth import AuthBackend
from mockserver.backends.entities import EntityBackend
from mockserver.backends.groups import GroupBackend
from mockserver.backends.jwtauth import JwtBackend
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
        self.jwt = JwtBackend()
        self.auth = AuthBackend(
            mounts=self.mounts,
            tokens=self.tokens,
            entities=self.entities,
            groups=self.groups,
            policies=self.policies,
            userpass=self.userpass,
            approle=self.approle,
            jwt=self.jwt,
        )

    def _group_names(self, group_ids: list[str]) -> list[str]:
        # Names in the order of the ids (direct groups, then inherited ones).
        groups = self.groups.groups
        return [groups[i].name for i in group_ids if i in groups]

    def _backends(self) -> dict[str, Backend]:
        """Every backend by its snapshot key, in the order they are restored."""
        return {
            "mounts": self.mounts,
            "tokens": self.tokens,
            "entities": self.entities,
            "oidc": self.oidc,
            "mfa": self.mfa,
            "oidc_provider": self.oidc_provider,
            "groups": self.groups,
            "policies": self.policies,
            "userpass": self.userpass,
            "approle": self.approle,
            "jwt": self.jwt,
        }

    def reset(self) -> None:
        """Back to the state of a new store with the same seed."""
        self.random.rewind()
        self.cluster_id = self.random.uuid()
        for backend in self._backends().values():
            backend.reset()

    def snapshot(self) -> dict[str, Any]:
        """The whole state as JSON-compatible data."""
        data: dict[str, Any] = {
            "format": SNAPSHOT_FORMAT,
            "random": self.random.state(),
            "cluster_id": self.cluster_id,
        }
        for key, backend in self._backends().items():
            data[key] = backend.snapshot()
        return data

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the whole state with a :meth:`snapshot`.

        Raises :class:`ValueError` when ``data`` is not a snapshot of this format,
        or when a record has a value of the wrong type or the records break an
        invariant (each backend's ``check``); the current state is left
        untouched in that case. The snapshot is loaded into a fresh store first,
        which then takes this one's place whole. The store takes the snapshot's
        seed: a seeded snapshot resumes its generator, an unseeded one draws
        fresh random values.
        """
        if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(
                f"not a vaultmock snapshot (expected format {SNAPSHOT_FORMAT!r})"
            )
        try:
            # The generator's state is checked on a scratch source first: the
            # candidate is built with the snapshot's seed.
            state = data["random"]
            Randomness(None).set_state(state)
            seed = state["seed"]
            if seed is not None and type(seed) is not int:
                raise ValueError(
                    f"random: 'seed' must be an integer or null, not {seed!r}"
                )
            candidate = Store(seed=seed, root_token=self.tokens.root_token)
            for key, backend in candidate._backends().items():
                backend.restore(data[key])
            for backend in candidate._backends().values():
                backend.check()
            # A seeded snapshot resumes its sequence, so ids repeat from run to
            # run. An unseeded one keeps the candidate's fresh random source:
            # resuming its position would hand out the same ids after every
            # restore of the same snapshot.
            if seed is not None:
                candidate.random.set_state(state)
            cluster_id = data.get("cluster_id", self.cluster_id)
            if type(cluster_id) is not str:
                raise ValueError("'cluster_id' must be a string")
            candidate.cluster_id = cluster_id
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"snapshot is incomplete or damaged: {_reason(exc)}"
            ) from exc
        # Backends refer to each other (and the hooks to the candidate), so the
        # candidate's whole set of attributes moves over at once.
        vars(self).update(vars(candidate))


def _reason(exc: Exception) -> str:
    # A ValueError of a backend names the record and field; the others say
    # which member is missing or of the wrong kind.
    if isinstance(exc, KeyError):
        return f"missing member {exc.args[0]!r}"
    if isinstance(exc, ValueError):
        return str(exc)
    return repr(exc)
