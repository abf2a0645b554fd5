"""Everything that happened in one world, in order: exchanges, checks, steps.

Server events live in the deployment's event log; the transcript remembers
where each step's events begin so a view can show them per step. Everything
is also filed by step as it is recorded, so a step's messages, checks and
shown values cost what that step holds, not what the whole run holds: a
lesson of 10,000 steps records and shows in time proportional to its steps.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from mock_servers.events import Event, EventLog
from playground.wire.exchange import Exchange


@dataclass(frozen=True)
class CheckResult:
    """What a lesson says the learner should now see, and whether it is so."""

    step: int | None
    description: str
    passed: bool
    detail: str = ""


@dataclass(frozen=True)
class ShownToken:
    """A token a lesson asked to show in its step's JWT panel, and where it was."""

    step: int | None
    label: str
    token: str


@dataclass(frozen=True)
class ShownPkce:
    """A code verifier a lesson asked to explain in its step's PKCE panel."""

    step: int | None
    code_verifier: str
    method: str


@dataclass
class Transcript:
    events: EventLog = field(default_factory=EventLog)
    exchanges: list[Exchange] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    current_step: int | None = None
    shown_tokens: list[ShownToken] = field(default_factory=list)
    shown_pkce: list[ShownPkce] = field(default_factory=list)
    _next_index: int = 1
    _next_tick: int = 1
    _event_marks: dict[int, tuple[int, int]] = field(default_factory=dict)
    # The world's clock when each step ended: a token is judged as of its step.
    step_times: dict[int, int] = field(default_factory=dict)
    _by_step: dict[int | None, list[Exchange]] = field(default_factory=dict)
    _checks_by_step: dict[int | None, list[CheckResult]] = field(default_factory=dict)
    _tokens_by_step: dict[int | None, list[ShownToken]] = field(default_factory=dict)
    _pkce_by_step: dict[int | None, list[ShownPkce]] = field(default_factory=dict)

    def open_exchange(self) -> tuple[int, int]:
        """Number a request as it starts: (exchange index, tick)."""
        index, tick = self._next_index, self._next_tick
        self._next_index += 1
        self._next_tick += 1
        return index, tick

    def tick(self) -> int:
        tick = self._next_tick
        self._next_tick += 1
        return tick

    def record(self, exchange: Exchange) -> None:
        """Keep exchanges in the order they were opened. One that closes after
        a later one (a browser's /callback waits for the client's token
        request) goes in its place near the end: no re-sort of the whole run."""
        _insert_by_index(self.exchanges, exchange)
        _insert_by_index(self._by_step.setdefault(exchange.step, []), exchange)

    def begin_step(self, step: int) -> None:
        self.current_step = step
        self._event_marks[step] = (len(self.events), len(self.events))

    def end_step(self, step: int, clock_time: int | None = None) -> None:
        start, _ = self._event_marks.get(step, (len(self.events), 0))
        self._event_marks[step] = (start, len(self.events))
        if clock_time is not None:
            self.step_times[step] = clock_time
        self.current_step = None

    def add_check(
        self, description: str, passed: bool, detail: str = ""
    ) -> CheckResult:
        result = CheckResult(self.current_step, description, bool(passed), detail)
        self.checks.append(result)
        self._checks_by_step.setdefault(result.step, []).append(result)
        return result

    def show_token(self, label: str, token: str) -> None:
        shown = ShownToken(self.current_step, label, token)
        self.shown_tokens.append(shown)
        self._tokens_by_step.setdefault(shown.step, []).append(shown)

    def show_pkce(self, code_verifier: str, method: str) -> None:
        shown = ShownPkce(self.current_step, code_verifier, method)
        self.shown_pkce.append(shown)
        self._pkce_by_step.setdefault(shown.step, []).append(shown)

    def exchanges_for(self, step: int | None) -> list[Exchange]:
        return list(self._by_step.get(step, ()))

    def checks_for(self, step: int | None) -> list[CheckResult]:
        return list(self._checks_by_step.get(step, ()))

    def tokens_shown_in(self, step: int | None) -> list[ShownToken]:
        """The tokens a lesson showed with `run.show_jwt` in this step."""
        return list(self._tokens_by_step.get(step, ()))

    def pkce_shown_in(self, step: int | None) -> list[ShownPkce]:
        """The verifiers a lesson explained with `run.show_pkce` in this step."""
        return list(self._pkce_by_step.get(step, ()))

    def events_for(self, step: int) -> list[Event]:
        start, end = self._event_marks.get(step, (0, 0))
        return self.events.events[start:end]

    @property
    def all_checks_passed(self) -> bool:
        return all(check.passed for check in self.checks)


def _insert_by_index(items: list[Exchange], exchange: Exchange) -> None:
    if not items or items[-1].index < exchange.index:
        items.append(exchange)
    else:
        bisect.insort(items, exchange, key=lambda item: item.index)
