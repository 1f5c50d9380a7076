"""Exceptions raised by vaultmock.

Two families, kept apart: startup errors stop the server before it serves anything
(a broken document, a port in use, an unreadable state file); request errors answer
one request with Vault's status code and ``{"errors": [...]}`` body and leave the
server running.

::

    VaultMockError
    ├── StartupError
    │   ├── DocumentError      the merged OpenAPI document cannot be loaded
    │   └── PortInUseError     the listen address is taken
    └── RequestError           answered on the wire as {"errors": [...]}
        ├── InvalidRequest       400
        ├── PermissionDenied     403
        ├── NotFound             404 with an empty error list
        ├── UnsupportedPath      404 "unsupported path"
        ├── UnsupportedOperation 405
        └── NotImplementedYet    501, an operation whose family the mock lacks
"""

from __future__ import annotations


class VaultMockError(Exception):
    """Base class of every exception vaultmock raises on purpose."""


class StartupError(VaultMockError):
    """The server cannot start; the message says why and what to do."""


class DocumentError(StartupError):
    """The packaged OpenAPI document is missing or invalid."""


class PortInUseError(StartupError):
    """The address the server was asked to listen on is already taken."""


def multierror(messages: list[str]) -> str:
    """Format messages the way the real server joins several errors into one."""
    noun = "error" if len(messages) == 1 else "errors"
    lines = "".join(f"\n\t* {m}" for m in messages)
    return f"{len(messages)} {noun} occurred:{lines}\n\n"


class RequestError(VaultMockError):
    """An error answered to the client as ``{"errors": [...]}``.

    ``errors`` are the exact strings the real server sends; ``data`` is an
    optional extra body member (the merge conflict report uses it).
    """

    status: int = 400

    def __init__(
        self,
        *errors: str,
        status: int | None = None,
        data: object | None = None,
    ) -> None:
        super().__init__(errors[0] if errors else self.__class__.__name__)
        self.errors = list(errors)
        if status is not None:
            self.status = status
        self.data = data

    def body(self) -> dict[str, object]:
        """The JSON body sent to the client."""
        body: dict[str, object] = {"errors": self.errors}
        if self.data is not None:
            body["data"] = self.data
        return body


class InvalidRequest(RequestError):
    """400: the request is malformed or breaks an invariant of the store."""

    status = 400


class PermissionDenied(RequestError):
    """403: no token, an unknown token, or a token without the capability."""

    status = 403

    def __init__(self) -> None:
        super().__init__("permission denied")


class NotFound(RequestError):
    """404 with an empty error list: the real server's answer for a missing item."""

    status = 404

    def __init__(self) -> None:
        super().__init__()


class UnsupportedPath(RequestError):
    """404: no operation lives at this path."""

    status = 404

    def __init__(self) -> None:
        super().__init__(multierror(["unsupported path"]))


class UnsupportedOperation(RequestError):
    """405: the path exists but not with this HTTP verb."""

    status = 405

    def __init__(self) -> None:
        super().__init__(multierror(["unsupported operation"]))


class NotImplementedYet(RequestError):
    """501: the operation is in the document but its family is not built yet."""

    status = 501

    def __init__(self, operation_id: str) -> None:
        super().__init__(
            f"vaultmock does not implement {operation_id!r} yet: this operation "
            "is in the API document but its family has no backend in this "
            "release; run the test against a real server for now"
        )
