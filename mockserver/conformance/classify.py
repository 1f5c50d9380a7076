"""Name each failure by a stable *kind*, and group kinds into *categories*.

A kind is what the baseline matches, so it leaves out everything that changes from
run to run (generated values, ids, the order of keys) and keeps what a reader
needs to recognise the disagreement: ``undocumented status 204``, ``body of 200
violates the schema at properties/data/required``, ``invalid body accepted``.

A category groups kinds for the summary: ``204 instead of 200``, ``undocumented
404``, ``401 versus 403``, ``body does not match schema``...
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

UNPRINTABLE_PATH = "unprintable path"
"""The cause tag of a request whose path a Vault server refuses before routing
(a character that is not printable, or a ``.``/``..`` segment): it answers
``400`` with an empty body whatever the operation."""

CAT_204 = "204 instead of 200"
CAT_404 = "undocumented 404"
CAT_401 = "401 versus 403"
CAT_403 = "undocumented 403"
CAT_PATH = "400 for unprintable path characters"
CAT_STATUS = "undocumented status"
CAT_SCHEMA = "body does not match schema"
CAT_CONTENT = "content type or body format"
CAT_NEGATIVE = "invalid data accepted"
CAT_SERVER = "server error"
CAT_TOKEN = "token not enforced"
CAT_STATEFUL = "resource lifecycle"
CAT_DIFF_STATUS = "differential: status"
CAT_DIFF_SHAPE = "differential: body shape"
CAT_OTHER = "other"


def refused_path(url: str) -> bool:
    """Whether a Vault server refuses the path of ``url`` before routing it."""
    path = unquote(urlsplit(url).path, errors="replace")
    if any(segment in (".", "..") for segment in path.split("/")):
        return True
    return any(not ch.isprintable() for ch in path)


def _tagged(kind: str, url: str) -> str:
    return f"{kind} [{UNPRINTABLE_PATH}]" if refused_path(url) else kind


def _schema_path(path: Any) -> str:
    parts = [str(p) for p in (path or [])]
    return "/".join(parts) or "(root)"


def classify(
    check: str,
    failure: Any,
    *,
    url: str,
    status: int | None,
    location: str | None = None,
    parameter: str | None = None,
) -> tuple[str, str]:
    """The (kind, category) of a schemathesis failure.

    ``url`` and ``status`` are those of the request that failed; ``location`` and
    ``parameter`` say what a negative case made invalid, when known.
    """
    name = type(failure).__name__
    shown = "no answer" if status is None else str(status)
    kind: str
    category: str
    if name == "UndefinedStatusCode":
        code = int(getattr(failure, "status_code", status or 0))
        documented = [str(s) for s in getattr(failure, "defined_status_codes", [])]
        kind = f"undocumented status {code}"
        if code == 204 and "200" in documented:
            category = CAT_204
        elif code == 404:
            category = CAT_404
        elif code == 403 and "401" in documented:
            category = CAT_401
        else:
            category = CAT_STATUS
    elif name == "JsonSchemaError":
        kind = (
            f"body of {shown} violates the schema at "
            f"{_schema_path(getattr(failure, 'schema_path', None))}"
        )
        category = CAT_SCHEMA
    elif name == "MissingContentType":
        kind, category = f"no Content-Type on {shown}", CAT_CONTENT
    elif name == "UndefinedContentType":
        content_type = getattr(failure, "content_type", "?")
        kind, category = (
            f"undocumented Content-Type {content_type} on {shown}",
            CAT_CONTENT,
        )
    elif name in ("MalformedJson", "ContentDeserializationError", "MalformedMediaType"):
        kind, category = f"body of {shown} is not the documented format", CAT_CONTENT
    elif name in ("ServerError", "ContentTypeServerError"):
        kind, category = f"server error {shown}", CAT_SERVER
    elif name == "AcceptedNegativeData":
        if location in (None, "body"):
            kind = "invalid body accepted"
        elif parameter:
            kind = f"invalid {location} parameter {parameter} accepted"
        else:
            kind = f"invalid {location} accepted"
        category = CAT_NEGATIVE
    elif name == "UseAfterFree":
        kind, category = "deleted resource still available", CAT_STATEFUL
    elif name == "EnsureResourceAvailability":
        kind, category = "created resource not available", CAT_STATEFUL
    else:
        kind, category = f"{check}: {getattr(failure, 'title', name)}", CAT_OTHER
    if refused_path(url):
        return _tagged(kind, url), CAT_PATH
    return kind, category
