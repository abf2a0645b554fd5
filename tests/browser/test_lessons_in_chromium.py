"""The Lessons page in a real browser: Debian's Chromium driven by Playwright.

The app is started with the real command line (`python -m playground ui`) on a
free loopback port; the test picks the PKCE lesson in the sidebar, presses
**Next** to the end and looks for what a learner must see: the raw HTTP of the
token request, the decoded access token and the sequence diagram.

Screenshots go to `$PLAYGROUND_SCREENSHOTS` (default: the test's tmp_path);
`lessons-page.png` is the README's picture. Playwright never downloads a
browser here: it drives the system's Chromium through `executable_path`.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ROOT / "lessons"
PKCE_TITLE = "Authorization code with PKCE (single-page app)"
PKCE_FILE = "03_authorization_code_pkce.py"
STEPS = 7

CHROMIUM_NAMES = ("chromium", "/usr/bin/chromium", "chromium-browser", "google-chrome")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1600, "height": 1000}
START_TIMEOUT = 60.0  # seconds until /_stcore/health answers, on a slow CI box
STOP_TIMEOUT = 15.0  # seconds Streamlit gets after Ctrl-C, then after SIGTERM
STEP_TIMEOUT_MS = 30_000  # one rerun (click, replay, render) on a 2-core machine
MAX_SHOT_HEIGHT = 16_000  # pixels; a full-page screenshot is cut below this

# Streamlit marks the app while a script runs and greys out elements from the
# previous run until the new run replaces them: settled = neither.
SETTLED = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app !== null
        && app.dataset.testScriptState === 'notRunning'
        && document.querySelector('[data-stale="true"]') === null;
}"""
CONTENT_HEIGHT = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    return Math.max(main ? main.scrollHeight : 0,
                    document.documentElement.scrollHeight);
}"""
TWO_FRAMES = """() => new Promise(done =>
    requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"""


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C as in a terminal (the whole group), then SIGTERM, then kill."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=STOP_TIMEOUT)
        return
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    process.terminate()  # `ui` passes SIGTERM on to Streamlit
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


def wait_until_healthy(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"`ui` exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}_stcore/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(
        f"no answer from {url}_stcore/health in {START_TIMEOUT:.0f} s:\n"
        f"{log.read_text()}"
    )


@pytest.fixture
def chromium() -> Iterator[Browser]:
    executable = find_chromium()
    if executable is None:
        pytest.skip("no Chromium found: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, timeout=60_000
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def app_url_for(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Starts `oauth-playground ui` on a lessons folder and a free loopback
    port (or the one given); every one started is stopped afterwards."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(lessons: Path = LESSONS, port: int | None = None) -> str:
        port = port or free_port()
        log = tmp_path / f"ui-{port}.log"
        command = [sys.executable, "-m", "playground", "ui", "--port", str(port)]
        command += ["--lessons", str(lessons)]
        with log.open("wb") as output:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C goes to the group, as in a terminal
            )
        processes.append(process)
        url = f"http://127.0.0.1:{port}/"
        wait_until_healthy(process, url, log)
        return url

    try:
        yield start
    finally:
        for process in processes:
            stop(process)


@pytest.fixture
def app_url(app_url_for: Callable[..., str]) -> str:
    """`oauth-playground ui` on a free loopback port, stopped afterwards."""
    return app_url_for(LESSONS)


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("PLAYGROUND_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def settle(page: Page) -> None:
    """Wait (bounded) until Streamlit's rerun is over and nothing is stale."""
    page.wait_for_function(SETTLED, timeout=STEP_TIMEOUT_MS)


def content_height(page: Page) -> int:
    """The page's height once it stops changing (an expander still opening)."""
    deadline = time.monotonic() + 5
    height = page.evaluate(CONTENT_HEIGHT)
    while time.monotonic() < deadline:
        page.evaluate(TWO_FRAMES)
        now = page.evaluate(CONTENT_HEIGHT)
        if now == height:
            break
        height = now
    return height


def save_full_page(page: Page, path: Path) -> Path:
    """The whole page: Streamlit scrolls inside `stMain`, so the window is
    made as tall as the content for the picture, then put back."""
    height = min(max(content_height(page), VIEWPORT["height"]), MAX_SHOT_HEIGHT)
    page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
    try:
        page.evaluate(TWO_FRAMES)
        page.screenshot(path=path, full_page=True)
    finally:
        page.set_viewport_size(VIEWPORT)
    print(f"screenshot: {path}")
    return path


def save_readme_view(page: Page, path: Path) -> Path:
    """One window's worth: the diagram's current step above the raw HTTP and
    the decoded token, scrolled as a learner would."""
    heading = page.get_by_role("heading", name="HTTP messages of this step")
    top = heading.bounding_box()
    assert top is not None
    page.evaluate(
        """(offset) => {
            document.querySelector('[data-testid="stMain"]').scrollTop += offset;
        }""",
        top["y"] - 0.52 * VIEWPORT["height"],
    )
    page.evaluate(TWO_FRAMES)
    page.screenshot(path=path)
    print(f"screenshot: {path}")
    return path


def test_pkce_lesson_in_chromium(
    app_url: str, chromium: Browser, screenshots: Path
) -> None:
    context = chromium.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        page.goto(app_url, wait_until="domcontentloaded")

        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_role("button", name=PKCE_TITLE, exact=True).click()
        expect(page.get_by_role("heading", name=PKCE_TITLE)).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        counter = page.get_by_test_id("stMarkdownContainer").locator("strong")
        counter = counter.filter(has_text=re.compile(r"^Step \d+ of \d+$"))
        expect(counter).to_have_text(f"Step 0 of {STEPS}", timeout=STEP_TIMEOUT_MS)
        expect(page).to_have_url(re.compile(re.escape(f"lesson={PKCE_FILE}")))
        settle(page)
        save_full_page(page, screenshots / "pkce-step-0.png")

        next_button = page.get_by_role("button", name="Next", exact=True)
        for step in range(1, STEPS + 1):
            next_button.click()
            expect(counter).to_have_text(
                f"Step {step} of {STEPS}", timeout=STEP_TIMEOUT_MS
            )
            settle(page)
            expect(page.get_by_test_id("stException")).to_have_count(0)
            if step == 5:  # the token request: raw HTTP, a JWT, the diagram
                see_the_token_step(page)
                save_full_page(page, screenshots / "pkce-step-5.png")
                save_readme_view(page, screenshots / "lessons-page.png")
            if step == 6:  # the API call, after the browser's CORS preflight
                for line in (
                    "OPTIONS /api/photos HTTP/1.1",
                    "GET /api/photos HTTP/1.1",
                ):
                    raw = page.get_by_test_id("stCode").filter(has_text=line)
                    expect(raw.first).to_be_visible()

        expect(next_button).to_be_disabled()
        expect(page).to_have_url(re.compile(rf"[?&]step={STEPS}\b"))
        diagram = page.locator(".st-key-sequence_diagram svg").first
        expect(diagram).to_contain_text("Resource Server")
        expect(diagram).to_contain_text("OPTIONS /api/photos")
        expect(diagram).to_contain_text("GET /api/photos")

        # Step 5's messages are folded under "Earlier steps", a click away.
        earlier = page.get_by_test_id("stExpander").filter(has_text="Step 5:")
        earlier.locator("summary").click()
        folded = earlier.get_by_test_id("stCode").filter(has_text="POST /token")
        expect(folded.first).to_be_visible()
        expect(folded.first).to_contain_text("POST /token HTTP/1.1")
        expect(page.get_by_test_id("stException")).to_have_count(0)
        save_full_page(page, screenshots / f"pkce-step-{STEPS}.png")
    finally:
        context.close()


def see_the_token_step(page: Page) -> None:
    raw = page.get_by_test_id("stCode").filter(has_text="POST /token HTTP/1.1")
    expect(raw.first).to_be_visible()
    expect(raw.first).to_contain_text("HTTP/1.1 200 OK")
    expect(raw.first).to_contain_text("code_verifier=")

    claims = page.get_by_test_id("stMarkdownContainer").locator("li")
    audience = claims.filter(has_text=re.compile(r"aud\W+https://api\.photos\.test"))
    expect(audience.first).to_be_visible()
    token_type = page.locator("code").filter(has_text=re.compile(r"^at\+jwt$"))
    expect(token_type.first).to_be_visible()  # the JWT header's `typ`
    expect(page.get_by_text("Signature: valid", exact=False).first).to_be_visible()

    diagram = page.locator(".st-key-sequence_diagram svg").first
    expect(diagram).to_be_visible()
    expect(diagram).to_contain_text("Authorization Server")
    expect(diagram).to_contain_text("POST /token")
