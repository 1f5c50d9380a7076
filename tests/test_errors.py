from __future__ import annotations

import pytest

from mockserver.errors import (
    InvalidRequest,
    NotFound,
    NotImplementedYet,
    PermissionDenied,
    PortInUseError,
    RequestError,
    StartupError,
    UnsupportedOperation,
    UnsupportedPath,
    VaultMockError,
    multierror,
)


def test_multierror_matches_the_real_servers_joining() -> None:
    assert multierror(["unsupported path"]) == (
        "1 error occurred:\n\t* unsupported path\n\n"
    )
    assert multierror(["a", "b"]) == "2 errors occurred:\n\t* a\n\t* b\n\n"


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (InvalidRequest("bad"), 400, {"errors": ["bad"]}),
        (PermissionDenied(), 403, {"errors": ["permission denied"]}),
        (NotFound(), 404, {"errors": []}),
        (
            UnsupportedPath(),
            404,
            {"errors": ["1 error occurred:\n\t* unsupported path\n\n"]},
        ),
        (
            UnsupportedOperation(),
            405,
            {"errors": ["1 error occurred:\n\t* unsupported operation\n\n"]},
        ),
        (InvalidRequest("x", data=[1]), 400, {"errors": ["x"], "data": [1]}),
        (RequestError("teapot", status=418), 418, {"errors": ["teapot"]}),
    ],
)
def test_request_errors_carry_status_and_body(
    error: RequestError, status: int, body: dict[str, object]
) -> None:
    assert error.status == status
    assert error.body() == body


def test_not_implemented_names_the_operation() -> None:
    error = NotImplementedYet("group-create")
    assert error.status == 501
    assert "'group-create'" in error.errors[0]


def test_the_two_families_stay_apart() -> None:
    assert issubclass(PortInUseError, StartupError)
    assert issubclass(StartupError, VaultMockError)
    assert issubclass(RequestError, VaultMockError)
    assert not issubclass(RequestError, StartupError)
