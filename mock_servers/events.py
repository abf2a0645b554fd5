"""Server events, the audit trail a learner reads beside the HTTP messages.

Names follow league/oauth2-server's events (`client.authentication.failed`,
`refresh_token.reused`, ...), so a learner meets the words real servers log.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload

# A lesson records dozens of events; `serve` under load records several per
# request, so the log keeps the latest ones only (~300 bytes each).
DEFAULT_CAPACITY = 10_000


@dataclass(frozen=True)
class Event:
    time: int
    name: str
    server: str
    client_id: str | None = None
    user: str | None = None
    detail: str = ""


class EventLog:
    """One world's events, in the order they happened; the oldest are forgotten
    once there are more than `capacity`.

    Each event has a position: 0 for the first ever recorded, counting on
    however many were forgotten. `len(log)` is the position the next event
    will take, so a transcript marks where a step's events begin and end and
    reads them back with `log.events[start:end]`.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._kept: deque[Event] = deque(maxlen=capacity)
        self._recorded = 0
        self._lock = threading.Lock()

    def record(self, event: Event) -> None:
        with self._lock:
            self._kept.append(event)
            self._recorded += 1

    def named(self, name: str) -> list[Event]:
        return [event for event in self._snapshot()[1] if event.name == name]

    def between(self, start: int, end: int) -> list[Event]:
        """The events at positions start..end-1 that are still kept."""
        recorded, kept = self._snapshot()
        first = recorded - len(kept)  # the position of the oldest kept event
        return kept[max(start - first, 0) : max(end - first, 0)]

    @property
    def events(self) -> _Positions:
        """The kept events, indexed and sliced by position."""
        return _Positions(self)

    def _snapshot(self) -> tuple[int, list[Event]]:
        with self._lock:
            return self._recorded, list(self._kept)

    def __iter__(self) -> Iterator[Event]:
        return iter(self._snapshot()[1])

    def __len__(self) -> int:
        return self._recorded


class _Positions(Sequence[Event]):
    """`log.events[start:end]`: a log's events by position (see EventLog)."""

    def __init__(self, log: EventLog) -> None:
        self._log = log

    @overload
    def __getitem__(self, index: int) -> Event: ...
    @overload
    def __getitem__(self, index: slice) -> list[Event]: ...
    def __getitem__(self, index: int | slice) -> Event | list[Event]:
        recorded = len(self._log)
        if isinstance(index, slice):
            start, stop, step = index.indices(recorded)
            if step != 1:
                raise ValueError("event positions are read in order, step 1")
            return self._log.between(start, stop)
        position = index + recorded if index < 0 else index
        found = self._log.between(position, position + 1)
        if not found:
            raise IndexError(f"no event kept at position {index}")
        return found[0]

    def __iter__(self) -> Iterator[Event]:
        return iter(self._log)

    def __len__(self) -> int:
        return len(self._log)
