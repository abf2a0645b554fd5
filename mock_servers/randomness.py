"""Where codes, tokens and ids come from.

The playground replays a lesson from the start to go back a step, so a world
may seed its randomness; `serve` uses the operating system's CSPRNG.
"""

from __future__ import annotations

import base64
import random
import secrets


class Randomness:
    """A source of URL-safe random strings, seeded for replay or from `secrets`."""

    def __init__(self, seed: int | str | None = None) -> None:
        self._rng: random.Random | None = None if seed is None else random.Random(seed)

    @property
    def seeded(self) -> bool:
        return self._rng is not None

    def token_bytes(self, nbytes: int) -> bytes:
        if self._rng is None:
            return secrets.token_bytes(nbytes)
        return self._rng.randbytes(nbytes)

    def token(self, nbytes: int = 32) -> str:
        """A base64url string without padding, like `secrets.token_urlsafe`."""
        raw = self.token_bytes(nbytes)
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
