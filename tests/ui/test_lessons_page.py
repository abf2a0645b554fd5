"""The Lessons page, driven like a learner would with Streamlit's AppTest.

Each test builds its own AppTest (its own session, its own WorldKeys); tests
that edit lesson files work on a copy in tmp_path.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from playground.lesson.catalog import LessonCatalog
from playground.lesson.pool import LessonPool
from playground.lesson.runner import (
    LESSONS_DIR_ENV,
    LessonEntry,
    LessonError,
    load_lesson,
)
from playground.ui import browser_panel, lesson_picker, state
from playground.ui.lesson_panels import FAIL_MARK, PASS_MARK
from playground.ui.lesson_picker import UrlPlace, picker_groups
from playground.ui.message_cards import status_colour
from playground.ui.replay_cache import LessonMemo, replay
from playground.ui.source_panel import source_html
from playground.ui.step_controls import can, step_after
from playground.world import WorldKeys

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "playground" / "ui" / "app.py"
LESSONS = ROOT / "lessons"
PKCE = "03_authorization_code_pkce.py"
TIMEOUT = 30


@pytest.fixture(scope="module")
def catalog() -> Iterator[LessonCatalog]:
    """Lesson workers of this module's own, closed at its end."""
    with LessonPool(size=2) as pool:
        yield LessonCatalog(pool)


@pytest.fixture(autouse=True)
def _default_lessons(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LESSONS_DIR_ENV, raising=False)


