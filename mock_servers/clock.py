"""The world's clock: every expiry decision on both servers reads it.

A lesson advances it to show an authorization code or an access token expire
without waiting; `serve` uses the real time.
"""

from __future__ import annotations

import time


class Clock:
    """Seconds since the epoch, real or frozen, plus whatever a lesson advanced."""

    def __init__(self, frozen_at: float | None = None) -> None:
        self._frozen_at = frozen_at
        self._offset = 0.0

    def now(self) -> int:
        base = time.time() if self._frozen_at is None else self._frozen_at
        return int(base + self._offset)

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None
