"""Decode request fields the way the real server does.

The real server decodes JSON bodies weakly, field by field, against the type each
endpoint declares: a number is accepted where a string is expected, ``"a,b"``
where a list of strings is expected, ``"true"`` where a boolean is expected.
A value it cannot convert is a 400 naming the field. This module applies the
same rules, driven by the request schema of the OpenAPI document, so the mock
accepts and refuses what the server accepts and refuses.
"""

from __future__ import annotations

from typing import Any

_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


class FieldError(ValueError):
    """One field could not be converted; the message is the real server's."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(
            f'Field validation failed: error converting input for field "{field}": {detail}'
        )
        self.field = field


def _go_type(value: Any) -> str:
    """How the real server names the JSON type it was given, in its errors."""
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "float64"
    return "string"


def _go_value(value: Any) -> str:
    if isinstance(value, dict):
        inner = " ".join(f"{k}:{_go_value(v)}" for k, v in sorted(value.items()))
        return f"map[{inner}]"
    if isinstance(value, list):
        return "[" + " ".join(_go_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _to_string(value: Any, where: str = "") -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_value(value)
    suffix = f", value: '{_go_value(value)}'" if where else ""
    raise ValueError(
        f"'{where}' expected type 'string', got unconvertible type "
        f"'{_go_type(value)}'{suffix}"
    )


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        if value in _TRUE:
            return True
        if value in _FALSE or value == "":
            return False
        raise ValueError(
            "'' cannot parse value as 'bool': strconv.ParseBool: invalid syntax"
        )
    raise ValueError(
        f"'' expected type 'bool', got unconvertible type '{_go_type(value)}'"
    )


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text) if text else 0
        except ValueError:
            seconds = parse_duration(text)
            if seconds is not None:
                return seconds
            raise ValueError(
                f"cannot parse '' as int: strconv.ParseInt: parsing \"{value}\": "
                "invalid syntax"
            ) from None
    raise ValueError(
        f"'' expected type 'int', got unconvertible type '{_go_type(value)}'"
    )


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> int | None:
    """Seconds in a duration such as ``90``, ``90s``, ``1h30m`` or ``24h``.

    Returns None when ``text`` is not a duration.
    """
    if not text:
        return None
    if text.isdigit():
        return int(text)
    total = 0
    number = ""
    for char in text:
        if char.isdigit():
            number += char
        elif char in _UNITS and number:
            total += int(number) * _UNITS[char]
            number = ""
        else:
            return None
    return None if number else total


def _to_string_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, dict) and not value:
        return []  # the server decodes an empty object into an empty list
    items = value if isinstance(value, list) else [value]
    problems = []
    strings = []
    for index, item in enumerate(items):
        try:
            strings.append(_to_string(item, f"[{index}]"))
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        listed = "".join(f"\n* {p}" for p in problems)
        raise ValueError(f"{len(problems)} error(s) decoding:\n{listed}")
    return strings


def _to_kvpairs(value: Any, field: str) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): _to_string(v, f"[{k}]") for k, v in value.items()}
    # A string is one pair, split at its first "=" ("a=b,c" is {"a": "b,c"}).
    items = value if isinstance(value, list) else [value]
    pairs: dict[str, str] = {}
    for index, item in enumerate(items):
        key, sep, val = (item if isinstance(item, str) else "").partition("=")
        if not sep:
            raise ValueError(f'invalid key pair at index {index} in field "{field}"')
        pairs[key] = val
    return pairs


def _to_map(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    raise ValueError(f"'' expected a map, got '{_go_type(value).replace(' {}', '')}'")


def decode_field(name: str, value: Any, schema: dict[str, Any]) -> Any:
    """Convert ``value`` to the type ``schema`` declares, as the server would.

    Raises :class:`FieldError` with the server's wording when it cannot.
    """
    kind = schema.get("type")
    try:
        if kind == "string":
            return _to_string(value)
        if kind == "boolean":
            return _to_bool(value)
        if kind == "integer":
            return _to_int(value)
        if kind == "number":
            return float(_to_int(value)) if not isinstance(value, float) else value
        if kind == "array":
            items = schema.get("items", {})
            if items.get("type", "string") == "string":
                return _to_string_list(value)
            if not isinstance(value, list):
                return [value]
            return value
        if kind == "object":
            extra = schema.get("additionalProperties")
            string_values = isinstance(extra, dict) and extra.get("type") == "string"
            if schema.get("format") == "kvpairs" or string_values:
                return _to_kvpairs(value, name)
            return _to_map(value)
    except ValueError as exc:
        raise FieldError(name, str(exc)) from None
    return value


_EMPTY: dict[Any, Any] = {
    "string": str,
    "boolean": bool,
    "integer": int,
    "number": float,
    "array": list,
    "object": dict,
}


def decode_body(
    body: dict[str, Any], schema: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Decode every field of ``body`` against an object ``schema``.

    Returns the decoded known fields and the names of the unknown ones (which the
    real server ignores with a warning). A ``null`` is a given, empty value, as
    on the real server: ``"policies": null`` clears the policies.
    """
    properties: dict[str, Any] = schema.get("properties") or {}
    open_schema = (
        not properties and schema.get("additionalProperties", True) is not False
    )
    decoded: dict[str, Any] = {}
    unknown: list[str] = []
    for name, value in body.items():
        field_schema = properties.get(name)
        if value is None and field_schema is not None:
            decoded[name] = _EMPTY.get(field_schema.get("type"), lambda: None)()
            continue
        if field_schema is None:
            if open_schema:
                decoded[name] = value
            else:
                unknown.append(name)
            continue
        decoded[name] = decode_field(name, value, field_schema)
    return decoded, sorted(unknown)


def unrecognised_warning(names: list[str]) -> str:
    """The warning the real server adds when it ignores fields."""
    return f"Endpoint ignored these unrecognized parameters: [{' '.join(names)}]"
