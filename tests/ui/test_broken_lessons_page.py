"""The Lessons page with a folder of hostile lessons, driven with AppTest as a
tester would: every file is reported at its line, none stops the page or
another session, and bad URL parameters are said, never raised."""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from playground.lesson.catalog import LessonCatalog
from playground.lesson.pool import LessonPool
from playground.lesson.runner import LESSONS_DIR_ENV
from playground.ui import state
from playground.ui.replay_cache import LessonMemo
from tests.playground.lesson.broken_lessons import (
    line_of,
    lines_of,
    running,
    write_broken_folder,
)

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "playground" / "ui" / "app.py"
PKCE = "03_authorization_code_pkce.py"
LIMIT = 1.0


@pytest.fixture(autouse=True)
def _no_lessons_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LESSONS_DIR_ENV, raising=False)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = write_broken_folder(tmp_path_factory.mktemp("broken"))
    shutil.copy(ROOT / "lessons" / PKCE, folder / PKCE)
    return folder


@pytest.fixture(scope="module")
def catalog() -> Iterator[LessonCatalog]:
    """Workers with a short step limit, for the sessions of this module."""
    with LessonPool(size=2, step_limit=LIMIT) as pool:
        yield LessonCatalog(pool)


def open_app(
    folder: Path, catalog: LessonCatalog | None, timeout: float = 60, **params: str
) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.session_state[state.LESSONS_DIR] = str(folder)
    if catalog is not None:
        at.session_state[state.LESSON_MEMO] = LessonMemo(catalog)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception
    return at


def click(at: AppTest, key: str, times: int = 1) -> AppTest:
    for _ in range(times):
        at.button(key=key).click().run()
        assert not at.exception
    return at


def errors(at: AppTest) -> str:
    return "\n".join(error.value for error in at.error)


def counter(at: AppTest) -> str:
    for markdown in at.markdown:
        found = re.match(r"\*\*(Step \d+ of [\d?]+)\*\*", markdown.value)
        if found:
            return found.group(1)
    raise AssertionError("no step counter on the page")


def test_every_broken_file_is_listed_with_its_error(
    folder: Path, catalog: LessonCatalog
) -> None:
    at = open_app(folder, catalog)
    captions = [caption.value for caption in at.caption]
    stopped = "⚠ Stopped after 1 s: the file never finished loading (an endless loop?)"
    assert any(
        caption == f"{stopped}, line {line}"
        for line in lines_of(folder / "loop_import.py", "# LOOP")
        for caption in captions
    ), captions
    assert f"⚠ SystemExit: 3, line {line_of(folder / 'exit_import.py', '# EXIT')}" in (
        captions
    )
    assert "**⚠ Broken lesson files**" in [m.value for m in at.markdown]


@pytest.mark.parametrize(
    ("name", "marker", "message"),
    [
        ("loop_step.py", "# SPIN", "Stopped after 1 s: this step never finished"),
        ("interrupt_step.py", "# INTERRUPT", "KeyboardInterrupt"),
        ("deep_step.py", "# RECURSE", "RecursionError: maximum recursion depth"),
    ],
)
def test_a_broken_step_is_shown_at_its_line_and_the_page_goes_on(
    folder: Path, catalog: LessonCatalog, name: str, marker: str, message: str
) -> None:
    at = click(open_app(folder, catalog), f"lesson:{name}")
    click(at, "next", times=2)
    assert counter(at) == "Step 2 of 2"
    shown = errors(at)
    assert f"**{message}" in shown and "in step 2" in shown
    lines = lines_of(folder / name, marker)
    found = re.search(
        rf"`{re.escape(str((folder / name).resolve()))}, line (\d+)`", shown
    )
    assert found and int(found.group(1)) in lines, shown
    click(at, "back")  # step 1 replays and shows normally
    assert counter(at) == "Step 1 of 2" and not at.error
    click(at, f"lesson:{PKCE}")
    click(at, "next", times=5)
    assert counter(at) == "Step 5 of 7" and not at.error


def test_a_lesson_that_exits_at_import_shows_its_error_not_a_blank_page(
    folder: Path, catalog: LessonCatalog
) -> None:
    at = click(open_app(folder, catalog), "lesson:exit_import.py")
    assert "**SystemExit: 3**" in errors(at)
    assert at.header[0].value == "⚠ exit_import.py"
    assert at.button(key="next").disabled


def test_another_session_steps_normally_while_one_loops(
    folder: Path, catalog: LessonCatalog
) -> None:
    pid_file = folder / "loop_step.pid"
    pid_file.unlink(missing_ok=True)
    with LessonPool(size=2, step_limit=LIMIT) as patient:  # as in the app
        shared = LessonCatalog(patient)
        hostile = click(open_app(folder, shared, timeout=600), "lesson:loop_step.py")
        click(hostile, "next")
        patient.step_limit = 3600  # no stopping the loop until the end of the test
        looping = threading.Thread(target=click, args=(hostile, "next"))
        looping.start()
        deadline = time.monotonic() + 60
        while not pid_file.exists():  # the step's endless loop has begun
            assert time.monotonic() < deadline
            time.sleep(0.05)
        worker = int(pid_file.read_text())

        learner = click(open_app(folder, shared), f"lesson:{PKCE}")  # same pool
        for step in range(1, 7):
            click(learner, "next")
            assert counter(learner) == f"Step {step} of 7" and not learner.error
        assert looping.is_alive() and running(worker)  # meanwhile, still looping

        patient.step_limit = 0.2
        looping.join()
        assert "Stopped after 0.2 s: this step never finished" in errors(hostile)
        assert not running(worker)


@pytest.mark.parametrize(
    ("params", "notice", "place"),
    [
        ({"lesson": "gone.py", "step": "2"}, "There is no lesson `gone.py`", "0 of 7"),
        (
            {"lesson": PKCE, "step": "99"},
            "This lesson has 7 steps: showing step 7",
            "7 of 7",
        ),
        ({"lesson": PKCE, "step": "9" * 5000}, "This lesson has 7 steps", "7 of 7"),
        ({"lesson": PKCE, "step": "²"}, "`?step=` `²` is not a step number", "0 of 7"),
        ({"lesson": PKCE, "step": "-3"}, "`-3` is not a step number", "0 of 7"),
        ({"lesson": "../../etc/passwd"}, "no lesson `../../etc/passwd`", "0 of 7"),
    ],
)
def test_url_parameters_are_checked_and_said_never_raised(
    folder: Path,
    catalog: LessonCatalog,
    params: dict[str, str],
    notice: str,
    place: str,
) -> None:
    at = open_app(folder, catalog, **params)
    warnings = "\n".join(warning.value for warning in at.warning)
    assert notice in warnings
    assert counter(at) == f"Step {place}"
    at.run()  # said once: the next rerun is quiet
    assert not at.warning


def test_a_url_past_any_end_on_a_broken_file_starts_it_at_step_zero(
    folder: Path, catalog: LessonCatalog
) -> None:
    at = open_app(folder, catalog, lesson="exit_import.py", step="9" * 5000)
    assert counter(at) == "Step 0 of ?"
    assert at.query_params["step"] == "0"
    assert "**SystemExit: 3**" in errors(at)
