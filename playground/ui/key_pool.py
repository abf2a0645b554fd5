"""Signing keys made ahead of need, so a new session's first step does not
wait for RSA key generation (three 2048-bit keys: ~80 ms on a quiet 2-core
machine, several times that while a class arrives).

A background thread keeps a few `WorldKeys` ready; each is handed out once,
to one session, and never again: two learners never share a key (DESIGN
decision 7). When the pool is empty (a whole class opening the page in the
same second) a session makes its own keys, as before.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from playground.world import WorldKeys

READY = 4  # key sets kept ready per process
# Seconds the pool waits after a set is taken before making another, so the
# new session's first page and first clicks do not share the CPU with RSA
# key generation (a class arriving at once takes the ready sets first).
REFILL_DELAY = 2.0


class KeyPool:
    """Fresh `WorldKeys`, each taken at most once."""

    def __init__(
        self,
        ready: int = READY,
        make: Callable[[], WorldKeys] = WorldKeys.generate,
        refill_delay: float = REFILL_DELAY,
    ) -> None:
        self.ready = ready
        self.refill_delay = refill_delay
        self._make = make
        self._taken_at = float("-inf")
        self._keys: deque[WorldKeys] = deque()
        self._wanted = threading.Condition()
        self._closed = False
        self.made_on_demand = 0  # sets a session had to wait for (tests, benches)
        self._thread = threading.Thread(target=self._fill, name="key-pool", daemon=True)
        self._thread.start()

    def take(self) -> WorldKeys:
        """A key set no one else has had or will have."""
        with self._wanted:
            keys = self._keys.popleft() if self._keys else None
            self._taken_at = time.monotonic()
            self._wanted.notify()
        if keys is None:
            self.made_on_demand += 1
            keys = self._make()
        return keys

    def held(self) -> int:
        with self._wanted:
            return len(self._keys)

    def close(self) -> None:
        with self._wanted:
            self._closed = True
            self._wanted.notify()

    def _fill(self) -> None:
        while True:
            with self._wanted:
                while not self._closed and len(self._keys) >= self.ready:
                    self._wanted.wait()
                # Let the session that just took a set have the CPU first.
                while (
                    not self._closed
                    and (quiet := self._taken_at + self.refill_delay - time.monotonic())
                    > 0
                ):
                    self._wanted.wait(quiet)
                if self._closed:
                    return
            keys = self._make()  # outside the lock: takers never wait for it
            with self._wanted:
                self._keys.append(keys)
