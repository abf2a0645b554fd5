"""The classroom in a real browser: the handout opened offline and printed,
presenter mode on a projector-sized window, the class's link, and a lesson
saved in an editor reaching an open page without a click.

Debian's Chromium driven by Playwright, as in test_lessons_in_chromium.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.browser.test_lessons_in_chromium import (
    LESSONS,
    PKCE_FILE,
    PKCE_TITLE,
    ROOT,
    STEP_TIMEOUT_MS,
    VIEWPORT,
    settle,
)

PROJECTOR = {"width": 1280, "height": 720}
STEPS = 7


def offline_page(chromium: Browser, seen: list[str]) -> Page:
    """A page with no network: anything but a file:// or data: URL is refused
    (and remembered, so the test can say what the handout tried to fetch)."""
    context = chromium.new_context(viewport=VIEWPORT, offline=True)

    def guard(route: Route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            seen.append(url)
            route.abort()

    context.route("**/*", guard)
    return context.new_page()


def see_step(page: Page, step: int) -> None:
    """Wait (bounded) until the counter says `step` and the rerun is over."""
    counter = page.get_by_test_id("stMarkdownContainer").locator("strong")
    counter = counter.filter(has_text=re.compile(r"^Step \d+ of \d+$"))
    expect(counter).to_have_text(f"Step {step} of {STEPS}", timeout=STEP_TIMEOUT_MS)
    settle(page)


def check_handout(page: Page, weakness: str | None = None) -> None:
    expect(page.locator("h1")).to_have_text(PKCE_TITLE)
    expect(page.locator("section.step")).to_have_count(STEPS)
    token_step = page.locator("#step-5")
    expect(token_step.locator("h2")).to_contain_text("Step 5:")
    expect(token_step.locator("strong").first).to_be_visible()  # Markdown, rendered
    raw = token_step.locator("pre").filter(has_text="POST /token HTTP/1.1")
    expect(raw).to_contain_text("code_verifier=")
    expect(raw).to_contain_text("HTTP/1.1 200 OK")
    expect(token_step.locator(".badge.back").first).to_have_text(
        "back channel, a page's script"
    )
    expect(page.locator("#step-2 .badge.front").first).to_have_text("front channel")
    expect(token_step.get_by_text("Signature: valid")).to_be_visible()
    claims = token_step.locator(".card li").filter(has_text=re.compile(r"^aud:"))
    expect(claims.first).to_contain_text("https://api.photos.test")
    expect(page.locator("#step-1 table.pkce")).to_contain_text(
        "BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))"
    )
    expect(page.locator(".checks .pass").first).to_be_visible()
    expect(page.get_by_role("heading", name="Server events").first).to_be_visible()
    diagram = page.locator("section.diagram svg")
    expect(diagram).to_contain_text("Authorization Server")
    expect(diagram).to_contain_text("POST /token")
    if weakness:
        expect(page.locator(".badge.red").first).to_have_text(
            f"weakness on: {weakness}"
        )


def test_the_handout_opens_offline_and_prints(
    chromium: Browser, tmp_path: Path, screenshots: Path
) -> None:
    if shutil.which("neato") is None:
        pytest.skip("no Graphviz: apt-get install graphviz")
    handout = tmp_path / "pkce.html"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "playground", "run", str(LESSONS / PKCE_FILE)),
            *("--weakness", "as.pkce_optional", "--html", str(handout)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert handout.is_file(), done.stderr
    seen: list[str] = []
    page = offline_page(chromium, seen)
    try:
        page.goto(handout.as_uri())
        check_handout(page, "as.pkce_optional")
        page.emulate_media(media="print")
        check_handout(page, "as.pkce_optional")
        pdf = screenshots / "pkce-handout.pdf"
        page.pdf(path=pdf, format="A4", print_background=True)
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF")
        pages = len(re.findall(rb"/Type\s*/Page\b", data))
        assert pages > STEPS  # each step starts a page, the diagram before them
        assert seen == []  # nothing was fetched from anywhere
    finally:
        page.context.close()


def test_the_handout_button_downloads_the_sessions_lesson(
    app_url: str, chromium: Browser, tmp_path: Path
) -> None:
    context = chromium.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        page.goto(f"{app_url}?lesson={PKCE_FILE}&step=5&weak=as.pkce_optional")
        see_step(page, 5)
        settle(page)
        # The token panel shows the session's key id; the handout has the same.
        kid = page.locator("code").filter(has_text=re.compile(r"^[\w-]{43}$")).first
        shown_kid = kid.inner_text()
        with page.expect_download() as download:
            page.get_by_role("button", name="Handout (HTML)").click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.name == "03_authorization_code_pkce-as.pkce_optional.html"
        assert shown_kid in saved.read_text()
        seen: list[str] = []
        offline = offline_page(chromium, seen)
        try:
            offline.goto(saved.as_uri())
            check_handout(offline, "as.pkce_optional")
            assert seen == []
        finally:
            offline.context.close()
    finally:
        context.close()


def test_presenter_mode_on_a_projector(
    app_url: str, chromium: Browser, screenshots: Path
) -> None:
    link = f"{app_url}?lesson={PKCE_FILE}&step=5&weak=as.pkce_optional&mode=present"
    context = chromium.new_context(viewport=PROJECTOR)
    try:
        page = context.new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        page.goto(link)
        see_step(page, 5)
        settle(page)
        # No developer tooling for the class: no Deploy button, no main menu.
        expect(page.get_by_test_id("stAppDeployButton")).to_have_count(0)
        expect(page.get_by_test_id("stMainMenu")).to_have_count(0)
        # Large type: the step's story reads from the back of the room.
        story = page.get_by_text("Now the app's script calls the", exact=False).first
        size = story.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 20, size
        # The story, then the messages, then the diagram; the code folded.
        messages = page.get_by_role("heading", name="HTTP messages of this step")
        diagram = page.get_by_role("heading", name="The sequence so far")
        messages_box, diagram_box = messages.bounding_box(), diagram.bounding_box()
        assert messages_box and diagram_box and messages_box["y"] < diagram_box["y"]
        expect(page.locator(".st-key-sequence_diagram svg")).to_contain_text(
            "POST /token"
        )
        code = page.get_by_test_id("stExpander").filter(has_text="The lesson's code")
        expect(code).to_be_visible()
        expect(code.get_by_text("▶")).to_have_count(0)  # folded, not drawn
        expect(page.get_by_text(":red-badge", exact=False)).to_have_count(0)
        expect(page.get_by_text("weakness on: as.pkce_optional")).to_be_visible()
        save_view(page, screenshots / "presenter-mode.png")
        # The weakness switches: one click away.
        page.get_by_role("button", name="Instructor: weaknesses").click()
        switch = page.get_by_test_id("stPopoverBody").get_by_role(
            "switch", name="as.pkce_optional"
        )
        expect(switch).to_be_checked()
        page.keyboard.press("Escape")

        page.get_by_role("button", name="Next", exact=True).click()
        see_step(page, 6)
        settle(page)
        expect(page).to_have_url(re.compile(r"[?&]step=6\b"))
        expect(page).to_have_url(re.compile(r"[?&]mode=present\b"))
        expect(page).to_have_url(re.compile(r"[?&]weak=as\.pkce_optional\b"))

        # The link for the class brings a new session to the same place.
        page.get_by_test_id("stExpander").filter(
            has_text="Send the class here"
        ).locator("summary").click()
        shared = page.get_by_test_id("stCode").filter(has_text="?lesson=")
        url = shared.first.inner_text().strip()
        assert url.startswith(app_url) and "step=6" in url
        student = context.new_page()
        student.goto(url)
        see_step(student, 6)
        expect(student.get_by_text("weakness on: as.pkce_optional")).to_be_visible()
        expect(student.get_by_test_id("stException")).to_have_count(0)
    finally:
        context.close()


def save_view(page: Page, path: Path) -> None:
    page.screenshot(path=path)
    print(f"screenshot: {path}")


def test_a_saved_lesson_reaches_an_open_page_without_a_click(
    chromium: Browser, tmp_path: Path, app_url_for: Callable[..., str]
) -> None:
    folder = tmp_path / "lessons"
    shutil.copytree(LESSONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    url = app_url_for(folder)
    context = chromium.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        page.goto(f"{url}?lesson={PKCE_FILE}&step=2")
        see_step(page, 2)
        settle(page)
        lesson = folder / PKCE_FILE
        lesson.write_text(
            lesson.read_text().replace(
                "The browser goes to the authorization server",
                "The browser visits the authorization server",
            )
        )
        expect(
            page.get_by_text("The browser visits the authorization server").first
        ).to_be_visible()
        see_step(page, 2)
    finally:
        context.close()
