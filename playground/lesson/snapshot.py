"""What the Lessons page shows at one step of a run, as plain data.

A page needs data, not a world: the step's views (exchanges, decoded JWTs,
PKCE rows, events, checks), the browser's address bar and page, and where the
run broke. A `StepSnapshot` holds exactly that, so it can cross from the
worker process that ran the lesson to the UI at the cost of one pickle.
Its size does not grow with the lesson: the page shows the current step, a
few earlier ones and the diagram's latest messages, whatever the step number.
"""

from __future__ import annotations

from dataclasses import dataclass

from playground.actors.browser import Browser
from playground.lesson.runner import LessonError, LiveRun
from playground.views.step_view import StepView
from playground.wire.exchange import Exchange

EARLIER_SHOWN = 20  # earlier steps folded under the current one
DIAGRAM_EXCHANGES = 40  # the sequence diagram's latest messages


@dataclass(frozen=True)
class FormView:
    id: str
    method: str
    action: str
    fields: tuple[tuple[str, str], ...]
    buttons: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class BrowserView:
    """What the resource owner sees: the address bar and the page under it."""

    address: str
    status: int | None
    redirect_to: str | None
    title: str
    text: str
    forms: tuple[FormView, ...]


def browser_view(browser: Browser) -> BrowserView | None:
    """The browser after the run; None when no step has used it yet."""
    if browser.response is None and not browser.address:
        return None
    page = browser.page
    return BrowserView(
        address=browser.address,
        status=browser.status,
        redirect_to=browser.redirect_location,
        title=page.title,
        text=page.text,
        forms=tuple(
            FormView(
                form.id,
                form.method,
                form.action,
                tuple(form.fields.items()),
                tuple(form.buttons),
            )
            for form in page.forms
        ),
    )


@dataclass(frozen=True)
class StepSnapshot:
    """One step of one run, as the Lessons page draws it. The lesson's outline
    is not in it: the page has it already, and a 10,000-step outline would
    cost a megabyte a click."""

    step: int  # the step shown (clamped to the lesson's length)
    steps_run: int
    switches: tuple[str, ...]
    error: LessonError | None
    current: StepView | None
    earlier: tuple[StepView, ...]  # the latest EARLIER_SHOWN before `current`
    exchanges: tuple[Exchange, ...]  # the latest DIAGRAM_EXCHANGES so far
    exchange_count: int  # every message so far, shown or not
    browser: BrowserView | None

    @property
    def earlier_hidden(self) -> int:
        """Earlier steps left out of `earlier` (Back still reaches them)."""
        return max(self.step - 1 - len(self.earlier), 0)


def snapshot(live: LiveRun, step: int) -> StepSnapshot:
    """What `live` shows at `step`, which it must have reached (or failed
    before): built from that step's records and a bounded few before it."""
    step = max(0, min(step, live.total))
    first_earlier = max(1, step - EARLIER_SHOWN)
    exchanges = live.world.transcript.exchanges
    return StepSnapshot(
        step=step,
        steps_run=live.steps_run,
        switches=live.switches,
        error=live.error,
        current=live.view(step) if step else None,
        earlier=tuple(live.view(n) for n in range(first_earlier, step)),
        exchanges=tuple(exchanges[-DIAGRAM_EXCHANGES:]),
        exchange_count=len(exchanges),
        browser=browser_view(live.world.browser),
    )