def open_app(lessons: Path | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if lessons is not None:
        at.session_state[state.LESSONS_DIR] = str(lessons)
    at.run()
    assert not at.exception
    return at


def pick(at: AppTest, name: str) -> AppTest:
    at.button(key=f"lesson:{name}").click().run()
    assert not at.exception
    return at


def press(at: AppTest, key: str, times: int = 1) -> AppTest:
    for _ in range(times):
        at.button(key=key).click().run()
        assert not at.exception
    return at


def counter(at: AppTest) -> str:
    for markdown in at.markdown:
        found = re.match(r"\*\*(Step \d+ of [\d?]+)\*\*", markdown.value)
        if found:
            return found.group(1)
    raise AssertionError("no step counter on the page")


def codes(at: AppTest) -> list[str]:
    return [code.value for code in at.code]


def diagram(at: AppTest) -> str:
    """The sequence diagram's SVG, as the server laid it out ("" if none)."""
    for html in at.get("html"):
        found = re.search(r'class="sequence-diagram" data-svg="([^"]+)"', html.value)
        if found:
            return base64.b64decode(found.group(1)).decode()
    return ""


def open_switches(at: AppTest) -> AppTest:
    """Open the instructor's panel: its toggles are drawn only once it is open."""
    at.session_state[state.WEAKNESS_PANEL] = True
    at.run()
    assert not at.exception
    return at


def texts(at: AppTest) -> str:
    return "\n".join(markdown.value for markdown in at.markdown)


def check_lines(at: AppTest) -> list[str]:
    return [
        line
        for markdown in at.markdown
        for line in markdown.value.splitlines()
        if line.startswith((f"- {PASS_MARK}", f"- {FAIL_MARK}"))
    ]


def lesson_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "lessons"
    shutil.copytree(LESSONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


# --- stepping through a lesson ----------------------------------------------


def test_next_walks_through_the_pkce_lesson() -> None:
    at = pick(open_app(), PKCE)
    assert counter(at) == "Step 0 of 7"
    assert at.session_state[state.STEP] == 0

    press(at, "next")
    assert counter(at) == "Step 1 of 7"
    shown = codes(at)
    verifier = shown[shown.index(next(c for c in shown if len(c) == 43))]
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert challenge in shown  # the PKCE panel's BASE64URL(SHA256(verifier)) row
    assert "PKCE (RFC 7636), method `S256`" in texts(at)

    press(at, "next", times=4)
    assert counter(at) == "Step 5 of 7"
    token_step = [code for code in codes(at) if code.startswith("POST /token ")]
    assert token_step and "POST /token HTTP/1.1" in token_step[0]
    assert "HTTP/1.1 200 OK" in token_step[0]
    assert "- `aud`: `https://api.photos.test`" in texts(at)
    assert "Signature: **valid**" in "\n".join(s.value for s in at.success)
    drawn = diagram(at)
    assert "POST /token" in drawn and "step 5, the current step" in drawn
    assert ":green-badge[200 OK]" in texts(at)
    assert ":orange-badge[:material/code: back channel, a page's script]" in texts(at)
    lines = check_lines(at)
    assert lines and all(line.startswith(f"- {PASS_MARK}") for line in lines)

    press(at, "next")
    assert counter(at) == "Step 6 of 7"
    preflight = [code for code in codes(at) if code.startswith("OPTIONS /api/photos")]
    assert (
        preflight and "Access-Control-Request-Headers: authorization" in (preflight[0])
    )

    press(at, "next")
    assert counter(at) == "Step 7 of 7"
    assert at.button(key="next").disabled
    assert len(at.expander) >= 6  # earlier steps folded, still reachable


def test_back_replays_to_the_previous_step_with_the_same_messages() -> None:
    at = press(pick(open_app(), PKCE), "next", times=4)
    assert counter(at) == "Step 4 of 7"
    step_four = codes(at)
    assert any(code.startswith("POST /consent") for code in step_four)

    press(at, "next")
    assert counter(at) == "Step 5 of 7"
    at.session_state[state.LESSON_MEMO].replays.clear()  # a real replay, no cache
    press(at, "back")
    assert counter(at) == "Step 4 of 7"
    assert at.session_state[state.STEP] == 4
    assert codes(at) == step_four


def test_run_to_end_then_reset() -> None:
    at = press(pick(open_app(), PKCE), "run_to_end")
    assert counter(at) == "Step 7 of 7"
    # Step 6's messages are folded, and drawn once their expander opens.
    assert not any(code.startswith("GET /api/photos ") for code in codes(at))
    at.session_state["earlier:6"] = True
    at.run()
    assert any(code.startswith("GET /api/photos HTTP/1.1") for code in codes(at))
    assert at.button(key="run_to_end").disabled

    press(at, "reset")
    assert counter(at) == "Step 0 of 7"
    assert at.button(key="back").disabled
    assert not diagram(at)


def test_the_place_survives_reruns_and_a_browser_refresh() -> None:
    at = press(pick(open_app(), PKCE), "next", times=3)
    at.run()
    assert counter(at) == "Step 3 of 7"
    assert at.query_params["lesson"] == PKCE
    assert at.query_params["step"] == "3"

    refreshed = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    refreshed.query_params["lesson"] = PKCE
    refreshed.query_params["step"] = "3"
    refreshed.run()
    assert not refreshed.exception
    assert counter(refreshed) == "Step 3 of 7"


def test_picking_another_lesson_starts_it_at_step_zero() -> None:
    at = press(pick(open_app(), PKCE), "next", times=2)
    pick(at, PKCE)  # a click on the lesson already open keeps the place
    assert counter(at) == "Step 2 of 7"
    pick(at, "01_client_credentials.py")
    assert counter(at).startswith("Step 0 of ")
    assert at.session_state[state.STEP] == 0


def test_a_rerun_without_a_change_does_not_replay() -> None:
    at = press(pick(open_app(), PKCE), "next", times=2)
    memo: LessonMemo = at.session_state[state.LESSON_MEMO]
    runs = memo.runs
    at.run()
    at.run()
    assert memo.runs == runs


# --- weaknesses --------------------------------------------------------------


def test_flipping_a_weakness_replays_the_same_step_with_it() -> None:
    at = press(pick(open_app(), PKCE), "next", times=5)
    memo: LessonMemo = at.session_state[state.LESSON_MEMO]
    runs = memo.runs
    assert "weakness on:" not in texts(at)

    open_switches(at).toggle(key="weakness:as.pkce_optional").set_value(True).run()
    assert not at.exception
    assert at.session_state[state.WEAKNESSES] == ["as.pkce_optional"]
    assert memo.runs == runs + 1
    assert counter(at) == "Step 5 of 7"
    assert ":red-badge[weakness on: as.pkce_optional]" in texts(at)
    assert any(code.startswith("POST /token HTTP/1.1") for code in codes(at))
    latest = next(reversed(memo.replays.values()))
    assert latest.switches == ("as.pkce_optional",)

    at.toggle(key="weakness:as.pkce_optional").set_value(False).run()
    assert at.session_state[state.WEAKNESSES] == []
    assert "weakness on:" not in texts(at)


def test_every_registry_weakness_has_a_toggle_with_its_description() -> None:
    from mock_servers.weaknesses import REGISTRY

    at = open_app()
    assert not [t for t in at.toggle if t.key.startswith("weakness:")]  # folded
    open_switches(at)
    keys = {toggle.key for toggle in at.toggle}
    assert {f"weakness:{w.name}" for w in REGISTRY} | {"defended"} <= keys
    captions = {caption.value for caption in at.caption}
    assert all(w.description in captions for w in REGISTRY)


ATTACK = '''
from playground import Lesson

lesson = Lesson("Skipping PKCE", kind="attack", weakness="as.pkce_optional")


@lesson.step("Look at the switches")
def look(run):
    """The attack needs its weakness."""
    run.check("the weakness is on", "as.pkce_optional" in run.world.weaknesses)
'''


def test_an_attack_lesson_turns_its_weakness_on_unless_defended(
    tmp_path: Path,
) -> None:
    folder = lesson_copy(tmp_path)
    (folder / "attacks" / "skip_pkce.py").write_text(ATTACK)
    at = pick(open_app(folder), "attacks/skip_pkce.py")
    assert "**Attacks**" in texts(at)
    press(at, "next")
    assert ":red-badge[weakness on: as.pkce_optional]" in texts(at)
    assert check_lines(at) == [f"- {PASS_MARK} the weakness is on"]

    open_switches(at).toggle(key="defended").set_value(True).run()
    assert not at.exception
    assert counter(at) == "Step 1 of 1"
    assert "weakness on:" not in texts(at)
    assert check_lines(at) == [f"- {FAIL_MARK} the weakness is on"]


# --- broken lesson files ------------------------------------------------------


def test_a_broken_lesson_file_shows_its_error_and_the_app_keeps_working(
    tmp_path: Path,
) -> None:
    folder = lesson_copy(tmp_path)
    lesson_file = folder / PKCE
    good = lesson_file.read_text()
    at = press(pick(open_app(folder), PKCE), "next", times=3)
    assert counter(at) == "Step 3 of 7"

    broken_line = good.count("\n") + 2
    lesson_file.write_text(good + "\ndef broken(:\n")
    at.run()
    assert not at.exception
    errors = "\n".join(error.value for error in at.error)
    assert "SyntaxError" in errors
    assert str(lesson_file.resolve()) in errors
    assert f"line {broken_line}" in errors
    assert at.session_state[state.STEP] == 3  # the place is kept
    assert any("SyntaxError" in caption.value for caption in at.caption)

    pick(at, "01_client_credentials.py")  # another lesson still runs
    press(at, "next")
    assert counter(at).startswith("Step 1 of ")
    assert not at.error

    pick(at, PKCE)
    assert at.error  # still broken, shown again
    lesson_file.write_text(good)
    at.run()
    assert not at.error
    assert counter(at) == "Step 0 of 7"


def test_fixing_the_file_reloads_it_at_the_same_step(tmp_path: Path) -> None:
    folder = lesson_copy(tmp_path)
    lesson_file = folder / PKCE
    good = lesson_file.read_text()
    at = press(pick(open_app(folder), PKCE), "next", times=4)

    lesson_file.write_text(good.replace("def approve(run):", "def approve(run:"))
    at.run()
    assert at.error and not at.exception
    assert at.session_state[state.STEP] == 4

    lesson_file.write_text(good)
    at.run()
    assert not at.error
    assert counter(at) == "Step 4 of 7"
    assert any(code.startswith("POST /consent") for code in codes(at))


def test_a_step_that_raises_is_shown_with_file_line_and_traceback(
    tmp_path: Path,
) -> None:
    folder = lesson_copy(tmp_path)
    lesson_file = folder / PKCE
    good = lesson_file.read_text()
    at = press(pick(open_app(folder), PKCE), "next", times=3)

    marker = "    run.browser.approve()\n"
    lesson_file.write_text(
        good.replace(marker, '    raise RuntimeError("boom")\n' + marker)
    )
    at.run()
    assert not at.exception
    assert counter(at) == "Step 3 of 7"
    press(at, "next")
    line = good[: good.index(marker)].count("\n") + 1
    errors = "\n".join(error.value for error in at.error)
    assert "RuntimeError: boom" in errors
    assert f"line {line}" in errors and "in step 4" in errors
    assert any("Traceback" in code and "boom" in code for code in codes(at))


def test_a_shorter_lesson_clamps_the_step(tmp_path: Path) -> None:
    folder = lesson_copy(tmp_path)
    lesson_file = folder / PKCE
    good = lesson_file.read_text()
    at = press(pick(open_app(folder), PKCE), "run_to_end")
    assert counter(at) == "Step 7 of 7"

    lesson_file.write_text(good[: good.index('@lesson.step("The app calls')])
    at.run()
    assert not at.exception
    assert counter(at) == "Step 5 of 5"
    assert at.session_state[state.STEP] == 5


# --- sessions -----------------------------------------------------------------


def test_two_sessions_never_share_keys() -> None:
    first = press(pick(open_app(), PKCE), "next", times=5)
    second = press(pick(open_app(), PKCE), "next", times=5)
    first_keys: WorldKeys = first.session_state[state.KEYS]
    second_keys: WorldKeys = second.session_state[state.KEYS]
    assert first_keys.authorization_server.kid != second_keys.authorization_server.kid
    kid = first_keys.authorization_server.kid
    assert kid in texts(first) and kid not in texts(second)


def test_the_lessons_folder_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(LESSONS / PKCE, folder / "only.py")
    monkeypatch.setenv(LESSONS_DIR_ENV, str(folder))
    at = open_app()
    assert [b.key for b in at.button if b.key.startswith("lesson:")] == [
        "lesson:only.py"
    ]
    assert counter(at) == "Step 0 of 7"


# --- the logic under the page, without Streamlit ------------------------------


@pytest.mark.parametrize(
    ("action", "step", "total", "expected"),
    [
        ("next", 0, 6, 1),
        ("next", 6, 6, 6),
        ("back", 3, 6, 2),
        ("back", 0, 6, 0),
        ("run_to_end", 2, 6, 6),
        ("reset", 4, 6, 0),
        ("next", 3, None, 3),  # a broken file keeps the place
        ("reset", 3, None, 0),
    ],
)
def test_step_after(action: str, step: int, total: int | None, expected: int) -> None:
    assert step_after(action, step, total) == expected


def test_buttons_that_would_do_nothing_are_disabled() -> None:
    assert not can("back", 0, 6) and can("back", 1, 6)
    assert not can("next", 6, 6) and can("next", 5, 6)
    assert not can("next", 2, None) and can("reset", 2, None)


def test_picker_groups_follow_teaching_order_with_broken_files_last() -> None:
    entries = [
        LessonEntry(LESSONS / "x.py", error=LessonError("x.py", 3, "SyntaxError")),
        *[
            LessonEntry(path, lesson=load_lesson(path))
            for path in sorted(LESSONS.glob("0[5-8]*.py"))
        ],
    ]
    titles = [title for title, _ in picker_groups(entries)]
    assert titles == ["Deprecated grants", "Advanced", "⚠ Broken lesson files"]


def test_a_new_session_starts_where_the_url_says() -> None:
    entries = [LessonEntry(LESSONS / name) for name in ("01_a.py", PKCE)]
    pkce = str((LESSONS / PKCE).resolve())
    first = str((LESSONS / "01_a.py").resolve())
    place = lesson_picker.place_from_url
    assert place(entries, LESSONS, PKCE, "4") == UrlPlace(pkce, 4)
    assert place(entries, LESSONS, PKCE, "004") == UrlPlace(pkce, 4)
    assert place(entries, LESSONS, None, None) == UrlPlace(first, 0)
    assert place(entries, LESSONS, PKCE, "x") == UrlPlace(
        pkce, 0, ("`?step=` `x` is not a step number: starting at step 0.",)
    )
    assert place(entries, LESSONS, "gone.py", "2") == UrlPlace(
        first,
        0,
        ("There is no lesson `gone.py` in this folder: here is the first one.",),
    )
    assert place([], LESSONS, None, None) is None


@pytest.mark.parametrize(
    ("raw", "step", "problem"),
    [
        ("3", 3, ""),
        ("0", 0, ""),
        ("²", 0, "`²` is not a step number"),
        ("٣", 0, "`٣` is not a step number"),
        ("-1", 0, "`-1` is not a step number"),
        ("", 0, "is empty"),
        ("9" * 5000, lesson_picker.PAST_THE_END, ""),  # never int()-ed
        ("0" * 5000 + "7", 7, ""),
        (
            "`x`\n" * 40,
            0,
            "`'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' …` is not a step number",
        ),
    ],
)
def test_step_from_url_says_what_is_not_a_step(raw: str, step: int, problem: str):
    assert lesson_picker.step_from_url(raw) == (step, problem)


def test_replays_are_cached_per_content_step_and_switches(
    tmp_path: Path, catalog: LessonCatalog
) -> None:
    lesson_file = tmp_path / PKCE
    shutil.copy(LESSONS / PKCE, lesson_file)
    memo, keys = LessonMemo(catalog), WorldKeys.generate()
    first = replay(memo, lesson_file, 2, keys=keys)
    assert replay(memo, lesson_file, 2, keys=keys) is first
    assert memo.runs == 1
    replay(memo, lesson_file, 2, weaknesses=["as.pkce_optional"], keys=keys)
    assert memo.runs == 2
    lesson_file.write_text(lesson_file.read_text() + "\n# edited\n")
    edited = replay(memo, lesson_file, 2, keys=keys)
    assert edited is not first and memo.runs == 3
    assert replay(memo, lesson_file, 99, keys=keys).step == 7


def test_source_view_marks_the_current_steps_lines() -> None:
    html = source_html("a = 1\nb = 2\nc = 3\nd = <4>\n", first=2, last=3, context=1)
    assert html.count("▶") == 2
    assert "&lt;4&gt;" in html  # escaped, never interpreted
    assert ">1</span>a = 1" in html
    error = source_html("x\ny\n", error_line=2)
    assert "✖" in error and "▶" not in error


@pytest.mark.parametrize(
    ("status", "colour"), [(200, "green"), (302, "blue"), (400, "red"), (503, "red")]
)
def test_status_colours(status: int, colour: str) -> None:
    assert status_colour(status) == colour


def test_browser_view_shows_the_address_with_its_fragment() -> None:
    from playground.lesson.runner import run_lesson

    lesson = load_lesson(LESSONS / "05_implicit.py")
    assert browser_panel.browser_view(run_lesson(lesson, until=0).world.browser) is None
    result = run_lesson(lesson, until=4)  # the token sits in the address bar
    view = browser_panel.browser_view(result.world.browser)
    assert view is not None and "#" in view.address
    assert "access_token=" in view.address.split("#", 1)[1]


def test_the_place_and_switches_survive_a_visit_to_another_page() -> None:
    at = press(pick(open_app(), PKCE), "next", times=2)
    open_switches(at).toggle(key="weakness:as.pkce_optional").set_value(True).run()
    at.switch_page("app_pages/glossary.py").run()
    at.switch_page("app_pages/lessons.py").run()
    assert not at.exception
    assert counter(at) == "Step 2 of 7"
    assert at.session_state[state.WEAKNESSES] == ["as.pkce_optional"]
    assert open_switches(at).toggle(key="weakness:as.pkce_optional").value is True


def test_every_lesson_runs_to_the_end_on_the_page() -> None:
    at = open_app()
    names = [
        b.key.removeprefix("lesson:") for b in at.button if b.key.startswith("lesson:")
    ]
    assert PKCE in names
    for name in names:
        press(pick(at, name), "run_to_end")
        assert not at.exception, name
        press(at, "back")  # and every last step replays one back
        assert not at.exception, name


def test_token_exchange_and_personal_token_panels_are_shown() -> None:
    at = press(pick(open_app(), "11_token_exchange.py"), "next", times=2)
    shown = texts(at)
    assert "Token exchange (RFC 8693)" in shown
    assert "`issued_token_type`" in shown and "REQUIRED" in shown
    assert "- `act`: `{'sub': 'photos-api'}`" in shown
    assert "Actor (RFC 8693 4.1)" in shown
    at = press(pick(at, "12_personal_access_tokens.py"), "next", times=2)
    shown = texts(at)
    assert "Personal access tokens" in shown
    assert "(not a JWT)" in shown and "**checksum**" in shown
    assert any(code.startswith("photos_pat_") for code in codes(at))
