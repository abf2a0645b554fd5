"""The Exercises page, driven as a learner would with AppTest: the grade
follows an edit made in the learner's own editor or on the page, without a
restart; a broken file shows its error at its line; hints come one at a time.

Each test works on a copy of a few exercises in tmp_path.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from playground.lesson.grader import splice
from playground.lesson.progress import PROGRESS_ENV
from playground.ui import state
from tests.exercises.conftest import EXERCISES, SOLUTIONS, student_functions

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "playground" / "ui" / "app_pages" / "exercises.py"
TIMEOUT = 120
PKCE = "01_pkce_pair.py"
STATE = "02_state_check.py"


@pytest.fixture
def lessons(tmp_path: Path) -> Path:
    folder = tmp_path / "lessons"
    (folder / "exercises").mkdir(parents=True)
    for name in (PKCE, STATE):
        shutil.copy(EXERCISES / name, folder / "exercises" / name)
    return folder


@pytest.fixture
def progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The learner's own machine: a progress file, edits saved to files."""
    path = tmp_path / "progress.json"
    monkeypatch.setenv(PROGRESS_ENV, str(path))
    return path


def open_page(lessons: Path, exercise: str = PKCE) -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT)
    at.session_state[state.LESSONS_DIR] = str(lessons)
    at.session_state["exercise"] = exercise
    at.run()
    assert not at.exception
    return at


def scenario_titles(at: AppTest) -> list[str]:
    return [e.label for e in at.expander if e.label != "Edit it here"]


def progress_text(at: AppTest) -> str:
    return at.get("progress")[0].proto.text


def solved(name: str) -> str:
    official = (EXERCISES / name).read_text()
    answer = (SOLUTIONS / name).read_text()
    return splice(official, answer, student_functions(Path(name).stem))


def test_the_page_lists_the_exercises_and_grades_the_one_on_screen(
    lessons: Path, progress: Path
) -> None:
    at = open_page(lessons)
    assert at.radio[0].options == [
        "0/2  Make a PKCE pair · beginner",
        "○  Check state on the callback · beginner",
    ]
    assert at.header[0].value == "Make a PKCE pair"
    assert (
        at.subheader[0].value == "Your function: `make_pkce_pair() -> tuple[str, str]`"
    )
    assert "RFC 7636 4.2" in at.markdown[1].value  # the contract
    assert progress_text(at) == "0 of 2 scenarios passed"
    assert scenario_titles(at) == [
        ":red[:material/cancel:] 1. Alice signs in to Photo Uploader with your pair"
        " · honest flow",
        ":red[:material/cancel:] 2. Mallory's app catches Alice's code on the "
        "loopback port · attack",
    ]


def test_an_edit_in_the_learners_own_editor_changes_the_grade_without_a_restart(
    lessons: Path, progress: Path
) -> None:
    at = open_page(lessons, STATE)
    assert progress_text(at) == "1 of 3 scenarios passed"
    assert any("Mallory got:" in w.value for w in at.warning)
    (lessons / "exercises" / STATE).write_text(solved(STATE))
    at.run()  # what the page's two-second watch does when the file changes
    assert not at.exception
    assert progress_text(at) == "3 of 3 scenarios passed: well done."
    assert not at.warning
    assert at.radio[0].options[1] == "✅  Check state on the callback · beginner"
    recorded = json.loads(progress.read_text())["exercises"][STATE]
    assert recorded["completed"] is True


def test_the_page_editor_follows_an_edit_in_the_learners_own_editor(
    lessons: Path, progress: Path
) -> None:
    """Saving from the page after an edit elsewhere keeps that edit: the
    page's editor shows the function as the file has it now."""
    at = open_page(lessons, STATE)
    editor = f"editor:{STATE}:state_matches"
    assert "# TODO" in at.text_area(key=editor).value
    (lessons / "exercises" / STATE).write_text(solved(STATE))
    at.run()
    assert "hmac.compare_digest" in at.text_area(key=editor).value
    at.button(key=f"save:{STATE}:state_matches").click()
    at.run()
    assert not at.exception
    assert progress_text(at) == "3 of 3 scenarios passed: well done."
    assert "hmac.compare_digest" in (lessons / "exercises" / STATE).read_text()


def test_saving_in_the_page_editor_writes_the_exercise_file(
    lessons: Path, progress: Path
) -> None:
    at = open_page(lessons, STATE)
    editor = at.text_area(key=f"editor:{STATE}:state_matches")
    assert editor.value.startswith("def state_matches(")
    answer = (SOLUTIONS / STATE).read_text()
    function = answer[answer.index("def state_matches(") :]
    # Their own version: no hmac (not imported in the exercise file), and the
    # None checks above it do the rest.
    editor.set_value(
        function.replace(
            "return hmac.compare_digest(expected.encode(), received.encode())",
            "return expected == received",
        )
    )
    at.button(key=f"save:{STATE}:state_matches").click()
    at.run()
    assert not at.exception
    text = (lessons / "exercises" / STATE).read_text()
    assert "    return expected == received\n" in text
    assert "@exercise.student\ndef state_matches(" in text
    assert "# TODO" not in text
    assert progress_text(at) == "3 of 3 scenarios passed: well done."


