"""Lesson code is contained: what a hostile tester writes is reported at its
file and line, stopped for real when it loops, and never slows another
session; long lessons cost what their steps cost.

No timers are asserted: a loop is known to have started from the pid file its
step writes; that a worker is gone is read in /proc.
"""

from __future__ import annotations

import gc
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from playground.lesson.catalog import LessonCatalog, read_source
from playground.lesson.outline import LessonOutline
from playground.lesson.pool import LessonPool
from playground.lesson.runner import LessonError
from playground.lesson.snapshot import DIAGRAM_EXCHANGES, EARLIER_SHOWN, StepSnapshot
from playground.lesson.worker import KeysPem, LessonSource
from playground.ui.replay_cache import LessonMemo, replay
from playground.world import WorldKeys
from tests.playground.lesson.broken_lessons import (
    EXPECTED,
    children,
    counting_lesson,
    lines_of,
    running,
    write_broken_folder,
)

ROOT = Path(__file__).resolve().parents[3]
PKCE = ROOT / "lessons" / "03_authorization_code_pkce.py"
LIMIT = 1.0  # seconds of CPU a step may use in this module's pool
WAIT = 2.0  # seconds a step may wait (using no CPU), in the sleeping test's
LONG_STEPS = 10_000


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = write_broken_folder(tmp_path_factory.mktemp("broken"))
    shutil.copy(PKCE, folder / PKCE.name)
    (folder / "long.py").write_text(counting_lesson(LONG_STEPS))
    (folder / "counted.py").write_text(counting_lesson(3))
    return folder


@pytest.fixture(scope="module")
def pool() -> Iterator[LessonPool]:
    with LessonPool(size=2, step_limit=LIMIT) as pool:
        yield pool


@pytest.fixture(scope="module")
def catalog(pool: LessonPool) -> LessonCatalog:
    return LessonCatalog(pool)


@pytest.fixture(scope="module")
def keys() -> KeysPem:
    return KeysPem.of(WorldKeys.generate())


def source(path: Path) -> LessonSource:
    found = read_source(path)
    assert isinstance(found, LessonSource), found
    return found


def show(
    pool: LessonPool, session: str, path: Path, step: int, keys: KeysPem
) -> StepSnapshot | LessonError:
    return pool.show(session, source(path), step, keys=keys)


def expected(
    folder: Path, name: str, limit: float = LIMIT
) -> tuple[range, str, int | None]:
    """The lines (one, or a loop's), the message and the step to report."""
    marker, message, step = EXPECTED[name]
    text = message.format(limit=limit, wait=WAIT)
    return lines_of(folder / name, marker), text, step


# --- each broken file, reported at its line -----------------------------------


def test_discovery_reports_import_time_loops_and_exits_at_their_lines(
    folder: Path, catalog: LessonCatalog
) -> None:
    entries = {entry.path.name: entry for entry in catalog.entries(folder)}
    for name in ("loop_import.py", "exit_import.py"):
        error = entries[name].error
        assert error is not None and entries[name].lesson is None, name
        lines, message, _ = expected(folder, name)
        assert (error.path, error.message) == (str((folder / name).resolve()), message)
        assert error.line in lines
        assert str(error) == f"{(folder / name).resolve()}:{error.line}: {message}"
    assert entries[PKCE.name].lesson is not None
    assert entries["loop_step.py"].lesson.title == "Loops in a step"


@pytest.mark.parametrize(
    "name",
    [
        "interrupt_step.py",
        "loop_step.py",
        "deep_step.py",
        "hoard_step.py",
        "generator_exit_step.py",
    ],
)
def test_a_step_that_raises_anything_or_loops_is_reported_at_its_line(
    folder: Path, pool: LessonPool, keys: KeysPem, name: str
) -> None:
    lines, message, step = expected(folder, name)
    first = show(pool, f"session-{name}", folder / name, 1, keys)
    assert isinstance(first, StepSnapshot) and first.error is None
    shown = show(pool, f"session-{name}", folder / name, 2, keys)
    error = shown.error if isinstance(shown, StepSnapshot) else shown
    assert error is not None
    assert error.line in lines and error.step == step
    assert error.message.startswith(message)
    assert error.path == str((folder / name).resolve())
    assert error.traceback.startswith("Traceback (most recent call last):")
    assert f'"{(folder / name).resolve()}", line {error.line}' in error.traceback


def test_a_step_that_waits_for_ever_is_stopped_too(folder: Path, keys: KeysPem) -> None:
    lines, message, step = expected(folder, "sleep_step.py")
    with LessonPool(size=1, step_limit=LIMIT, wait_limit=WAIT) as pool:
        shown = show(pool, "sleeper", folder / "sleep_step.py", 2, keys)
        worker = pool.started[0]
    assert isinstance(shown, LessonError)
    assert (shown.message, shown.step) == (message, step)
    assert shown.line in lines
    assert not running(worker)


