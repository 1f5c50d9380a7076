"""What every backend shares: the seeded source of ids and time, and the contract
of ``reset``, ``snapshot`` and ``restore``."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from mockserver.errors import InvalidRequest


class Randomness:
    """One seeded random source for ids, names and timestamps.

    With a seed, every generated value repeats from one run to the next: the
    clock starts at a fixed instant and moves forward a millisecond-scale step
    each time it is read. Without a seed, ids are random and the clock is real.
    """

    _EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._rng = random.Random(seed)
        self._ticks = 0

    def rewind(self) -> None:
        """Start the sequence again from the seed."""
        self._rng = random.Random(self.seed)
        self._ticks = 0

    def uuid(self) -> str:
        """A version-4 style UUID drawn from the seeded source."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def hex(self, length: int) -> str:
        """``length`` lowercase hexadecimal characters."""
        return f"{self._rng.getrandbits(length * 4):0{length}x}"

    def now(self) -> datetime:
        """The current time: real, or a repeatable sequence under a seed."""
        if self.seed is None:
            return datetime.now(UTC)
        self._ticks += self._rng.randint(1, 1000)
        return self._EPOCH + timedelta(microseconds=self._ticks * 1000)

    def timestamp(self) -> str:
        """The current time in the real server's RFC 3339 form."""
        return self.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def choice_seed(self) -> int:
        """A derived integer seed, for seeding another generator (faker)."""
        return self._rng.getrandbits(32)

    def state(self) -> dict[str, Any]:
        """The generator's position, so a snapshot can resume the same sequence."""
        version, internal, gauss = self._rng.getstate()
        return {
            "seed": self.seed,
            "ticks": self._ticks,
            "rng": [version, list(internal), gauss],
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """Resume from :meth:`state`."""
        self.seed = state["seed"]
        self._ticks = state["ticks"]
        version, internal, gauss = state["rng"]
        self._rng.setstate((version, tuple(internal), gauss))


def check_policy_names(policies: list[str] | None) -> None:
    """Refuse ``root`` among the policies of an entity or group, as the server does."""
    if policies and any(p.strip().lower() == "root" for p in policies):
        raise InvalidRequest("policies cannot contain root")


class Backend(Protocol):
    """The contract every backend of the :class:`~mockserver.backends.Store` keeps."""

    def reset(self) -> None:
        """Forget everything, back to the state right after construction."""

    def snapshot(self) -> dict[str, Any]:
        """The whole state as JSON-compatible data."""

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the state with one taken by :meth:`snapshot`."""
