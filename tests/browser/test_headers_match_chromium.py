"""The browser model sends the headers Chromium sends.

The same small site is visited twice: by the playground's `Browser` over the
virtual network, and by Debian's Chromium (driven by Playwright) over
loopback. The site records every request; for each one the test compares
what the playground teaches from: Fetch Metadata (`Sec-Fetch-Site`, `-Mode`,
`-User`, `-Dest`), `Referer`, `Origin`, `Accept` and a preflight's
`Access-Control-Request-*`. Two sites: `127.0.0.1` and `127.0.0.2`, each its
own site, as `photoprint.test` and `auth.photos.test` are.

What each visit does: a typed address; a click on a link whose answer
redirects to the other site; a form a person submits, answered 303; a
script navigation as a page loads (no person: no `Sec-Fetch-User`); a
`fetch()` with an `Authorization` header (a preflight); an image; a
cross-site frame and a click inside it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from playground.actors.browser import Browser
from playground.wire.exchange import Party
from playground.wire.network import Host, Network
from playground.wire.transcript import Transcript
from tests.browser.test_lessons_in_chromium import CHROMIUM_ARGS, find_chromium

COMPARED = (
    "sec-fetch-site",
    "sec-fetch-mode",
    "sec-fetch-user",
    "sec-fetch-dest",
    "referer",
    "origin",
    "accept",
    "access-control-request-method",
    "access-control-request-headers",
)
# This Chromium build also lists JPEG XL; the model sends Chrome's long-standing
# Accept values, which do not.
JXL = "image/jxl,"
WAIT_MS = 400


Record = tuple[str, str, str, dict[str, str]]


def site_app(records: list[Record], places: dict[str, str]) -> Callable[..., Any]:
    """One WSGI app for both sites; `places` says where each one is."""

    @Request.application
    def app(request: Request) -> Response:
        if request.path != "/favicon.ico":
            headers = {
                name: request.headers[name].replace(JXL, "")
                for name in COMPARED
                if name in request.headers
            }
            # The model's hosts are its own; compare the path and which site.
            site = "a" if request.host == places["a_host"] else "b"
            records.append((site, request.method, request.path, headers))
        other = places["b"]
        pages = {
            "/home": '<a id="go" href="/login">Sign in</a>'
            '<form id="f" method="post" action="/post">'
            '<input name="x" value="1"><button id="send">Send</button></form>',
            "/authorize": "<p>the other site</p>",
            "/done": "<p>done</p>",
            "/scripted": "<script>location.href = '/done'</script>",
            "/imgpage": f'<img src="{other}/pixel.gif" alt="">',
            "/framer": f'<iframe id="fr" src="{other}/framed"></iframe>',
            "/framed": '<form id="inner" method="post" action="/inner">'
            '<button id="press">Press</button></form>',
            "/inner": "<p>pressed</p>",
        }
        if request.path == "/login":
            return Response("", 302, {"Location": f"{other}/authorize"})
        if request.path == "/post":
            return Response("", 303, {"Location": "/done"})
        if request.path == "/api":
            cors = {
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Headers": "Authorization",
            }
            if request.method == "OPTIONS":
                return Response("", 204, cors)
            return Response("{}", 200, cors, content_type="application/json")
        if request.path in ("/pixel.gif", "/favicon.ico"):
            return Response("", 204)
        body = pages.get(request.path, "<p>?</p>")
        return Response(
            f"<!doctype html><html><body>{body}</body></html>",
            200,
            content_type="text/html",
        )

    return app


@pytest.fixture
def sites() -> Iterator[tuple[list[Record], dict[str, str]]]:
    """Both sites on loopback, for Chromium."""
    records: list[Record] = []
    places: dict[str, str] = {}
    app = site_app(records, places)
    servers = [
        make_server(host, 0, app, threaded=True) for host in ("127.0.0.1", "127.0.0.2")
    ]
    for name, server in zip(("a", "b"), servers, strict=True):
        places[name] = f"http://{server.host}:{server.port}"
        places[f"{name}_host"] = f"{server.host}:{server.port}"
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        yield records, places
    finally:
        for server in servers:
            server.shutdown()


def chromium_visit(executable: str, places: dict[str, str]) -> None:
    from playwright.sync_api import sync_playwright

    a, b = places["a"], places["b"]
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, timeout=60_000
        )
        try:
            page = chromium.new_page()

            def settle() -> None:
                page.wait_for_load_state()
                page.wait_for_timeout(WAIT_MS)

            page.goto(f"{a}/home")
            settle()
            page.click("#go")
            settle()
            page.goto(f"{a}/home")
            settle()
            page.click("#send")
            settle()
            page.goto(f"{a}/scripted")
            settle()
            page.goto(f"{a}/home")
            settle()
            page.evaluate(
                "url => fetch(url, {headers: {Authorization: 'Bearer t'}})"
                ".then(r => r.text())",
                f"{b}/api",
            )
            settle()
            page.goto(f"{a}/imgpage")
            settle()
            page.goto(f"{a}/framer")
            settle()
            page.frame_locator("#fr").locator("#press").click()
            settle()
        finally:
            chromium.close()


def model_visit(places: dict[str, str]) -> list[Record]:
    records: list[Record] = []
    app = site_app(records, places)
    network = Network(Transcript())
    network.add_host(Host(places["a_host"], Party.CLIENT, app))
    network.add_host(Host(places["b_host"], Party.AUTHORIZATION_SERVER, app))
    browser = Browser(network)
    a, b = places["a"], places["b"]
    browser.open(f"{a}/home")
    browser.click_link("go")
    browser.follow_redirect()
    browser.open(f"{a}/home")
    browser.submit("f")
    browser.follow_redirect()
    browser.open(f"{a}/scripted")
    browser.navigate_from_script("/done")
    browser.open(f"{a}/home")
    browser.fetch(f"{b}/api", headers={"Authorization": "Bearer t"})
    browser.open(f"{a}/imgpage")
    browser.load_image(f"{b}/pixel.gif")
    browser.open(f"{a}/framer")
    frame = browser.frame(f"{b}/framed", embedding_origin=a)
    browser.submit_in_frame(frame, "inner")
    return records


def test_the_model_sends_what_chromium_sends(sites) -> None:
    executable = find_chromium()
    if executable is None:
        pytest.skip("no Chromium found: apt-get install chromium")
    chromium_records, places = sites
    chromium_visit(executable, places)
    model_records = model_visit(places)
    # Same requests, in the same order...
    assert [r[:3] for r in model_records] == [r[:3] for r in chromium_records]
    # ...with the same headers, one request at a time for a readable diff.
    for model, chromium in zip(model_records, chromium_records, strict=True):
        assert (model[:3], model[3]) == (chromium[:3], chromium[3])