def test_a_step_showing_what_cannot_cross_to_the_ui_is_an_error_not_a_crash(
    tmp_path: Path, pool: LessonPool, keys: KeysPem
) -> None:
    lesson = tmp_path / "odd_check.py"
    lesson.write_text(
        "from playground import Lesson\n\n"
        'lesson = Lesson("Checks a function")\n\n\n'
        '@lesson.step("A check described by a function")\n'
        "def odd(run):\n"
        '    """A function is no description."""\n'
        "    run.check(lambda: 1, True)\n"
    )
    shown = show(pool, "odd", lesson, 1, keys)
    assert isinstance(shown, LessonError)
    assert shown.message.startswith("The lesson's results could not be shown: ")
    assert "pickle" in shown.message and shown.step == 1


def test_the_same_pool_still_runs_a_good_lesson_after_all_that(
    folder: Path, pool: LessonPool, keys: KeysPem
) -> None:
    for name in ("loop_step.py", "hoard_step.py"):
        show(pool, "hostile", folder / name, 2, keys)
    shown = show(pool, "learner", folder / PKCE.name, 6, keys)
    assert isinstance(shown, StepSnapshot) and shown.error is None
    assert shown.current is not None
    assert all(check.passed for check in shown.current.checks)
    assert shown.current.exchanges[0].request.url.endswith("/api/photos")


# --- a runaway is stopped, its worker reclaimed; others go on meanwhile -------


def test_another_session_steps_normally_while_one_loops_until_stopped(
    folder: Path, keys: KeysPem
) -> None:
    before = threading.enumerate()
    pid_file = folder / "loop_step.pid"
    pid_file.unlink(missing_ok=True)
    with LessonPool(size=2, step_limit=3600) as pool:
        answers: list[StepSnapshot | LessonError] = []
        looping = threading.Thread(
            target=lambda: answers.append(
                show(pool, "hostile", folder / "loop_step.py", 2, keys)
            )
        )
        looping.start()
        wait_for(pid_file.exists)
        spinning = int(pid_file.read_text())
        assert running(spinning)

        for step in range(1, 7):  # another session, meanwhile, step by step
            shown = show(pool, "learner", folder / PKCE.name, step, keys)
            assert isinstance(shown, StepSnapshot) and shown.error is None
            assert shown.current is not None and shown.current.step.number == step
            assert all(check.passed for check in shown.current.checks)
        assert looping.is_alive() and not answers  # still looping, not stopped yet

        pool.step_limit = 0.2  # the instructor's patience runs out
        looping.join()
        [error] = answers
        assert isinstance(error, LessonError)
        lines, message, step = expected(folder, "loop_step.py", limit=0.2)
        assert (error.message, error.step) == (message, step)
        assert error.line in lines
        assert not running(spinning)  # stopped and reaped, not left spinning
        assert spinning not in children()
        pids = pool.pids()
    assert not [pid for pid in pids if running(pid)]
    assert not children() & set(pids)
    assert threading.enumerate() == before


def test_no_worker_process_or_thread_is_left_after_the_broken_folder(
    tmp_path: Path, keys: KeysPem
) -> None:
    folder = write_broken_folder(tmp_path)
    shutil.copy(PKCE, folder / PKCE.name)
    before = threading.enumerate()
    with LessonPool(size=2, step_limit=LIMIT, wait_limit=WAIT) as pool:
        catalog = LessonCatalog(pool)  # the sleeping step is stopped too
        entries = catalog.entries(folder)
        for entry in entries:
            if entry.lesson is not None:
                show(pool, "tester", entry.path, 2, keys)
        seen = set(pool.started)
        stopped = seen - set(pool.pids())
        assert len(stopped) >= 2  # the two loops' workers, at least
        assert not [pid for pid in stopped if running(pid)]
    assert not [pid for pid in seen if running(pid)]
    assert not children() & seen
    assert threading.enumerate() == before


def test_a_lesson_that_leaves_a_thread_running_loses_its_worker(
    tmp_path: Path, pool: LessonPool, keys: KeysPem
) -> None:
    lesson = tmp_path / "thread.py"
    lesson.write_text(
        "import os, threading\nfrom pathlib import Path\n\n"
        "from playground import Lesson\n\n"
        'lesson = Lesson("Leaves a thread")\n\n\n'
        '@lesson.step("Start a thread that never ends")\n'
        "def start(run):\n"
        '    """The step returns; its thread spins on."""\n'
        '    Path(__file__).with_suffix(".pid").write_text(str(os.getpid()))\n'
        "    def spin():\n"
        "        while True:\n"
        "            pass\n\n"
        "    threading.Thread(target=spin, daemon=True).start()\n"
        '    run.check("the step returned", True)\n'
    )
    shown = show(pool, "threads", lesson, 1, keys)
    assert isinstance(shown, StepSnapshot) and shown.error is None
    worker = int(lesson.with_suffix(".pid").read_text())
    assert not running(worker)  # retired with its thread, not left spinning
    assert worker not in pool.pids()
    assert pool.pids()  # a fresh one is already starting for the next learner


# --- long lessons: a step costs one step ---------------------------------------


