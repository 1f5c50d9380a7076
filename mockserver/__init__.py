"""vaultmock: a stateful mock of the identity API of Vault-compatible servers.

The public surface:

* :func:`mockserver.app.create_app` builds the ASGI application;
* :class:`mockserver.config.ServerConfig` holds every setting and its default;
* :class:`mockserver.server.MockServer` runs it on a loopback port in a thread;
* :class:`mockserver.backends.Store` is the state behind it;
* ``vaultmock`` (:mod:`mockserver.cli`) is the command line.
"""

from __future__ import annotations

__version__ = "0.1.0"
