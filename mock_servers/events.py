"""Server events, the audit trail a learner reads beside the HTTP messages.

Names follow league/oauth2-server's events (`client.authentication.failed`,
`refresh_token.reused`, ...), so a learner meets the words real servers log.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Event:
    time: int
    name: str
    server: str
    client_id: str | None = None
    user: str | None = None
    detail: str = ""


@dataclass
class EventLog:
    """One world's events, in the order they happened."""

    events: list[Event] = field(default_factory=list)

    def record(self, event: Event) -> None:
        self.events.append(event)

    def named(self, name: str) -> list[Event]:
        return [event for event in self.events if event.name == name]

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)
