from __future__ import annotations

import pytest

from mockserver.backends._limits import check_metadata
from mockserver.errors import InvalidRequest


@pytest.mark.parametrize(
    ("metadata", "problem"),
    [
        ({f"k{i}": "v" for i in range(65)}, "more than 64 key/value pairs"),
        ({"k" * 129: "v"}, "key is too long (limit: 128 characters)"),
        ({"k": "v" * 513}, "value is too long (limit: 512 characters)"),
        ({"a b": "v"}, "key contains invalid characters"),
        ({"a.b": "v"}, "key contains invalid characters"),
        ({"": "v"}, "key cannot be blank"),
    ],
)
def test_over_the_limits(metadata: dict[str, str], problem: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_metadata("entity", metadata)
    message = refused.value.errors[0]
    assert message.startswith("1 error occurred:\n\t* invalid entity metadata: ")
    assert problem in message


def test_within_the_limits() -> None:
    check_metadata("group", {f"k{i}": "v" * 512 for i in range(64)})
    check_metadata("group", {"A_-9/x": "v", "k" * 128: ""})
    check_metadata("group", None)
