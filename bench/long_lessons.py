"""What Next, Back and Run to end cost on the Lessons page, for the PKCE lesson
and for a generated lesson of 10,000 steps (one HTTP request and one check
each), and what another session waits meanwhile.

Each click is the Lessons page's rerun under Streamlit's AppTest (no browser):
wall time, and the CPU time spent in this process (where Streamlit runs) and
in the lesson workers' processes, if any. Back is timed with the session's
replay cache cleared, so it really replays to step N-1. Run:
`.venv/bin/python bench/long_lessons.py [--steps N] [--skip-long]`.
Measured here, never asserted in a test.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import streamlit.logger
from streamlit.testing.v1 import AppTest

from playground.ui import state

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "playground" / "ui" / "app.py"
LESSONS = ROOT / "lessons"
PKCE = "03_authorization_code_pkce.py"
LONG = "long.py"


def write_long_lesson(path: Path, steps: int) -> Path:
    """A lesson a student could write, with `steps` steps: each asks the
    authorization server for its metadata and checks the answer."""
    lines = [
        '"""A generated lesson of many steps."""',
        "",
        "from playground import Lesson",
        "",
        'METADATA = "/.well-known/oauth-authorization-server"',
        f'lesson = Lesson("{steps} steps", summary="Generated for bench/.")',
        "",
    ]
    for number in range(1, steps + 1):
        lines += [
            "",
            f'@lesson.step("Step {number}")',
            f"def step_{number}(run):",
            f'    """The metadata, time {number}."""',
            "    run.browser.open(run.issuer + METADATA)",
            f'    run.check("metadata {number}", run.browser.status == 200)',
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def worker_cpu() -> float:
    """CPU seconds of this process's children (lesson workers), from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{os.getpid()}/task")
    pids: set[int] = set()
    for task in children.iterdir():
        try:  # a thread may end meanwhile
            pids.update(int(pid) for pid in (task / "children").read_text().split())
        except OSError:
            continue
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def measured(action: Callable[[], object]) -> tuple[float, float, float]:
    """(wall ms, this process's CPU ms, workers' CPU ms) of one action."""
    wall, cpu, workers = time.perf_counter(), time.process_time(), worker_cpu()
    action()
    return (
        (time.perf_counter() - wall) * 1000,
        (time.process_time() - cpu) * 1000,
        (worker_cpu() - workers) * 1000,
    )


def open_lesson(folder: Path, name: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=3600)
    at.session_state[state.LESSONS_DIR] = str(folder)
    at.run()
    at.button(key=f"lesson:{name}").click().run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, key: str, *, fresh: bool = True) -> None:
    if fresh:
        at.session_state[state.LESSON_MEMO].replays.clear()
    at.button(key=key).click().run()
    assert not at.exception, at.exception


def show(label: str, figures: list[tuple[float, float, float]]) -> None:
    wall = statistics.median(f[0] for f in figures)
    cpu = statistics.median(f[1] for f in figures)
    workers = statistics.median(f[2] for f in figures)
    print(
        f"  {label:<34} wall {wall:9.1f} ms   streamlit CPU {cpu:9.1f} ms"
        f"   worker CPU {workers:8.1f} ms"
    )


def walk(folder: Path, name: str, steps: int, repeat: int) -> None:
    print(f"{name}: {steps} steps")
    opened = [measured(lambda: open_lesson(folder, name)) for _ in range(repeat)]
    show("open the lesson (new session)", opened)
    at = open_lesson(folder, name)
    show("Next, steps 1-3", [measured(lambda: click(at, "next")) for _ in range(3)])
    runs, backs, nexts = [], [], []
    for _ in range(repeat):
        click(at, "reset")
        runs.append(measured(lambda: click(at, "run_to_end")))
        backs.append(measured(lambda: click(at, "back")))
        nexts.append(measured(lambda: click(at, "next")))
        assert at.session_state[state.STEP] == steps
    show("Run to end from step 0", runs)
    show("Back from the end (replay to N-1)", backs)
    show("Next to the end, after Back", nexts)


def other_session_meanwhile(folder: Path) -> None:
    """A second session steps through PKCE while the first runs the long
    lesson to its end: its clicks' latency, and the same clicks alone."""
    alone = open_lesson(LESSONS, PKCE)
    quiet = [measured(lambda: click(alone, "next", fresh=False))[0] for _ in range(5)]
    busy_session = open_lesson(folder, LONG)
    other = open_lesson(LESSONS, PKCE)
    done = threading.Event()

    def run_long() -> None:
        click(busy_session, "run_to_end")
        done.set()

    worker = threading.Thread(target=run_long)
    worker.start()
    time.sleep(0.5)
    busy = []
    while not done.is_set():
        if other.session_state[state.STEP] == 6:
            click(other, "reset", fresh=False)
        busy.append(measured(lambda: click(other, "next", fresh=False))[0])
    worker.join()
    print("another session's Next (PKCE), wall ms:")
    print(
        f"  alone                              median {statistics.median(quiet):7.1f}"
    )
    if busy:
        print(
            f"  while a long lesson runs to end    median "
            f"{statistics.median(busy):7.1f}   max {max(busy):7.1f}   "
            f"({len(busy)} clicks)"
        )


