"""Copy-pasteable ``curl`` commands for the requests a run sent.

The address and the run's token never appear: they are left as ``$VAULT_ADDR``
and ``$VAULT_TOKEN``, the variables every Vault client reads, so a command works
against whichever server the reader points them at and a report can be shared.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

TOKEN_HEADER = "X-Vault-Token"

# Headers a client adds on its own; showing them only hides what matters.
_NOISE = frozenset(
    {
        "accept",
        "accept-encoding",
        "connection",
        "content-length",
        "host",
        "user-agent",
        "x-schemathesis-testcaseid",
    }
)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def curl(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    token: str,
) -> str:
    """A ``curl`` command that sends this request to ``$VAULT_ADDR``.

    ``url`` is the full URL that was requested; only its path and query are kept.
    A token header equal to ``token`` (the run's token) becomes ``$VAULT_TOKEN``;
    any other token (a probe's bad one) is kept as sent.
    """
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    words = ["curl", "-sS", "-X", method.upper(), f'"$VAULT_ADDR"{_quote(target)}']
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in _NOISE:
            continue
        if lowered == TOKEN_HEADER.lower() and value == token:
            words += ["-H", f'"{TOKEN_HEADER}: $VAULT_TOKEN"']
        else:
            words += ["-H", _quote(f"{name}: {value}")]
    if body:
        text = body.decode("utf-8", errors="backslashreplace")
        words += ["--data-binary", _quote(text)]
    return " ".join(words)
