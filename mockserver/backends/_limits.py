"""Limits the real server puts on identity metadata.

The real server refuses metadata over these limits with a 500 carrying the
message below; the mock answers the 400 it should have given, with the same words.
"""

from __future__ import annotations

import re

from mockserver.errors import InvalidRequest, multierror

MAX_PAIRS = 64
MAX_KEY = 128
MAX_VALUE = 512
_KEY = re.compile(r"[A-Za-z0-9_/-]+")


def check_metadata(kind: str, metadata: dict[str, str] | None) -> None:
    """Refuse ``metadata`` of an entity or group (``kind``) over the limits."""
    if not metadata:
        return

    def refuse(problem: str) -> InvalidRequest:
        return InvalidRequest(multierror([f"invalid {kind} metadata: {problem}"]))

    if len(metadata) > MAX_PAIRS:
        raise refuse(f"metadata cannot contain more than {MAX_PAIRS} key/value pairs")
    for key, value in metadata.items():
        pair = f'failed to load metadata pair ("{key}", "{value}")'
        if not key:
            raise refuse(f"{pair}: key cannot be blank")
        if len(key) > MAX_KEY:
            raise refuse(f"{pair}: key is too long (limit: {MAX_KEY} characters)")
        if len(value) > MAX_VALUE:
            raise refuse(f"{pair}: value is too long (limit: {MAX_VALUE} characters)")
        if not _KEY.fullmatch(key):
            raise refuse(f"{pair}: key contains invalid characters")