def ran_so_far(shown: StepSnapshot | LessonError) -> int:
    """How many steps the worker's process has run, as the step's check says."""
    assert isinstance(shown, StepSnapshot) and shown.current is not None
    [check] = shown.current.checks
    return int(check.description.rsplit(" ", 1)[1])


def test_next_runs_one_step_and_back_replays_to_the_step_before(
    folder: Path, keys: KeysPem
) -> None:
    with LessonPool(size=1) as pool:
        counted = folder / "counted.py"
        assert ran_so_far(show(pool, "s", counted, 1, keys)) == 1
        assert ran_so_far(show(pool, "s", counted, 2, keys)) == 2  # Next: one step
        assert ran_so_far(show(pool, "s", counted, 3, keys)) == 3
        assert ran_so_far(show(pool, "s", counted, 2, keys)) == 5  # Back: replay 1-2
        assert ran_so_far(show(pool, "s", counted, 3, keys)) == 6  # Next again: one
        other = KeysPem.of(WorldKeys.generate())  # another session: its own run
        assert ran_so_far(show(pool, "t", counted, 1, other)) == 7
        assert ran_so_far(show(pool, "s", counted, 3, keys)) == 6  # there already
        assert ran_so_far(show(pool, "t", counted, 2, other)) == 8


def test_a_long_lesson_runs_to_its_end_back_and_next_in_bounded_snapshots(
    folder: Path, pool: LessonPool, keys: KeysPem
) -> None:
    long = folder / "long.py"
    end = show(pool, "long", long, LONG_STEPS, keys)  # Run to end
    assert isinstance(end, StepSnapshot) and end.error is None
    assert (end.step, end.steps_run) == (LONG_STEPS, LONG_STEPS)
    assert ran_so_far(end) == LONG_STEPS
    assert len(end.earlier) == EARLIER_SHOWN
    assert end.earlier_hidden == LONG_STEPS - 1 - EARLIER_SHOWN
    assert [view.step.number for view in end.earlier] == list(
        range(LONG_STEPS - EARLIER_SHOWN, LONG_STEPS)
    )
    requests = LONG_STEPS // 1000  # steps 1, 1001, ... open a page
    assert end.exchange_count == requests
    assert len(end.exchanges) == min(requests, DIAGRAM_EXCHANGES)

    back = show(pool, "long", long, LONG_STEPS - 1, keys)  # a replay to N-1
    assert isinstance(back, StepSnapshot) and back.step == LONG_STEPS - 1
    assert ran_so_far(back) == 2 * LONG_STEPS - 1
    again = show(pool, "long", long, LONG_STEPS, keys)  # Next: one more step
    assert ran_so_far(again) == 2 * LONG_STEPS


def test_an_outline_is_executed_once_per_content_for_every_session(
    folder: Path, catalog: LessonCatalog, tmp_path: Path
) -> None:
    catalog.entries(folder)
    executed = catalog.executed
    for _ in range(3):  # three new sessions open the Lessons page
        LessonMemo(catalog).entries(folder)
    assert catalog.executed == executed
    edited = tmp_path / "counted.py"
    edited.write_text((folder / "counted.py").read_text())
    assert isinstance(catalog.outline(source(edited)), LessonOutline)
    assert catalog.outline(source(edited)) is catalog.outline(source(edited))
    assert catalog.executed == executed + 1
    edited.write_text(edited.read_text() + "\n# edited\n")
    assert isinstance(catalog.outline(source(edited)), LessonOutline)
    assert catalog.executed == executed + 2


# --- a session's runs go when the session goes ----------------------------------


def test_a_dropped_session_frees_its_run_in_the_worker(
    folder: Path, catalog: LessonCatalog
) -> None:
    memo = LessonMemo(catalog)
    shown = replay(memo, folder / PKCE.name, 3, keys=WorldKeys.generate())
    assert shown.error is None and shown.current is not None
    session = memo.session
    assert any(session in stats.runs for stats in catalog.pool.stats())
    del memo, shown
    gc.collect()
    assert not any(session in stats.runs for stats in catalog.pool.stats())


def wait_for(condition, seconds: float = 60.0) -> None:
    """Wait (bounded) for something a worker does; never a timed assertion."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the worker never got there"
        time.sleep(0.02)


def test_a_worker_keeps_its_long_runs_within_a_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playground.lesson import worker as worker_module
    from playground.lesson.worker import ShowRequest, Worker

    steps = 1_000
    per_run = steps + 1  # a check a step, and one page
    monkeypatch.setattr(worker_module, "MAX_RECORDS", 3 * per_run + per_run // 2)
    long = tmp_path / "long.py"
    long.write_text(counting_lesson(steps))
    worker = Worker()
    keys = KeysPem.of(WorldKeys.generate())
    fits = 3
    sessions = [f"s{n}" for n in range(fits + 2)]
    for session in sessions:  # each to the end of the lesson
        request = ShowRequest(session, source(long), steps, (), False, keys)
        shown = worker.handle(request)
        assert isinstance(shown, StepSnapshot) and shown.error is None
    assert list(worker.runs) == sessions[-fits:]  # the most recent, in order
