"""A bounded record of the requests the mock received, for tests to assert on."""

from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_RECORDED_BODY = 64 * 1024


@dataclass(slots=True, frozen=True)
class JournalEntry:
    """One request as the client sent it, and the status it got."""

    time: float
    method: str
    path: str
    query: str
    status: int
    body: Any
    """The JSON body (None when empty, not JSON, or over 64 KiB)."""

    def as_dict(self) -> dict[str, Any]:
        """The entry as plain data."""
        return asdict(self)


class Journal:
    """The last ``capacity`` requests, oldest first."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=capacity)

    def record(self, entry: JournalEntry) -> None:
        """Add an entry, dropping the oldest when full."""
        self._entries.append(entry)

    def entries(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
    ) -> list[JournalEntry]:
        """Recorded entries, filtered by exact method, path prefix and status."""
        return [
            e
            for e in self._entries
            if (method is None or e.method == method.upper())
            and (path is None or e.path.startswith(path))
            and (status is None or e.status == status)
        ]

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def _parse(raw: bytes) -> Any:
    if not raw or len(raw) > MAX_RECORDED_BODY:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


class JournalMiddleware:
    """Outermost layer: records each HTTP request before any rewriting."""

    def __init__(self, app: ASGIApp, journal: Journal) -> None:
        self.app = app
        self.journal = journal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        status = 0

        async def recording_receive() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request" and size <= MAX_RECORDED_BODY:
                chunk = message.get("body", b"")
                size += len(chunk)
                chunks.append(chunk)
            return message

        recorded = False

        def record() -> None:
            nonlocal recorded
            if recorded:
                return
            recorded = True
            self.journal.record(
                JournalEntry(
                    time=time.time(),
                    method=scope["method"],
                    path=scope["path"],
                    query=scope.get("query_string", b"").decode("latin-1"),
                    status=status,
                    body=_parse(b"".join(chunks))
                    if size <= MAX_RECORDED_BODY
                    else None,
                )
            )

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get(
                "more_body", False
            ):
                # Recorded before the client can see the answer, so a test that
                # reads the journal right after a response finds its request.
                record()
            await send(message)

        try:
            await self.app(scope, recording_receive, recording_send)
        finally:
            record()
