"""A single-page app on oauth4webapi, in Debian's Chromium, against `serve`.

The SPA (`js/spa/`) is served from its own loopback origin by a static server
here; its OAuth code is panva's oauth4webapi (pinned in `js/package.json`,
installed by `make test` / `.ci/run` with `npm ci`), loaded as an ES module
from node_modules. `serve` registers the SPA's loopback redirect URI for the
public client `photo-gallery-spa` (`redirect_uris=`, the `--redirect-uri`
option), which also makes its origin one the servers may allow by CORS.

Playwright drives Chromium only where a person would: alice types her
password on the AS's sign-in form and presses Approve. Everything else is the
SPA's own JavaScript: discovery, PKCE, state and nonce, the token request,
the id_token (claims and signature, against the JWKS), userinfo, the photos
API, refresh with rotation, a replayed refresh token, revocation. Every
request crosses from the SPA's origin to the servers', so CORS is exercised
as a real browser enforces it. The SPA writes down each step's outcome; the
test fails with every failed step, the library's error and the console.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from .served import Served, served

JS = Path(__file__).resolve().parent / "js"
LIBRARY = JS / "node_modules" / "oauth4webapi" / "build" / "index.js"
SPA_CLIENT = "photo-gallery-spa"
SCOPE = "openid profile photos.read offline_access"

CHROMIUM_NAMES = ("chromium", "/usr/bin/chromium", "chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
STEP_TIMEOUT_MS = 10_000  # one navigation or one wait; loopback answers in ms

EXPECTED_STEPS = [
    "discovery",
    "authorization request",
    "discovery",
    "authorization response",
    "token request",
    "id_token",
    "userinfo",
    "photos API",
    "refresh",
    "old refresh token refused",
    "second authorization request",
    "grant 2: discovery",
    "grant 2: authorization response",
    "grant 2: token request",
    "revocation",
    "revoked refresh token refused",
    "its access token refused",
]


@dataclass
class SpaSite:
    """The SPA's origin: its page, its script, the library and its settings."""

    origin: str = ""
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)

    @property
    def redirect_uri(self) -> str:
        return f"{self.origin}/callback"

    def configure(self, servers: Served) -> None:
        settings = {
            "issuer": servers.issuer,
            "api": servers.api,
            "client_id": SPA_CLIENT,
            "redirect_uri": self.redirect_uri,
            "scope": SCOPE,
        }
        self.files["/config.json"] = (json.dumps(settings).encode(), "application/json")


def _handler(site: SpaSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = site.files.get(urlsplit(self.path).path)
            if found is None:
                self.send_error(404)
                return
            body, content_type = found
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the SPA's steps say what happened

    return Handler


@pytest.fixture
def spa_site() -> Iterator[SpaSite]:
    assert LIBRARY.is_file(), (
        f"{LIBRARY} is missing: `make test` installs it (npm ci in {JS})"
    )
    page = (JS / "spa" / "index.html").read_bytes()
    site = SpaSite()
    site.files.update(
        {
            "/": (page, "text/html; charset=utf-8"),
            "/callback": (page, "text/html; charset=utf-8"),
            "/app.js": ((JS / "spa" / "app.js").read_bytes(), "text/javascript"),
            "/vendor/oauth4webapi.js": (LIBRARY.read_bytes(), "text/javascript"),
        }
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.origin = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="spa origin", daemon=True
    )
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def chromium() -> Iterator[Browser]:
    executable = next(
        (found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None
    )
    if executable is None:
        pytest.skip("no Chromium found: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


def sign_in_and_approve(page: Page) -> None:
    """What alice does at the AS, if the SPA got her there at all."""
    page.wait_for_selector("#login-form, body[data-done='true']")
    if page.locator("#login-form").count() == 0:
        return  # the SPA stopped before redirecting: its steps say why
    page.fill("#login-form input[name=username]", "alice")
    page.fill("#login-form input[name=password]", "wonderland")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#consent-form, body[data-done='true']")
    if page.locator("#consent-form").count():
        page.click("#consent-form button[value=approve]")


def test_spa_signs_in_calls_the_api_refreshes_and_revokes(
    spa_site: SpaSite, chromium: Browser
) -> None:
    redirect = ((SPA_CLIENT, spa_site.redirect_uri),)
    with served(redirect_uris=redirect) as servers:
        spa_site.configure(servers)
        context = chromium.new_context()
        try:
            page = context.new_page()
            page.set_default_timeout(STEP_TIMEOUT_MS)
            page.set_default_navigation_timeout(STEP_TIMEOUT_MS)
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            page.on("pageerror", lambda error: console.append(f"page error: {error}"))
            page.goto(f"{spa_site.origin}/")
            sign_in_and_approve(page)
            # The second grant: served over plain http on a loopback port,
            # the SPA's redirect proves nothing of who asks (RFC 8252 8.6),
            # so the remembered approval is not reused: alice approves again.
            page.wait_for_url(lambda url: url.startswith(spa_site.origin))
            page.wait_for_selector("#consent-form, body[data-done='true']")
            if page.locator("#consent-form").count():
                page.click("#consent-form button[value=approve]")
            page.wait_for_selector("body[data-done='true']")
            assert page.url.startswith(spa_site.redirect_uri) or page.url.startswith(
                spa_site.origin
            )
            steps = json.loads(page.text_content("#result") or "[]")
        finally:
            context.close()

    report = "\n".join(
        f"  {'ok  ' if step['ok'] else 'FAIL'} {step['name']}: "
        + json.dumps(step.get("error") or step.get("skipped") or step.get("detail"))
        for step in steps
    )
    failed = [step["name"] for step in steps if not step["ok"]]
    assert not failed and [step["name"] for step in steps] == EXPECTED_STEPS, (
        f"SPA steps:\n{report}\nbrowser console:\n  " + "\n  ".join(console)
    )
