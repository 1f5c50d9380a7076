"""State files: keep a standalone mock's data across restarts.

A state file holds one :meth:`Store.snapshot <mockserver.backends.Store.snapshot>`
as JSON, the same document ``GET /_vaultmock/snapshot`` answers. It is read once at
start and written at shutdown and on ``POST /_vaultmock/state/save``.

Writes are atomic: the snapshot goes to a temporary file in the same folder, is
flushed to disk, and then replaces the old file in one step, so a crash leaves
either the old state or the new one, never half of each. A file that cannot be
read as a snapshot (damaged, or written by something else) stops the server at
start, and is never overwritten: the mock refuses to save over a file it did
not load.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from mockserver.backends import SNAPSHOT_FORMAT, Store
from mockserver.errors import StartupError

logger = logging.getLogger(__name__)

__all__ = ["StateFile", "StateFileError"]


class StateFileError(StartupError):
    """A state file cannot be loaded or its folder cannot be written."""


class StateFile:
    """One state file: :meth:`load` it into a store, :meth:`save` a store to it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._usable = False
        """Set once the file has been loaded or found absent: only then may it be
        written, so a refused file is never replaced."""

    def _refuse(self, why: str, fix: str) -> StateFileError:
        return StateFileError(
            f"state file {self.path}: {why}. The file was left untouched; {fix}"
        )

    def check_folder(self) -> None:
        """Fail now, rather than at shutdown, if the file could not be written."""
        folder = self.path.parent
        if not folder.is_dir():
            raise StateFileError(
                f"state file {self.path}: the folder {folder} does not exist; "
                "create it, or point --state-file somewhere else"
            )
        if not os.access(folder, os.W_OK | os.X_OK):
            raise StateFileError(
                f"state file {self.path}: the folder {folder} is not writable by "
                "this user, so the state could not be saved; fix its permissions, "
                "or point --state-file somewhere else"
            )

    def read(self) -> dict[str, Any] | None:
        """The snapshot in the file, or None when the file does not exist yet.

        Raises :class:`StateFileError` when the file is unreadable, not JSON, or
        not a vaultmock snapshot.
        """
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise self._refuse(
                "is a folder", "give the path of a file inside it"
            ) from None
        except OSError as exc:
            raise self._refuse(
                f"cannot be read ({exc.strerror})", "check its permissions"
            ) from exc
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise self._refuse(
                f"is not valid JSON ({exc})",
                "it is damaged or not a vaultmock state file: move it away to start "
                "with an empty state, or restore a good copy",
            ) from None
        if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
            found = data.get("format") if isinstance(data, dict) else None
            raise self._refuse(
                f"is not a vaultmock state file (format {found!r}, expected "
                f"{SNAPSHOT_FORMAT!r})",
                "it may belong to another program or another vaultmock version: "
                "point --state-file at another path",
            )
        return data

    def load(self, store: Store) -> bool:
        """Replace ``store``'s state with the file's; False when there is no file.

        Raises :class:`StateFileError` (the store untouched) when the file is
        refused.
        """
        self.check_folder()
        data = self.read()
        if data is None:
            logger.info("state file %s does not exist yet; starting empty", self.path)
            self._usable = True
            return False
        try:
            store.restore(data)
        except ValueError as exc:
            raise self._refuse(
                f"holds a damaged snapshot ({exc})",
                "move it away to start with an empty state, or restore a good copy",
            ) from None
        self._usable = True
        logger.info("state loaded from %s", self.path)
        return True

    def save(self, store: Store) -> int:
        """Write ``store``'s state atomically; returns the number of bytes written.

        Raises :class:`StateFileError` if the file was refused at load time, and
        :class:`OSError` if the write fails (the old file is then left as it was).
        """
        if not self._usable:
            raise StateFileError(
                f"state file {self.path} was not loaded successfully, so it is not "
                "overwritten"
            )
        payload = json.dumps(store.snapshot(), sort_keys=True).encode() + b"\n"
        with self._lock:
            # mkstemp makes the file readable by its owner only: the state holds
            # tokens.
            fd, tmp = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
            )
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(payload)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            with contextlib.suppress(OSError):
                folder = os.open(self.path.parent, os.O_RDONLY)
                try:
                    os.fsync(folder)
                finally:
                    os.close(folder)
        logger.info("state saved to %s (%d bytes)", self.path, len(payload))
        return len(payload)