def test_on_a_shared_server_an_edit_stays_in_the_browser_session(
    lessons: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PROGRESS_ENV, raising=False)
    before = (lessons / "exercises" / STATE).read_text()
    at = open_page(lessons, STATE)
    assert "Progress is kept in this browser session." in [c.value for c in at.caption]
    at.text_area(key=f"editor:{STATE}:state_matches").set_value(
        "def state_matches(expected, received):\n"
        "    return expected is not None and received == expected\n"
    )
    at.button(key=f"save:{STATE}:state_matches").click()
    at.run()
    assert progress_text(at) == "3 of 3 scenarios passed: well done."
    assert (lessons / "exercises" / STATE).read_text() == before
    other = open_page(lessons, STATE)  # another learner sees the file
    assert progress_text(other) == "1 of 3 scenarios passed"
    at.button(key="discard").click()
    at.run()
    assert progress_text(at) == "1 of 3 scenarios passed"


def test_a_broken_file_shows_its_error_at_its_line(
    lessons: Path, progress: Path
) -> None:
    path = lessons / "exercises" / PKCE
    text = path.read_text().replace(
        "    code_challenge = code_verifier\n", "    code_challenge = (\n"
    )
    path.write_text(text)
    at = open_page(lessons)
    assert at.radio[0].options[0].startswith("⚠")
    error = at.error[0].value
    assert "SyntaxError" in error and f"{path.resolve()}, line" in error


def test_a_crash_in_the_function_is_shown_at_its_line_in_each_scenario(
    lessons: Path, progress: Path
) -> None:
    path = lessons / "exercises" / PKCE
    text = path.read_text().replace(
        "    code_challenge = code_verifier\n",
        "    code_challenge = code_verifier[99]\n",
    )
    path.write_text(text)
    at = open_page(lessons)
    line = text.splitlines().index("    code_challenge = code_verifier[99]") + 1
    errors = [e.value for e in at.error]
    assert len(errors) == 2
    assert all(
        "IndexError: string index out of range (in make_pkce_pair)" in e
        and f"{path.resolve()}, line {line}" in e
        for e in errors
    )


def test_hints_come_one_at_a_time(lessons: Path, progress: Path) -> None:
    at = open_page(lessons, STATE)
    key = f"hint-button:hints:{STATE}:3"
    assert not [i for i in at.info if "Hint" in i.value]
    at.button(key=key).click()
    at.run()
    assert [i.value for i in at.info if "Hint" in i.value] == [
        "**Hint 1 of 3:** When Alice's browser has no sign-in under way, PhotoPrint "
        "expects no state at all: `expected` is None."
    ]
    assert at.button(key=key).label == "Show a more specific hint"
    at.button(key=key).click()
    at.run()
    assert len([i for i in at.info if "Hint" in i.value]) == 2


def test_new_inputs_grade_again_with_another_seed(
    lessons: Path, progress: Path
) -> None:
    at = open_page(lessons)
    first = [c.value for c in at.caption if c.value.startswith("Seed ")]
    at.button(key="new-inputs").click()
    at.run()
    second = [c.value for c in at.caption if c.value.startswith("Seed ")]
    assert first and second and first != second


def test_an_endless_loop_is_stopped_and_the_page_keeps_serving(
    lessons: Path, progress: Path
) -> None:
    """The learner's function loops: each scenario that calls it is stopped
    after the step limit and reported at the loop; another learner's page
    still grades (the stopped workers were replaced)."""
    path = lessons / "exercises" / PKCE
    text = path.read_text().replace(
        '    code_verifier = "a" * 43\n',
        '    code_verifier = "a" * 43\n    while True:\n        pass\n',
    )
    path.write_text(text)
    pool = state.lesson_catalog().pool
    limit, pool.step_limit = pool.step_limit, 1.0
    try:
        at = open_page(lessons)
        errors = [e.value for e in at.error]
        loop = text.splitlines().index("    while True:") + 1
        assert len(errors) == 2
        assert all(
            re.search(r"Stopped after (1|30) s: this scenario never finished", e)
            and (f", line {loop}`" in e or f", line {loop + 1}`" in e)
            for e in errors
        ), errors
        other = open_page(lessons, STATE)
        assert progress_text(other) == "1 of 3 scenarios passed"
    finally:
        pool.step_limit = limit


@pytest.mark.parametrize("local", [True, False])
def test_a_syntax_error_saved_on_the_page_is_mended_on_the_page(
    lessons: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local: bool
) -> None:
    """No editor of one's own needed: the whole file is editable while it
    does not load, and on a shared server the draft can be dropped too."""
    if local:
        monkeypatch.setenv(PROGRESS_ENV, str(tmp_path / "progress.json"))
    else:
        monkeypatch.delenv(PROGRESS_ENV, raising=False)
    at = open_page(lessons, STATE)
    at.text_area(key=f"editor:{STATE}:state_matches").set_value(
        "def state_matches(expected, received)\n    return True\n"
    )
    at.button(key=f"save:{STATE}:state_matches").click()
    at.run()
    assert not at.exception
    assert "SyntaxError" in at.error[0].value
    whole = at.text_area(key=f"file-editor:{STATE}")
    assert "def state_matches(expected, received)\n" in whole.value
    whole.set_value(
        whole.value.replace(
            "def state_matches(expected, received)\n    return True\n",
            "def state_matches(expected, received):\n"
            "    return expected is not None and received == expected\n",
        )
    )
    at.button(key=f"save-file:{STATE}").click()
    at.run()
    assert not at.exception
    assert not at.error
    assert progress_text(at) == "3 of 3 scenarios passed: well done."
    if not local:  # the draft can still be dropped for the file as it is
        at.button(key="discard").click()
        at.run()
        assert progress_text(at) == "1 of 3 scenarios passed"
