"""`python -m playground ...` is the `oauth-playground` console script."""

from __future__ import annotations

from playground.cli import main

raise SystemExit(main())
