"""The Lessons page for a class: presenter mode and links, the handout button,
the per-process key pool, diagram cache and lesson watcher.

AppTest for the page (it never renders: tests/browser judges what a learner
sees), plain tests for the parts under it.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mock_servers.weaknesses import REGISTRY
from playground.lesson.runner import LESSONS_DIR_ENV
from playground.ui import lesson_handout, lesson_picker, state
from playground.ui.diagram_svg import DiagramRenderer
from playground.ui.key_pool import KeyPool
from playground.ui.lesson_watch import LessonWatcher
from playground.views.sequence_diagram import has_graphviz_binary
from playground.world import WorldKeys

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "playground" / "ui" / "app.py"
LESSONS = ROOT / "lessons"
PKCE = "03_authorization_code_pkce.py"
TIMEOUT = 30


@pytest.fixture(autouse=True)
def _default_lessons(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LESSONS_DIR_ENV, raising=False)


def open_url(**query: str) -> AppTest:
    """A new session opened on a link."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception
    return at


def texts(at: AppTest) -> str:
    return "\n".join(markdown.value for markdown in at.markdown)


# --- presenter mode and links --------------------------------------------------


def test_a_link_brings_the_class_to_the_step_switches_and_mode() -> None:
    at = open_url(lesson=PKCE, step="5", weak="as.pkce_optional", mode="present")
    assert "**Step 5 of 7**" in texts(at)
    assert at.session_state[state.WEAKNESSES] == ["as.pkce_optional"]
    assert ":red-badge[weakness on: as.pkce_optional]" in texts(at)
    assert at.toggle(key=state.PRESENTING).value is True
    assert any("font-size: 1.3rem" in html.value for html in at.get("html"))
    # The URL keeps all of it, and so does the link shown for the class.
    assert at.query_params["lesson"] == PKCE and at.query_params["step"] == "5"
    assert at.query_params["weak"] == "as.pkce_optional"
    assert at.query_params["mode"] == "present"
    link = next(code.value for code in at.code if "?lesson=" in code.value)
    assert link.endswith(f"?lesson={PKCE}&step=5&weak=as.pkce_optional&mode=present")

    at.button(key="next").click().run()
    assert at.query_params["step"] == "6"
    assert at.query_params["weak"] == "as.pkce_optional"
    assert at.query_params["mode"] == "present"


def test_presenter_mode_puts_the_story_messages_and_diagram_first() -> None:
    at = open_url(lesson=PKCE, step="5", mode="present")
    headings = [m.value for m in at.markdown if m.value.startswith("#### ")]
    order = [h.split(":", 2)[-1].strip() for h in headings]
    assert order.index("HTTP messages of this step") < order.index(
        "The sequence so far"
    )
    assert "The lesson's code" not in order  # folded, drawn once opened
    assert not any("▶" in html.value for html in at.get("html"))
    # The weakness switches: one click away, above the lesson, not drawn yet.
    assert not [t for t in at.toggle if t.key.startswith("weakness:")]
    at.session_state[state.WEAKNESS_PANEL] = True
    at.run()
    keys = {toggle.key for toggle in at.toggle}
    assert {state.weakness_key(w.name) for w in REGISTRY} <= keys


def test_leaving_presenter_mode_drops_it_from_the_url() -> None:
    at = open_url(lesson=PKCE, step="2", mode="present")
    at.toggle(key=state.PRESENTING).set_value(False).run()
    assert not at.exception
    assert "mode" not in at.query_params
    assert at.query_params["step"] == "2"
    assert not any("font-size: 1.3rem" in html.value for html in at.get("html"))


def test_a_link_naming_an_unknown_weakness_says_so() -> None:
    at = open_url(lesson=PKCE, weak="as.pkce_optional,as.no_such_thing")
    assert at.session_state[state.WEAKNESSES] == ["as.pkce_optional"]
    warnings = "\n".join(w.value for w in at.warning)
    assert "There is no weakness `as.no_such_thing`: it is left off." in warnings


