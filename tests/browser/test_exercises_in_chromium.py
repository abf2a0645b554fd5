"""The Exercises page in a real browser, as a student uses it: pick the state
check, read its contract and the starter function, see Mallory get in; solve
it in the page's editor and see every scenario pass; break it and see where;
save it from their own editor and see the open page grade it again.

Debian's Chromium driven by Playwright, as in test_lessons_in_chromium.py.
Each test starts `oauth-playground ui` on a copy of the lessons folder (the
page saves into the exercise file on the student's own machine) and a
progress file of its own, so the repository's files are never written.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from playground.lesson.grader import splice
from playground.lesson.progress import PROGRESS_ENV
from tests.browser.test_lessons_in_chromium import (
    LESSONS,
    STEP_TIMEOUT_MS,
    VIEWPORT,
    settle,
)
from tests.exercises.conftest import EXERCISES, SOLUTIONS, student_functions

STATE = "02_state_check.py"
STATE_TITLE = "Check state on the callback"
PKCE_TITLE = "Make a PKCE pair"
FUNCTION = "state_matches"
HONEST = "1. Alice signs in to PhotoPrint · honest flow"
ATTACKS = (
    "2. Mallory's code arrives while Alice is signing in · attack",
    "3. Mallory's code arrives when Alice has no sign-in under way · attack",
)
MALLORY_GOT = (
    "Mallory got: Alice's browser signed in to PhotoPrint with Mallory's account"
)
GRADE_TIMEOUT_MS = 60_000  # a save, the outline and three scenarios graded


@pytest.fixture
def lessons(tmp_path: Path) -> Path:
    folder = tmp_path / "lessons"
    shutil.copytree(LESSONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


@pytest.fixture
def progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The student's own progress file (`ui` inherits the environment)."""
    path = tmp_path / "progress.json"
    monkeypatch.setenv(PROGRESS_ENV, str(path))
    return path


@pytest.fixture
def page(
    chromium: Browser,
    lessons: Path,
    progress: Path,
    app_url_for: Callable[..., str],
) -> Iterator[Page]:
    """A fresh `ui` on the copy, its Exercises page opened straight from
    its address, as a bookmark or a tab left open over a restart does."""
    url = app_url_for(lessons)
    context = chromium.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        page.goto(f"{url}exercises", wait_until="domcontentloaded")
        expect(
            page.get_by_role("heading", name="Exercises", exact=True)
        ).to_be_visible()
        expect(page.get_by_test_id("stProgress")).to_be_visible()  # graded
        settle(page)
        yield page
    finally:
        context.close()


def pick(page: Page, title: str) -> None:
    """Choose an exercise in the sidebar and wait for its page."""
    page.get_by_test_id("stSidebar").get_by_text(title).click()
    expect(page.get_by_role("heading", name=title, level=2)).to_be_visible()
    settle(page)


def summary(page: Page, title: str) -> Locator:
    return page.get_by_test_id("stExpander").locator("summary").filter(has_text=title)


def expect_scenario(page: Page, title: str, *, passed: bool) -> None:
    mark, other = ("check_circle", "cancel") if passed else ("cancel", "check_circle")
    row = summary(page, title)
    expect(row.get_by_role("img", name=f"{mark} icon")).to_be_visible(
        timeout=GRADE_TIMEOUT_MS
    )
    expect(row.get_by_role("img", name=f"{other} icon")).to_have_count(0)


def expect_progress(page: Page, text: str) -> None:
    bar = page.get_by_test_id("stProgress").get_by_test_id("stMarkdownContainer")
    expect(bar).to_have_text(text, timeout=GRADE_TIMEOUT_MS)


def editor(page: Page) -> Locator:
    """The page's editor of the student's function, unfolded."""
    fold = page.get_by_test_id("stExpander").filter(has_text="Edit it here")
    area = fold.locator(f".st-key-editor-{STATE.replace('.', '-')}-{FUNCTION}")
    if not area.locator("textarea").is_visible():
        fold.locator("summary").click()
    expect(area.locator("textarea")).to_be_visible()
    return area.locator("textarea")


def save_on_the_page(page: Page, code: str) -> None:
    """Type `code` over the function in the page's editor, save and check."""
    editor(page).fill(code)
    page.get_by_role("button", name="Save and check").click()


