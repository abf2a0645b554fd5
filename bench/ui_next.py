"""How long one `Next` (and `Back`) takes on the server side: the Lessons page
script rerun by Streamlit's AppTest, no browser, no network.

The PKCE lesson is walked from step 0 to its end many times. Each session
keeps its recent replays, so a click is timed twice: with the replay cached
(a learner going back and forth) and with the cache cleared first (a step
seen for the first time: the lesson replays from the start to that step).
Prints median and p90 per click. Run: `.venv/bin/python bench/ui_next.py
[--runs N]`. Measured here, never asserted in a test.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from playground.lesson.runner import LESSONS_DIR_ENV
from playground.ui import state

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "playground" / "ui" / "app.py"
LESSONS = ROOT / "lessons"
PKCE = "03_authorization_code_pkce.py"
STEPS = 6


def open_pkce() -> AppTest:
    """A new session with the PKCE lesson picked, as tests/ui does it."""
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.session_state[state.LESSONS_DIR] = str(LESSONS)
    at.run()
    at.button(key=f"lesson:{PKCE}").click().run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, key: str, *, fresh: bool) -> float:
    """One button press and the rerun it causes, in ms."""
    if fresh:
        at.session_state[state.LESSON_MEMO].replays.clear()
    button = at.button(key=key)
    started = time.perf_counter()
    button.click().run()
    elapsed = (time.perf_counter() - started) * 1000
    assert not at.exception, at.exception
    return elapsed


def walk(at: AppTest, *, fresh: bool) -> tuple[list[float], list[float]]:
    """Reset, Next to the end, then Back to the start: (next ms, back ms)."""
    if at.session_state[state.STEP]:
        at.button(key="reset").click().run()
    nexts = [click(at, "next", fresh=fresh) for _ in range(STEPS)]
    assert at.session_state[state.STEP] == STEPS
    backs = [click(at, "back", fresh=fresh) for _ in range(STEPS)]
    assert at.session_state[state.STEP] == 0
    return nexts, backs


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    os.environ.pop(LESSONS_DIR_ENV, None)
    # AppTest touches session state outside a script run; Streamlit says so.
    logging.getLogger(
        "streamlit.runtime.scriptrunner_utils.script_run_context"
    ).setLevel(logging.ERROR)
    at = open_pkce()
    for fresh in (False, True):  # warm up imports, caches and the page
        walk(at, fresh=fresh)
    figures: dict[bool, tuple[list[float], list[float]]] = {}
    by_step: list[list[float]] = [[] for _ in range(STEPS)]
    for fresh in (False, True):
        nexts, backs = [], []
        for _ in range(args.runs):
            walked_next, walked_back = walk(at, fresh=fresh)
            nexts += walked_next
            backs += walked_back
            if fresh:
                for step, ms in enumerate(walked_next):
                    by_step[step].append(ms)
        figures[fresh] = nexts, backs
    clicks = args.runs * STEPS
    print(f"lesson: {PKCE}, {STEPS} steps, {args.runs} walks: {clicks} clicks each")
    for fresh, label in ((False, "replay cached"), (True, "fresh replay ")):
        nexts, backs = figures[fresh]
        print(
            f"Next, {label}: median {statistics.median(nexts):7.2f} ms"
            f"   p90 {p90(nexts):7.2f} ms"
        )
        print(f"Back, {label}: median {statistics.median(backs):7.2f} ms")
    steps = "  ".join(
        f"{n}: {statistics.median(ms):.1f}" for n, ms in enumerate(by_step, 1)
    )
    print(f"Next, fresh, median ms by step reached: {steps}")


if __name__ == "__main__":
    main()