def test_url_place_leaves_defaults_out_and_update_url_writes_only_changes() -> None:
    assert lesson_picker.url_place("a.py", 0) == {"lesson": "a.py", "step": "0"}
    wanted = lesson_picker.url_place(
        "a.py", 3, weaknesses=["x", "y"], defended=True, presenting=True
    )
    assert wanted == {
        "lesson": "a.py",
        "step": "3",
        "weak": "x,y",
        "defended": "1",
        "mode": "present",
    }

    class Recording(dict):
        writes: list[str]

        def __setitem__(self, key: str, value: str) -> None:
            self.writes.append(key)
            super().__setitem__(key, value)

    params = Recording(lesson="a.py", step="2", mode="present", other="kept")
    params.writes = []
    lesson_picker.update_url(params, lesson_picker.url_place("a.py", 3))
    assert params.writes == ["step"]
    assert params == {"lesson": "a.py", "step": "3", "other": "kept"}
    assert lesson_picker.link_query(wanted) == (
        "?lesson=a.py&step=3&weak=x,y&defended=1&mode=present"
    )


# --- the handout button ----------------------------------------------------------


def test_the_handout_button_is_on_the_page_and_makes_nothing_until_clicked() -> None:
    at = open_url(lesson=PKCE, step="3")
    memo = at.session_state[state.LESSON_MEMO]
    runs = memo.runs
    buttons = at.get("download_button")
    assert len(buttons) == 1
    assert buttons[0].proto.label == "Handout (HTML)"
    assert memo.runs == runs  # the page itself did not walk the lesson


def test_the_handout_has_every_step_with_the_sessions_tokens() -> None:
    at = open_url(lesson=PKCE, weak="as.pkce_optional")
    memo = at.session_state[state.LESSON_MEMO]
    keys: WorldKeys = at.session_state[state.KEYS]
    page = lesson_handout.build(
        memo,
        (LESSONS / PKCE).resolve(),
        weaknesses=["as.pkce_optional"],
        defended=False,
        keys=keys,
        renderer=DiagramRenderer(),
    )
    assert page.startswith("<!doctype html>")
    for number in range(1, 8):
        assert f'id="step-{number}"' in page
    assert "weakness on: as.pkce_optional" in page
    assert "POST /token HTTP/1.1" in page
    assert keys.authorization_server.kid in page  # the page's own tokens
    assert ("<svg" in page) == has_graphviz_binary()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # offline
    # The walk's own run in the workers is let go.
    assert f"{memo.session}:handout" not in {
        session for stats in memo.catalog.pool.stats() for session in stats.runs
    }


def test_handout_file_names_say_which_run() -> None:
    path = Path("lessons/attacks/x.py")
    assert lesson_handout.file_name(path, (), defended=False) == "x.html"
    assert (
        lesson_handout.file_name(path, ("as.pkce_optional",), defended=True)
        == "x-as.pkce_optional-defended.html"
    )


# --- per-process helpers -----------------------------------------------------


def test_the_key_pool_hands_each_key_set_out_once() -> None:
    made = []

    def make() -> WorldKeys:
        keys = WorldKeys.generate()
        made.append(keys)
        return keys

    pool = KeyPool(ready=2, make=make, refill_delay=0)
    try:
        deadline = time.monotonic() + 30
        while pool.held() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pool.held() == 2
        taken = [pool.take() for _ in range(5)]  # more than were ready
        kids = {keys.authorization_server.kid for keys in taken}
        assert len(kids) == 5  # never the same set twice
        assert pool.made_on_demand >= 1
    finally:
        pool.close()


