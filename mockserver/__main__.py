"""``python -m mockserver`` runs the ``vaultmock`` command."""

from __future__ import annotations

import sys

from mockserver.cli import main

sys.exit(main())
