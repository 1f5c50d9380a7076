"""The Vault wire conventions, one module per concern (see ARCHITECTURE.md).

connexion, starlette and jsonschema warn about their own deprecations when
connexion is first imported. That is not the user's business: the import happens
here, once, with those warnings silenced, so a test suite that turns warnings
into errors can still use the mock.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.filterwarnings(
        "ignore", message="Using `httpx` with `starlette.testclient`"
    )
    import connexion  # noqa: F401
