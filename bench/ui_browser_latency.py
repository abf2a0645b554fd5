"""What a learner waits for in a real browser: Next, Back and picking a
lesson on the Lessons page, against a one-button Streamlit app measured in
the same run, both in Debian's Chromium driven by Playwright.

A click is timed inside the page (performance.now()), from the button's
click() until the page shows the new place: the step counter (or the
one-button app's count) reads the new value, Streamlit's script is not
running, nothing is greyed out as stale, the sequence diagram's legend names
the new step (the diagram is drawn), and two animation frames have passed
(painted). Rounds alternate between the two apps so a busy machine weighs on
both alike. Also prints the server's CPU per click: the Streamlit process
(and the `neato` runs it waited for), and the lesson workers apart.

Run: `.venv/bin/python bench/ui_browser_latency.py [--rounds N]`. Measured
here, never asserted in a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    sync_playwright,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from streamlit_apps import (
    CHROMIUM_ARGS,
    VIEWPORT,
    App,
    child_pids,
    cpu_seconds,
    find_chromium,
    one_button_app,
    playground,
)

PKCE = "03_authorization_code_pkce.py"
PKCE_TITLE = "Authorization code with PKCE (single-page app)"
PKCE_STEPS = 7
OTHER_TITLE = "Client credentials (a service with no user)"
OTHER_STEPS = 5
TIMEOUT_MS = 30_000

# Click, then wait (animation frame by frame) until the page shows `want`.
CLICK_AND_WAIT = """async ([button, want, timeout]) => {
    const settled = () => {
        const app = document.querySelector('[data-testid="stApp"]');
        return app !== null && app.dataset.testScriptState === 'notRunning'
            && document.querySelector('[data-stale="true"]') === null;
    };
    const exact = (selector, text) => [...document.querySelectorAll(selector)]
        .some(e => e.textContent.trim() === text);
    const contains = (selector, text) => [...document.querySelectorAll(selector)]
        .some(e => e.textContent.includes(text));
    const shown = () => settled()
        && (!want.strong || exact('[data-testid="stMarkdownContainer"] strong',
                                  want.strong))
        && (!want.heading || exact('h1, h2', want.heading))
        && (!want.diagram || contains('svg', want.diagram));
    const frame = () => new Promise(done => requestAnimationFrame(done));
    const started = performance.now();
    button.click();
    while (!shown()) {
        if (performance.now() - started > timeout) return -1;
        await frame();
    }
    await frame();
    await frame();
    return performance.now() - started;
}"""


SETTLED = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app !== null && app.dataset.testScriptState === 'notRunning'
        && document.querySelector('[data-stale="true"]') === null;
}"""


def timed_click(page: Page, button: Locator, want: dict[str, str | None]) -> float:
    handle = button.element_handle()
    elapsed = page.evaluate(CLICK_AND_WAIT, [handle, want, TIMEOUT_MS])
    if elapsed < 0:
        raise SystemExit(f"the page never showed {want} in {TIMEOUT_MS} ms")
    return elapsed


def step_want(step: int) -> dict[str, str | None]:
    return {
        "strong": f"Step {step} of {PKCE_STEPS}",
        # Step 1 sends nothing: the diagram appears with step 2's messages.
        "diagram": f"step {step}, the current step" if step >= 2 else None,
    }


class Server:
    """CPU spent by one app's processes between two looks."""

    def __init__(self, app: App) -> None:
        self.pid = app.streamlit_pid()

    def workers(self) -> float:
        return sum(cpu_seconds(pid) for pid in child_pids(self.pid))

    def sample(self) -> tuple[float, float]:
        return cpu_seconds(self.pid), self.workers()


def measured(
    server: Server, clicks: dict[str, list[float]], cpu: dict[str, list[float]]
) -> Callable[..., None]:
    def run(kind: str, click: Callable[[], float], detail: str = "") -> None:
        before = server.sample()
        elapsed = click()
        clicks.setdefault(kind, []).append(elapsed)
        if detail:
            clicks.setdefault(detail, []).append(elapsed)
        after = server.sample()
        cpu.setdefault(kind, []).append(after[0] - before[0])
        cpu.setdefault(f"{kind} (workers)", []).append(after[1] - before[1])

    return run


def button(page: Page, name: str) -> Locator:
    return page.get_by_role("button", name=name, exact=True)