def test_each_distinct_diagram_is_laid_out_once() -> None:
    if not has_graphviz_binary():
        pytest.skip("no Graphviz binary: apt-get install graphviz")
    renderer = DiagramRenderer()
    dot = 'digraph { layout=neato; a [pos="0,0!"]; b [pos="100,0!"]; a -> b }'
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(renderer.svg(dot)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert renderer.rendered == 1
    assert len(set(results)) == 1
    svg = results[0]
    assert svg is not None and svg.startswith("<svg") and "<!--" not in svg
    assert "max-width:100%" in svg
    assert renderer.svg(dot.replace("100", "200")) != svg
    assert renderer.rendered == 2


def test_one_watcher_reruns_the_sessions_that_show_a_changed_folder(
    tmp_path: Path,
) -> None:
    shown, other = tmp_path / "lessons", tmp_path / "others"
    shown.mkdir()
    other.mkdir()
    (shown / "a.py").write_text("x = 1\n")
    asked: list[list[str]] = []

    def rerun(ids: Iterable[str]) -> list[str]:
        ids = sorted(ids)
        asked.append(ids)
        return [i for i in ids if i == "gone"]

    watcher = LessonWatcher(rerun, period=3600)  # the test looks by hand
    try:
        watcher.watch("s1", shown)
        watcher.watch("s2", shown)
        watcher.watch("gone", shown)
        watcher.watch("s3", other)
        assert watcher.check() == []  # nothing changed: nobody is bothered
        (shown / "a.py").write_text("x = 2  # saved in an editor\n")
        assert sorted(watcher.check()) == ["gone", "s1", "s2"]
        assert asked == [["gone", "s1", "s2"]]
        assert watcher.watching() == 3  # a closed session is forgotten
        (shown / "b.py").write_text("")  # a new lesson file
        assert sorted(watcher.check()) == ["s1", "s2"]
        assert watcher.check() == []
    finally:
        watcher.close()


def test_a_closed_tab_is_let_go_after_it_has_lingered(tmp_path: Path) -> None:
    class Memo:
        released = 0

        def release(self) -> None:
            self.released += 1

    active = {"open": True, "closed": True}
    flushed = []
    watcher = LessonWatcher(
        lambda ids: [],
        period=3600,
        is_active=lambda session_id: active[session_id],
        linger=60,
        on_released=lambda: flushed.append(True),
    )
    try:
        kept, gone = Memo(), Memo()
        watcher.watch("open", tmp_path, kept)
        watcher.watch("closed", tmp_path, gone)
        active["closed"] = False  # its websocket closed: it may still come back
        assert watcher.sweep(now=1000) == []
        assert watcher.sweep(now=1059) == [] and gone.released == 0
        assert watcher.sweep(now=1060) == ["closed"]
        assert (gone.released, kept.released) == (1, 0)
        assert flushed == [True]  # the workers are told once per sweep
        assert watcher.watching() == 1
        assert watcher.sweep(now=2000) == [] and flushed == [True]
    finally:
        watcher.close()


def test_asking_the_workers_what_they_hold_leaves_them_free() -> None:
    """The sweeper asks every idle worker (delivering forgotten sessions);
    the workers must serve the next click afterwards, not wait forever."""
    from concurrent.futures import ThreadPoolExecutor

    from playground.lesson.catalog import read_source
    from playground.lesson.pool import LessonPool

    source = read_source(LESSONS / PKCE)
    with LessonPool(size=1) as pool, ThreadPoolExecutor(1) as thread:
        assert len(pool.stats()) == 1
        assert len(pool.stats()) == 1
        outline = thread.submit(pool.outline, source).result(timeout=60)
        assert outline.title.startswith("Authorization code with PKCE")


def test_step_zero_shows_the_terminal_command_as_the_pages_first_code_block() -> None:
    """The first code block is drawn before Next, so a new tab fetches the
    highlighter while the learner reads (bench/ui_browser_latency.py)."""
    at = open_url(lesson=PKCE, step="0")
    commands = [block.value for block in at.code]
    assert len(commands) == 1
    assert commands[0].startswith("oauth-playground run ")
    assert commands[0].endswith(f"lessons/{PKCE}")
