"""Is a request body invalid for a Vault server, or only for a strict reader?

A Vault-compatible server decodes JSON bodies weakly, field by field: a ``null``
body is no body and a ``null`` field is a field not given, a number or a boolean is
accepted where a string is declared, ``"a,b"`` where a list is, ``"30"`` or
``"1h"`` where a number of seconds is, ``"true"`` or ``1`` where a boolean is, an
empty string where a boolean or a number is (false, zero), and an empty object
where a list is (and the reverse). schemathesis' ``negative_data_rejection``
sends such bodies as *invalid* and expects a 4xx; a Vault server rightly accepts
them. :func:`valid_after_decoding` tells those cases apart, so the check keeps
its teeth for what the server must refuse (a missing required field, a value
outside an enum, an object where a string is due).

This is the gate's own model of the server, written apart from the mock's
(``mockserver.wire.fields``) so that it can judge the mock.
"""

from __future__ import annotations

import re
from typing import Any

import jsonschema

_ABSENT = object()
_DURATION = re.compile(r"^\s*-?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d))+\s*$")
_TRUE = {"1", "t", "true"}
_FALSE = {"0", "f", "false"}


def _resolve(schema: Any, document: dict[str, Any], depth: int = 0) -> Any:
    """``schema`` with local ``$ref``s replaced by what they name."""
    if depth > 20:
        return {}
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: Any = document
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                target = target.get(part, {}) if isinstance(target, dict) else {}
            return _resolve(target, document, depth + 1)
        return {k: _resolve(v, document, depth + 1) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_resolve(v, document, depth + 1) for v in schema]
    return schema


def _types(schema: dict[str, Any]) -> set[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    found: set[str] = set()
    for key in ("oneOf", "anyOf"):
        for option in schema.get(key, []) or []:
            if isinstance(option, dict):
                found |= _types(option)
    return found


def _coerce(value: Any, schema: dict[str, Any]) -> Any:
    """``value`` as a weak decoder reading ``schema`` would see it."""
    if value is None:
        return _ABSENT
    types = _types(schema)
    if not types:
        return value
    if "string" in types and not isinstance(value, (dict, list)):
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else str(value)
    if types & {"integer", "number"} and isinstance(value, str):
        text = value.strip()
        if not text:
            return 0
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        if _DURATION.match(text):
            return 0
        return value
    if "integer" in types and isinstance(value, float) and value.is_integer():
        return int(value)
    if "boolean" in types:
        if value == "":
            return False
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value != 0
    if "array" in types and value == {}:
        return []
    if "object" in types and value == []:
        return {}
    if "array" in types:
        raw = schema.get("items")
        items: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        elif isinstance(value, (int, float, bool)):
            value = [value]
        if isinstance(value, list):
            coerced = [_coerce(v, items) for v in value]
            return [v for v in coerced if v is not _ABSENT]
    if "object" in types and isinstance(value, dict):
        return _coerce_object(value, schema)
    return value


def _coerce_object(value: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    properties = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    result = {}
    for key, item in value.items():
        sub = properties.get(key)
        if sub is None:
            sub = extra if isinstance(extra, dict) else {}
        coerced = _coerce(item, sub)
        if coerced is not _ABSENT:
            result[key] = coerced
    return result


def valid_after_decoding(
    body: Any, schema: dict[str, Any], document: dict[str, Any]
) -> bool:
    """Whether ``body`` matches ``schema`` once decoded the way a Vault server does.

    ``schema`` may hold local references into ``document``. Only the top level of
    the body is decoded field by field; nested objects are read as maps.
    """
    resolved = _resolve(schema, document)
    if body is None:
        body = {}
    if not isinstance(body, dict) or not isinstance(resolved, dict):
        return False
    decoded = _coerce_object(body, resolved)
    try:
        jsonschema.Draft4Validator(_strip_openapi(resolved)).validate(decoded)
    except jsonschema.ValidationError:
        return False
    except jsonschema.SchemaError:
        return False
    return True


def _strip_openapi(schema: Any) -> Any:
    """An OpenAPI 3.0 schema as plain JSON Schema draft 4 (``nullable`` honoured)."""
    if isinstance(schema, list):
        return [_strip_openapi(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    result = {
        k: _strip_openapi(v)
        for k, v in schema.items()
        if k
        not in ("nullable", "example", "examples", "readOnly", "writeOnly", "format")
    }
    if schema.get("nullable") and isinstance(result.get("type"), str):
        result["type"] = [result["type"], "null"]
    return result