def playground_round(page: Page, run: Callable[..., None]) -> None:
    """Next to the end, Back to the start, then another lesson and back."""
    for step in range(1, PKCE_STEPS + 1):
        run(
            "Next",
            lambda s=step: timed_click(page, button(page, "Next"), step_want(s)),
            f"Next to {step}",
        )
    for step in range(PKCE_STEPS - 1, -1, -1):
        run(
            "Back", lambda s=step: timed_click(page, button(page, "Back"), step_want(s))
        )
    sidebar = page.get_by_test_id("stSidebar")
    other = sidebar.get_by_role("button", name=OTHER_TITLE, exact=True)
    want = {"heading": OTHER_TITLE, "strong": f"Step 0 of {OTHER_STEPS}"}
    run("Pick", lambda: timed_click(page, other, want))
    pkce = sidebar.get_by_role("button", name=PKCE_TITLE, exact=True)
    want = {"heading": PKCE_TITLE, **step_want(0)}
    run("Pick", lambda: timed_click(page, pkce, want))


def first_step(browser: Browser, url: str, context: BrowserContext | None) -> float:
    """A new session (its keys, its world in a worker) opens the lesson and
    presses Next: how long step 1 takes to show. In a new tab of `context`
    (the browser's cache holds Streamlit's scripts, as for a learner who has
    opened the playground before), or in a new browser profile (nothing
    cached: the page's scripts are fetched and compiled as step 1 first
    needs them)."""
    fresh = context is None
    if context is None:
        context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.bring_to_front()  # a hidden tab gets no animation frames
    try:
        page.goto(f"{url}?lesson={PKCE}&step=0")
        page.get_by_text(f"Step 0 of {PKCE_STEPS}", exact=True).wait_for(
            timeout=TIMEOUT_MS
        )
        page.wait_for_function(SETTLED, timeout=TIMEOUT_MS)
        return timed_click(page, button(page, "Next"), step_want(1))
    finally:
        page.close()
        if fresh:
            context.close()


def summary(values: list[float]) -> str:
    p90 = statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]
    return f"median {statistics.median(values):7.1f} ms   p90 {p90:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as folder,
        one_button_app(Path(folder)) as simple,
        playground() as lessons,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=find_chromium(), args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport=VIEWPORT)
        page_simple = context.new_page()
        page_simple.goto(simple.url)
        page_simple.get_by_text("Clicks: 0").wait_for()
        page = context.new_page()
        page.goto(f"{lessons.url}?lesson={PKCE}&step=0")
        page.get_by_role("heading", name=PKCE_TITLE).wait_for(timeout=TIMEOUT_MS)

        clicks: dict[str, list[float]] = {}
        cpu: dict[str, list[float]] = {}
        simple_server, lesson_server = Server(simple), Server(lessons)
        count = 0
        for round_number in range(args.rounds + 1):  # round 0 warms up
            if round_number == 1:
                clicks.clear()
                cpu.clear()
            run = measured(simple_server, clicks, cpu)
            page_simple.bring_to_front()  # a hidden tab gets no animation frames
            for _ in range(PKCE_STEPS * 2):
                count += 1
                want = {"strong": f"Clicks: {count}"}
                run(
                    "One button",
                    lambda w=want: timed_click(
                        page_simple, button(page_simple, "Click"), w
                    ),
                )
            page.bring_to_front()
            playground_round(page, measured(lesson_server, clicks, cpu))
            run = measured(lesson_server, clicks, cpu)
            run("First Next", lambda: first_step(browser, lessons.url, context))
            run("New profile", lambda: first_step(browser, lessons.url, None))
            page.bring_to_front()
        browser.close()

    base = statistics.median(clicks["One button"])
    print(f"Debian's Chromium, {args.rounds} rounds; latency from click to painted:")
    for kind in ("One button", "Next", "Back", "Pick"):
        ratio = statistics.median(clicks[kind]) / base
        print(f"  {kind:<10} {summary(clicks[kind])}   ratio {ratio:4.2f}x")
    steps = "  ".join(
        f"{n}: {statistics.median(clicks[f'Next to {n}']):.0f}"
        for n in range(1, PKCE_STEPS + 1)
    )
    print(f"  Next, median ms by step reached: {steps}")
    later = statistics.median(clicks["Next to 1"])
    for kind, where in (
        ("First Next", "in a new tab"),
        ("New profile", "in a new browser profile (cold cache)"),
    ):
        first = statistics.median(clicks[kind])
        print(
            f"  First Next of a new session {where}: median {first:.1f} ms, "
            f"{first / later:.2f}x a warm session's Next to step 1 ({later:.1f} ms)"
        )
    print("Server CPU per click (median, ms): Streamlit process / lesson workers")
    print("  (First Next and New profile: the whole new tab, page load included)")
    for kind in ("One button", "Next", "Back", "Pick", "First Next", "New profile"):
        own = statistics.median(cpu[kind]) * 1000
        workers = statistics.median(cpu[f"{kind} (workers)"]) * 1000
        mean = statistics.fmean(cpu[kind]) * 1000
        print(f"  {kind:<10} {own:6.1f} (mean {mean:6.1f}) / {workers:6.1f}")


if __name__ == "__main__":
    main()