LOOP = """from playground import Lesson

lesson = Lesson("Loops")


@lesson.step("Loop for ever")
def spin(run):
    \"\"\"Deaf to everything.\"\"\"
    while True:
        try:
            pass
        except BaseException:
            pass
"""


def other_session_while_one_loops(folder: Path) -> None:
    """A second session steps through PKCE (each click a real request to a
    worker) while the first is stuck in an endless loop until the step limit
    stops it. Only with lesson workers: before them, the loop never ended."""
    (folder / "loop.py").write_text(LOOP)
    alone = open_lesson(LESSONS, PKCE)
    quiet = []
    for _ in range(3):
        quiet += [measured(lambda: click(alone, "next"))[0] for _ in range(6)]
        click(alone, "reset")
    hostile = open_lesson(folder, "loop.py")
    other = open_lesson(LESSONS, PKCE)
    done = threading.Event()
    started = time.perf_counter()
    stopped_after = []

    def loop() -> None:
        click(hostile, "next")
        stopped_after.append(time.perf_counter() - started)
        done.set()

    thread = threading.Thread(target=loop)
    thread.start()
    time.sleep(0.5)
    busy = []
    while not done.is_set():
        if other.session_state[state.STEP] == 6:
            click(other, "reset")
        busy.append(measured(lambda: click(other, "next"))[0])
    thread.join()
    print("another session's Next (PKCE, each a worker request), wall ms:")
    print(f"  alone{'':30}median {statistics.median(quiet):7.1f}")
    print(
        f"  while a session loops{'':14}median {statistics.median(busy):7.1f}"
        f"   max {max(busy):7.1f}   ({len(busy)} clicks; the loop was stopped "
        f"after {stopped_after[0]:.1f} s)"
    )


def boundary(path: Path, step: int, repeat: int = 200) -> None:
    """What the process boundary adds to a click: the worker's answer for a
    step its live run is already at, against building the same snapshot in
    this process; and this process's CPU for that round trip."""
    import pickle

    from playground.lesson.catalog import read_source
    from playground.lesson.pool import LessonPool
    from playground.lesson.runner import LiveRun, load_lesson
    from playground.lesson.snapshot import snapshot
    from playground.lesson.worker import KeysPem
    from playground.world import WorldKeys

    keys = WorldKeys.generate()
    live = LiveRun(load_lesson(path), keys=keys)
    live.advance(step)
    local = []
    for _ in range(repeat):
        started = time.perf_counter()
        shown = snapshot(live, step)
        local.append((time.perf_counter() - started) * 1000)
    size = len(pickle.dumps(shown, protocol=pickle.HIGHEST_PROTOCOL))
    source = read_source(path)
    pem = KeysPem.of(keys)
    with LessonPool(size=1) as pool:
        pool.show("bench", source, step, keys=pem)  # load, run to the step
        walls, cpus = [], []
        for _ in range(repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            pool.show("bench", source, step, keys=pem)
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
    print(
        f"  {path.name} at step {step}: snapshot {size / 1024:.1f} KiB; "
        f"in process {statistics.median(local):.2f} ms; through a worker "
        f"{statistics.median(walls):.2f} ms wall, "
        f"{statistics.median(cpus):.2f} ms CPU here"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-long", action="store_true")
    parser.add_argument(
        "--no-boundary",
        dest="boundary",
        action="store_false",
        help="skip the process boundary's figures (there is none before workers)",
    )
    args = parser.parse_args()
    os.environ.pop("OAUTH_PLAYGROUND_LESSONS", None)
    # AppTest touches session state outside a script run; Streamlit says so.
    streamlit.logger.set_log_level(logging.ERROR)
    open_lesson(LESSONS, PKCE)  # warm up imports and caches
    walk(LESSONS, PKCE, 6, args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_long_lesson(folder / LONG, args.steps)
        if not args.skip_long:
            walk(folder, LONG, args.steps, 1)
            other_session_meanwhile(folder)
        if args.boundary:
            other_session_while_one_loops(folder)
            print("the process boundary, per click:")
            boundary(LESSONS / PKCE, 5)
            boundary(folder / LONG, args.steps, repeat=50)


if __name__ == "__main__":
    main()
