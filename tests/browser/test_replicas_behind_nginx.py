"""Two replicas of the UI behind nginx with sticky sessions (deploy/).

Starts two `oauth-playground ui` replicas and nginx on loopback, nginx
configured by deploy/playground.conf itself (only its ports changed), then two
browser sessions in Debian's Chromium. Each works (the PKCE lesson steps
through its websocket), and each stays on its replica: every HTTP answer says
which replica sent it, and nginx's log names the replica of each websocket.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Response, expect

from tests.browser.test_lessons_in_chromium import (
    LESSONS,
    PKCE_FILE,
    ROOT,
    START_TIMEOUT,
    STEP_TIMEOUT_MS,
    VIEWPORT,
    free_port,
    settle,
)

CONF = ROOT / "deploy" / "playground.conf"
COOKIE = "playground_replica"
# nginx's own settings around the deployed file: files in the test's folder.
MAIN = """
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    log_format replicas '$request_uri $cookie_{cookie} $upstream_addr';
    access_log {folder}/access.log replicas;
    include {folder}/playground.conf;
}}
"""


def find_nginx() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if Path(p).is_file()), None
    )


@pytest.fixture
def nginx(
    tmp_path: Path, app_url_for: Callable[..., str]
) -> Iterator[tuple[str, list[str]]]:
    """nginx on a free loopback port before two replicas: (its URL, the
    replicas' host:port)."""
    binary = find_nginx()
    if binary is None:
        pytest.skip("nginx is not installed (apt-get install nginx; CI installs it)")
    replicas = []
    for _ in range(2):
        url = app_url_for(LESSONS)
        replicas.append(url.removeprefix("http://").rstrip("/"))
    port = free_port()
    conf = CONF.read_text()
    conf = conf.replace("listen 8500;", f"listen 127.0.0.1:{port};")
    conf = conf.replace("server 127.0.0.1:8501;", f"server {replicas[0]};")
    conf = conf.replace("server 127.0.0.1:8502;", f"server {replicas[1]};")
    assert all(replica in conf for replica in replicas), "the ports moved in deploy/"
    folder = tmp_path / "nginx"
    folder.mkdir()
    (folder / "playground.conf").write_text(conf)
    (folder / "nginx.conf").write_text(MAIN.format(folder=folder, cookie=COOKIE))
    process = subprocess.Popen(
        [
            binary,
            "-p",
            str(folder),
            "-c",
            str(folder / "nginx.conf"),
            "-g",
            "daemon off;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                errors = (folder / "error.log").read_text()
                pytest.fail(f"nginx exited with {process.returncode}:\n{errors}")
            try:
                if httpx.get(f"{url}_stcore/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("nginx did not answer")
            time.sleep(0.1)
        yield url, replicas
    finally:
        process.terminate()
        process.wait(timeout=15)


def health(url: str, cookie: str | None = None) -> httpx.Response:
    """A request as a browser with (or without) the replica cookie sends it."""
    with httpx.Client(cookies={COOKIE: cookie} if cookie else None) as client:
        return client.get(f"{url}_stcore/health")


def cookie_for_each(url: str, replicas: list[str]) -> dict[str, str]:
    """A cookie value nginx sends to each replica (found by asking it)."""
    found: dict[str, str] = {}
    for number in range(200):
        value = f"learner-{number}"
        answer = health(url, value)
        found.setdefault(answer.headers["x-playground-replica"], value)
        if len(found) == len(replicas):
            return found
    raise AssertionError(f"nginx sent every learner to {sorted(found)}")


def test_two_learners_each_stay_on_their_replica(
    nginx: tuple[str, list[str]], chromium: Browser, tmp_path: Path
) -> None:
    url, replicas = nginx
    # A first visit is given a cookie, and its replica keeps answering.
    first = health(url)
    again = health(url, first.cookies[COOKIE])
    assert first.headers["x-playground-replica"] in replicas
    assert (
        again.headers["x-playground-replica"] == first.headers["x-playground-replica"]
    )

    cookies = cookie_for_each(url, replicas)
    answered: dict[str, set[str]] = {replica: set() for replica in replicas}
    contexts = []
    try:
        for replica in replicas:
            context = chromium.new_context(viewport=VIEWPORT)
            context.add_cookies(
                [{"name": COOKIE, "value": cookies[replica], "url": url}]
            )
            contexts.append(context)
            page = context.new_page()
            page.set_default_timeout(STEP_TIMEOUT_MS)

            def note(response: Response, replica: str = replica) -> None:
                sender = response.headers.get("x-playground-replica")
                if sender:
                    answered[replica].add(sender)

            page.on("response", note)
            page.goto(f"{url}?lesson={PKCE_FILE}&step=0")
            counter = page.get_by_test_id("stMarkdownContainer").locator("strong")
            counter = counter.filter(has_text=re.compile(r"^Step \d+ of \d+$"))
            expect(counter).to_have_text("Step 0 of 7", timeout=STEP_TIMEOUT_MS)
            for step in (1, 2, 3):
                page.get_by_role("button", name="Next", exact=True).click()
                expect(counter).to_have_text(
                    f"Step {step} of 7", timeout=STEP_TIMEOUT_MS
                )
            settle(page)
            expect(page.get_by_test_id("stException")).to_have_count(0)
            expect(page.locator(".st-key-sequence_diagram svg")).to_contain_text(
                "POST /login"
            )
    finally:
        for context in contexts:
            context.close()
    # Every answer each browser got came from its own replica.
    assert answered == {replica: {replica} for replica in replicas}
    # And so did each websocket (nginx logs it when it closes).
    log = tmp_path / "nginx" / "access.log"
    deadline = time.monotonic() + 10
    streams: dict[str, set[str]] = {}
    while time.monotonic() < deadline:
        streams = {}
        for line in log.read_text().splitlines():
            path, cookie, upstream = line.split(" ", 2)
            if path.startswith("/_stcore/stream"):
                streams.setdefault(cookie, set()).add(upstream)
        if len(streams) == len(replicas):
            break
        time.sleep(0.2)
    assert streams == {cookies[replica]: {replica} for replica in replicas}
