from __future__ import annotations

from typing import Any

import pytest

from mockserver.wire.fields import (
    FieldError,
    decode_body,
    decode_field,
    parse_duration,
    unrecognised_warning,
)

STRING = {"type": "string"}
BOOL = {"type": "boolean"}
INT = {"type": "integer"}
STRINGS = {"type": "array", "items": {"type": "string"}}
KV = {"type": "object", "format": "kvpairs"}
MAP = {"type": "object"}


@pytest.mark.parametrize(
    ("schema", "given", "expected"),
    [
        (STRING, "x", "x"),
        (STRING, 5, "5"),
        (STRING, 1.0, "1"),
        (STRING, True, "1"),
        (BOOL, "true", True),
        (BOOL, "0", False),
        (BOOL, 1, True),
        (INT, "42", 42),
        (INT, "1h", 3600),
        (INT, 3.0, 3),
        (STRINGS, "a, b,,c", ["a", "b", "c"]),
        (STRINGS, ["a", 1], ["a", "1"]),
        (STRINGS, "", []),
        (KV, {"a": 1}, {"a": "1"}),
        (KV, "a=b", {"a": "b"}),
        (KV, ["a=b", "c=d"], {"a": "b", "c": "d"}),
        (MAP, {"x": [1]}, {"x": [1]}),
    ],
)
def test_weak_decoding_accepts(
    schema: dict[str, Any], given: Any, expected: Any
) -> None:
    assert decode_field("f", given, schema) == expected


@pytest.mark.parametrize(
    ("schema", "given", "fragment"),
    [
        (
            STRING,
            {"x": 1},
            "expected type 'string', got unconvertible type 'map[string]interface {}'",
        ),
        (STRING, [1], "got unconvertible type '[]interface {}'"),
        (BOOL, "yes", "strconv.ParseBool: invalid syntax"),
        (BOOL, {}, "expected type 'bool'"),
        (INT, "many", "strconv.ParseInt"),
        (STRINGS, {"a": 1}, "'[0]' expected type 'string'"),
        (STRINGS, [{"a": 1}], "value: 'map[a:1]'"),
        (KV, 5, 'invalid key pair at index 0 in field "policies"'),
        (KV, ["a=b", "novalue"], 'invalid key pair at index 1 in field "policies"'),
        (MAP, "x", "expected a map"),
    ],
)
def test_weak_decoding_refuses(
    schema: dict[str, Any], given: Any, fragment: str
) -> None:
    with pytest.raises(FieldError) as refused:
        decode_field("policies", given, schema)
    message = str(refused.value)
    assert message.startswith(
        'Field validation failed: error converting input for field "policies": '
    )
    assert fragment in message
    assert refused.value.field == "policies"


def test_decode_body_drops_unknown_fields() -> None:
    schema = {"type": "object", "properties": {"name": STRING, "policies": STRINGS}}
    decoded, unknown = decode_body(
        {"name": 7, "policies": "a,b", "zeta": 1, "alpha": None}, schema
    )
    assert decoded == {"name": "7", "policies": ["a", "b"]}
    assert unknown == ["alpha", "zeta"]
    assert unrecognised_warning(unknown) == (
        "Endpoint ignored these unrecognized parameters: [alpha zeta]"
    )


def test_a_null_is_the_empty_value_of_its_type() -> None:
    schema = {
        "type": "object",
        "properties": {"name": STRING, "policies": STRINGS, "metadata": KV, "on": BOOL},
    }
    decoded, _ = decode_body(
        {"name": None, "policies": None, "metadata": None, "on": None}, schema
    )
    assert decoded == {"name": "", "policies": [], "metadata": {}, "on": False}


def test_list_item_errors_are_counted() -> None:
    with pytest.raises(FieldError) as refused:
        decode_field("policies", ["a", {"b": 1}, [2]], STRINGS)
    assert ": 2 error(s) decoding:\n\n* '[1]' expected type 'string'" in str(
        refused.value
    )


def test_a_key_pair_string_is_one_pair() -> None:
    assert decode_field("m", "a=b,c=d", KV) == {"a": "b,c=d"}


def test_decode_body_keeps_everything_for_an_open_schema() -> None:
    decoded, unknown = decode_body({"anything": {"x": 1}}, {"type": "object"})
    assert decoded == {"anything": {"x": 1}}
    assert unknown == []


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90),
        ("90s", 90),
        ("1h30m", 5400),
        ("24h", 86400),
        ("2d", 172800),
        ("", None),
        ("1x", None),
        ("5m3", None),
    ],
)
def test_parse_duration(text: str, seconds: int | None) -> None:
    assert parse_duration(text) == seconds