def pasted_solution() -> str:
    """The reference solution's function, as a student pastes it into the
    page's editor: the editor holds the function only, so the solution's
    imports go first in its body (after the docstring)."""
    answer = (SOLUTIONS / STATE).read_text()
    tree = ast.parse(answer)
    imports = [
        ast.get_source_segment(answer, node)
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    function = next(
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == FUNCTION
    )
    lines = answer.splitlines()
    docstring_end = function.body[0].end_lineno
    assert docstring_end is not None and imports == ["import hmac"]
    return "\n".join(
        [
            *lines[function.lineno - 1 : docstring_end],
            *(f"    {line}" for line in imports),
            *lines[docstring_end : function.end_lineno],
        ]
    )


def solved_file() -> str:
    official = (EXERCISES / STATE).read_text()
    answer = (SOLUTIONS / STATE).read_text()
    return splice(official, answer, student_functions(Path(STATE).stem))


def test_a_student_solves_the_state_check_in_the_pages_editor(
    page: Page, lessons: Path, progress: Path
) -> None:
    official = (EXERCISES / STATE).read_text()
    # Opened from its address on a fresh server, the page is the router's:
    # its navigation, not one made up from the pages folder's file names.
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_text("Learn", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Exercises")).to_be_visible()
    expect(nav.get_by_role("link", name="app", exact=True)).to_have_count(0)

    pick(page, STATE_TITLE)
    expect(
        page.get_by_role("heading", name=f"Your function: {FUNCTION}(", level=3)
    ).to_be_visible()
    # The contract, as Markdown (the starter's docstring, in the code, too).
    contract = page.get_by_text(
        "Return True only if the callback may go on.", exact=True
    )
    expect(contract).to_be_visible()
    expect(
        page.locator("li").filter(has_text="parameter of the request to")
    ).to_have_count(1)
    starter = page.get_by_test_id("stCode").filter(has_text=f"def {FUNCTION}(")
    expect(starter.first).to_contain_text(
        "# TODO: accept only the state this browser's session sent."
    )
    expect(starter.first).to_contain_text("return True")

    expect_progress(page, "1 of 3 scenarios passed")
    expect_scenario(page, HONEST, passed=True)
    for attack in ATTACKS:
        expect_scenario(page, attack, passed=False)
    expect(page.get_by_text(MALLORY_GOT).first).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)

    save_on_the_page(page, pasted_solution())
    expect_progress(page, "3 of 3 scenarios passed: well done.")
    settle(page)
    for title in (HONEST, *ATTACKS):
        expect_scenario(page, title, passed=True)
    expect(page.get_by_text("Mallory got:")).to_have_count(0)
    sidebar = page.get_by_test_id("stSidebar")
    expect(
        sidebar.get_by_text(re.compile(rf"^✅\s+{STATE_TITLE} · beginner$"))
    ).to_be_visible()
    expect(sidebar.get_by_text("1 of 9 done.")).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)

    saved = (lessons / "exercises" / STATE).read_text()
    assert "hmac.compare_digest(expected.encode(), received.encode())" in saved
    assert f"@exercise.student\ndef {FUNCTION}(" in saved
    assert (EXERCISES / STATE).read_text() == official  # the repository's copy
    recorded = json.loads(progress.read_text())["exercises"][STATE]
    assert recorded["completed"] is True


def test_a_syntax_error_saved_on_the_page_is_shown_at_its_line(
    page: Page, lessons: Path
) -> None:
    pick(page, STATE_TITLE)
    expect_progress(page, "1 of 3 scenarios passed")
    broken_line = "    if expected is None or received is None"  # no colon
    save_on_the_page(
        page,
        f"def {FUNCTION}(expected, received):\n{broken_line}\n        return False\n"
        "    return expected == received\n",
    )
    path = (lessons / "exercises" / STATE).resolve()
    alert = page.get_by_test_id("stAlertContentError").filter(has_text="SyntaxError")
    expect(alert.first).to_be_visible(timeout=GRADE_TIMEOUT_MS)
    line = path.read_text().splitlines().index(broken_line) + 1
    expect(alert.first).to_contain_text(f"{path}, line {line}")
    expect(page.get_by_role("heading", name=f"⚠ {STATE}", level=2)).to_be_visible()
    expect(
        page.get_by_test_id("stSidebar").get_by_text(
            re.compile(rf"^⚠\s+{Path(STATE).stem}$")
        )
    ).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)

    # The page keeps working: another exercise renders and is graded.
    pick(page, PKCE_TITLE)
    expect_progress(page, "0 of 2 scenarios passed")
    expect(page.get_by_text("SyntaxError")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_a_save_in_the_students_own_editor_regrades_the_open_page(
    page: Page, lessons: Path
) -> None:
    pick(page, STATE_TITLE)
    expect_progress(page, "1 of 3 scenarios passed")
    expect(editor(page)).to_contain_text("return True")

    (lessons / "exercises" / STATE).write_text(solved_file())
    # No click: the page notices the file changed and grades it again.
    expect_progress(page, "3 of 3 scenarios passed: well done.")
    settle(page)
    for title in (HONEST, *ATTACKS):
        expect_scenario(page, title, passed=True)
    shown = page.get_by_test_id("stCode").filter(has_text=f"def {FUNCTION}(")
    expect(shown.first).to_contain_text("hmac.compare_digest")
    # The page's editor follows the file: saving from it now must not put
    # the starter code back over the student's work.
    expect(editor(page)).to_have_value(re.compile(r"hmac\.compare_digest"))
