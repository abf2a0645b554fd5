"""The resource owner's browser: an address bar, a cookie jar, forms, frames
and the scripts of the pages it shows, obeying the web's rules.

It never follows a redirect by itself (DESIGN decision 4): each 302 is a step
the learner sees, and the address bar keeps the fragment, which a browser
never sends to a server but a script on the page can read.

Every request says what Chrome's would: the cookies that `SameSite` lets go
with it (`cookies.py`), `Origin` on a POST and on a script's cross-origin
fetch, `Referer` as the default policy (strict-origin-when-cross-origin) or
the page's own allows, Chrome's `Accept` for a page, an image or a
`fetch()`, and the Fetch Metadata headers `Sec-Fetch-Site`, `-Mode`, `-Dest`
and, on a navigation a person started (typed, clicked, submitted),
`Sec-Fetch-User: ?1`. A page's script may read a cross-origin answer only if
CORS allows it (`cors.py`), and a framed page is shown only if it lets
itself be framed (`framing.py`). Chrome's other headers (`Accept-Language`,
`Upgrade-Insecure-Requests`, client hints) are left out; `Accept-Encoding`
and `Connection` are the HTTP library's.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field, replace
from typing import Protocol
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx

from playground.actors.cookies import CookieJar, RequestSite
from playground.actors.cors import (
    CorsError,
    PreflightCache,
    check_preflight,
    check_response,
    needs_preflight,
    readable_headers,
    unsafe_request_headers,
)
from playground.actors.framing import frame_verdict
from playground.actors.html_page import Page, parse_page
from playground.actors.sites import fetch_site, origin_of, same_origin, same_site
from playground.wire.exchange import Channel, Party
from playground.wire.network import Network

__all__ = ["Browser", "BrowserError", "CorsError", "FrameResult", "frame_verdict"]

# A frame has no address bar to show a redirect in: it follows them itself.
MAX_FRAME_REDIRECTS = 5
DEFAULT_REFERRER_POLICY = "strict-origin-when-cross-origin"
# Chrome's Accept for each kind of request (Fetch leaves them to the browser;
# a script's fetch() gets Fetch's own default, */*).
ACCEPT_DOCUMENT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
    "image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
ACCEPT_IMAGE = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
ACCEPT_ANY = "*/*"
# Headers the browser sets itself: a script's own values for these are ignored.
_BROWSER_HEADERS = frozenset(
    {
        "accept-encoding",
        "connection",
        "content-length",
        "cookie",
        "host",
        "origin",
        "referer",
        "user-agent",
    }
)


class Clock(Protocol):
    def now(self) -> int: ...


class BrowserError(RuntimeError):
    """Something a person at the browser would notice (no form, no redirect)."""


@dataclass(frozen=True)
class Navigation:
    """What the browser remembers about the request that loaded the current
    page, so the redirect it answered with is followed as the same navigation."""

    initiator: str | None  # the origin of the page that started it; None: typed
    referrer: str | None  # the page it was started from, before any policy
    policy: str  # that page's referrer policy
    urls: tuple[str, ...] = ()  # every URL of its redirect chain so far
    method: str = "GET"  # the method and form of the last request sent
    data: tuple[tuple[str, str], ...] = ()
    # A person started it (typed, clicked, submitted): HTML's user activation,
    # which Fetch Metadata reports as `Sec-Fetch-User: ?1`, redirects included.
    user: bool = False


@dataclass(frozen=True)
class FrameResult:
    """A page loaded in an `<iframe>`, and whether the browser agreed to show it.

    `response` is what the framed page's server answered (it is in the
    transcript either way); `rendered` is the browser's decision and
    `reason` says why, worded like the browser's console.
    """

    rendered: bool
    reason: str
    response: httpx.Response
    url: str = ""  # the framed page (after any redirects)
    embedding_origin: str = ""  # the origin of the page holding the frame

    @property
    def page(self) -> Page:
        """What shows (and can be clicked) in the frame: nothing if refused."""
        if not self.rendered:
            return Page("", "", ())
        return _page_of(self.response)


@dataclass
class Browser:
    network: Network
    party: Party = Party.BROWSER
    clock: Clock | None = None
    cookies: CookieJar = field(default_factory=CookieJar)
    preflights: PreflightCache = field(default_factory=PreflightCache)
    address: str = ""
    response: httpx.Response | None = None
    history: list[str] = field(default_factory=list)
    _navigation: Navigation | None = None

    def __post_init__(self) -> None:
        # Navigations and forms are the front channel; a page's scripts talk
        # to servers directly, and an attacker's browser is drawn on the
        # attacker's lifeline.
        self.http = self.network.client(self.party, channel=Channel.FRONT)
        self._scripts = self.network.client(self.party, channel=Channel.BACK)

    # -- where the browser is --------------------------------------------------
    @property
    def origin(self) -> str | None:
        """The origin of the page on screen (None before the first page)."""
        return origin_of(self.address) if self.address else None

    @property
    def page(self) -> Page:
        if self.response is None:
            return Page("", "", ())
        return _page_of(self.response)

    @property
    def status(self) -> int | None:
        return self.response.status_code if self.response else None

    @property
    def query_params(self) -> dict[str, str]:
        return _first(parse_qs(urlsplit(self.address).query))

    @property
    def fragment_params(self) -> dict[str, str]:
        return _first(parse_qs(urlsplit(self.address).fragment))

    @property
    def redirect_location(self) -> str | None:
        if self.response is None or not self.response.is_redirect:
            return None
        location = self.response.headers.get("location")
        return urljoin(self.address, location) if location else None

    @property
    def redirect_params(self) -> dict[str, str]:
        """Query and fragment parameters of the redirect, before following it."""
        location = self.redirect_location or ""
        parts = urlsplit(location)
        return {**_first(parse_qs(parts.query)), **_first(parse_qs(parts.fragment))}

    @property
    def iframe_sources(self) -> list[str]:
        """The `src` of every `<iframe>` on the current page, as full URLs."""
        return [urljoin(self.address, src) for src in self.page.frames]

    def cookie_names(self) -> list[str]:
        return self.cookies.names()

    # -- navigation ------------------------------------------------------------
    def open(self, url: str) -> httpx.Response:
        """Type a URL in the address bar (or pick a bookmark): no page started
        this navigation, so no Referer, `Sec-Fetch-Site: none`, and every
        cookie SameSite allows; a person did it, so `Sec-Fetch-User: ?1`."""
        url = urljoin(self.address, url) if self.address else url
        return self._navigate(
            "GET", url, Navigation(None, None, "no-referrer", user=True)
        )

    def click(self, url: str) -> httpx.Response:
        """A person clicks a link to `url` on the current page."""
        return self._navigate(
            "GET", urljoin(self.address, url), self._from_page(user=True)
        )

    def click_link(self, link_id: str) -> httpx.Response:
        """A person clicks the link `<a id="link_id">` of the current page."""
        href = self.page.link(link_id)
        if href is None:
            raise BrowserError(f"There is no link {link_id!r} here: {self.where()}")
        return self.click(href)

    def navigate_from_script(self, url: str) -> httpx.Response:
        """The page's own script sends the browser to `url` (`location.href =
        ...`) as the page loads: like a click for `Referer` and
        `Sec-Fetch-Site`, but no person did it, so no `Sec-Fetch-User`."""
        return self._navigate(
            "GET", urljoin(self.address, url), self._from_page(user=False)
        )

    def follow_redirect(self) -> httpx.Response:
        location = self.redirect_location
        if location is None:
            raise BrowserError(self._not_a_redirect())
        fragment = urlsplit(self.address).fragment
        if fragment and "#" not in location:
            # RFC 9110 10.2.2: a redirect without a fragment inherits the
            # original one, which is how an open redirector forwards a token.
            location = f"{location}#{fragment}"
        navigation = self._navigation or Navigation(
            None, None, "no-referrer", user=True
        )
        status = self.response.status_code if self.response else 0
        if status in (307, 308):
            # Fetch 4.4 (HTTP-redirect fetch): 307 and 308 keep the method and
            # the body, so a POSTed form (a password) goes on to the new
            # location (RFC 9700 4.12).
            return self._navigate(
                navigation.method, location, navigation, data=dict(navigation.data)
            )
        # A 301, 302 or 303 turns a POST into a GET; the request keeps its
        # initiator and its referrer.
        return self._navigate("GET", location, navigation)

    def submit(self, form_id: str, **values: str) -> httpx.Response:
        """Fill in a form on the current page and press its button."""
        form = self.page.form(form_id)
        if form is None:
            raise BrowserError(self._no_form(form_id))
        data = {**form.fields, **values}
        action = urljoin(self.address, form.action or self.address)
        return self._navigate(
            form.method, action, self._from_page(user=True), data=data
        )

    def sign_in(self, username: str, password: str) -> httpx.Response:
        return self.submit("login-form", username=username, password=password)

    def approve(self) -> httpx.Response:
        return self.submit("consent-form", decision="approve")

    def deny(self) -> httpx.Response:
        return self.submit("consent-form", decision="deny")

    def _from_page(self, *, user: bool) -> Navigation:
        return Navigation(
            self.origin, self.address or None, self._page_policy(), user=user
        )

    def _navigate(
        self,
        method: str,
        url: str,
        navigation: Navigation,
        *,
        data: dict[str, str] | None = None,
    ) -> httpx.Response:
        request_url = url.split("#", 1)[0]  # the fragment never leaves the browser
        navigation = replace(navigation, urls=(*navigation.urls, request_url))
        site = RequestSite(
            same_site=_same_site_request(navigation.initiator, request_url),
            top_level_navigation=True,
        )
        headers = self._headers(
            method,
            request_url,
            navigation,
            destination="document",
            mode="navigate",
            site=site,
            accept=ACCEPT_DOCUMENT,
        )
        self.address = url
        self.history.append(url)
        self.response = self._send(
            self.http, method, request_url, headers, data, site=site
        )
        self._navigation = replace(
            navigation, method=method, data=tuple((data or {}).items())
        )
        return self.response

    # -- frames (clickjacking, RFC 6749 10.13) ---------------------------------
    def frame(self, url: str, *, embedding_origin: str) -> FrameResult:
        """Load `url` in an `<iframe>` on a page of `embedding_origin`, and
        decide like a browser whether to show it.

        A frame is not a top-level navigation: if the framed site differs from
        the top-level page's, only its `SameSite=None` cookies go along (RFC
        6265bis). Redirects are followed inside the frame. The decision follows
        HTML's X-Frame-Options processing and CSP's `frame-ancestors`. The
        address bar stays on the embedding page.
        """
        url = urljoin(self.address, url) if self.address else url
        top = origin_of(embedding_origin)
        # The page's own <iframe>: no person started this load.
        navigation = Navigation(top, f"{top}/", DEFAULT_REFERRER_POLICY)
        return self._load_frame("GET", url, top, navigation)

    def submit_in_frame(
        self, frame: FrameResult, form_id: str, **values: str
    ) -> FrameResult:
        """A click inside a frame the browser rendered: submit the framed
        page's form. The frame navigates (following redirects); the address
        bar does not move."""
        if not frame.rendered:
            raise BrowserError(
                f"The browser did not render the frame ({frame.reason}): "
                "there is nothing in it to click."
            )
        form = frame.page.form(form_id)
        if form is None:
            raise BrowserError(f"No form {form_id!r} in the frame at {frame.url}")
        action = urljoin(frame.url, form.action or frame.url)
        navigation = Navigation(
            origin_of(frame.url),
            frame.url,
            _referrer_policy(frame.response, _page_of(frame.response)),
            user=True,  # a person clicked in the frame, seen or not
        )
        return self._load_frame(
            form.method,
            action,
            frame.embedding_origin,
            navigation,
            data={**form.fields, **values},
        )

    def _load_frame(
        self,
        method: str,
        url: str,
        top: str,
        navigation: Navigation,
        *,
        data: dict[str, str] | None = None,
    ) -> FrameResult:
        response: httpx.Response | None = None
        for _ in range(MAX_FRAME_REDIRECTS + 1):
            request_url = url.split("#", 1)[0]
            navigation = replace(navigation, urls=(*navigation.urls, request_url))
            # The "site for cookies" of a frame is the top-level page's.
            site = RequestSite(
                same_site=same_site(top, request_url)
                and _same_site_request(navigation.initiator, request_url),
                top_level_navigation=False,
            )
            headers = self._headers(
                method,
                request_url,
                navigation,
                destination="iframe",
                mode="navigate",
                site=site,
                accept=ACCEPT_DOCUMENT,
            )
            response = self._send(
                self.http, method, request_url, headers, data, site=site
            )
            location = response.headers.get("location")
            if not response.is_redirect or not location:
                break
            url, method, data = urljoin(request_url, location), "GET", None
        assert response is not None
        rendered, reason = frame_verdict(response.headers, url.split("#", 1)[0], top)
        return FrameResult(rendered, reason, response, url, top)

    # -- the page's scripts ----------------------------------------------------
    def fetch(
        self,
        url: str,
        *,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        content: bytes | None = None,
        credentials: str = "same-origin",
        mode: str = "cors",
        origin: str | None = None,
    ) -> httpx.Response | None:
        """`fetch()` from a script on the page (or on `origin`, a page of the
        app whose script this is).

        `credentials` is fetch's: "omit", "same-origin" (the default) or
        "include"; cookies still obey SameSite. A cross-origin request that
        is not simple is preceded by a preflight `OPTIONS`, recorded like any
        other message. Raises `CorsError` when CORS blocks the script, though
        the request may have reached the server. `mode="no-cors"` sends only
        simple requests and returns None: the answer is opaque to the script.
        """
        page = origin_of(origin) if origin else self.origin
        if page is None:
            raise BrowserError("No page is open, so no script can run.")
        target = urljoin(f"{page}/", url)
        method = method.upper()
        script_headers = {
            name: value
            for name, value in (headers or {}).items()
            if name.lower() not in _BROWSER_HEADERS
        }
        body = content
        if data is not None:
            body = urlencode(data).encode("ascii")
            script_headers.setdefault(
                "Content-Type", "application/x-www-form-urlencoded"
            )
        cross_origin = not same_origin(page, target)
        send_cookies = credentials == "include" or (
            credentials == "same-origin" and not cross_origin
        )
        if mode == "no-cors" and needs_preflight(method, script_headers):
            raise CorsError(
                f"Failed to execute 'fetch': '{method}' with these headers is not "
                "allowed in no-cors mode (only GET, HEAD or POST with "
                "CORS-safelisted headers)."
            )
        web_page = urlsplit(page).scheme in ("http", "https")
        navigation = Navigation(
            page,
            # An extension's own requests name no page: no Referer.
            (self.address if self.origin == page else f"{page}/") if web_page else None,
            self._page_policy() if self.origin == page else DEFAULT_REFERRER_POLICY,
            urls=(target,),
        )
        if mode == "cors" and cross_origin and needs_preflight(method, script_headers):
            self._preflight(
                page, target, method, script_headers, send_cookies, navigation
            )
        site = RequestSite(
            same_site=same_site(page, target), top_level_navigation=False
        )
        request_headers = self._headers(
            method,
            target,
            navigation,
            destination="empty",
            mode=mode,
            site=site,
            accept=ACCEPT_ANY,
            cookies=send_cookies,
            always_origin=mode == "cors" and cross_origin,
        )
        # A script's own Accept replaces fetch()'s default.
        replaced = {name.lower() for name in script_headers}
        request_headers = {
            name: value
            for name, value in request_headers.items()
            if name.lower() not in replaced
        }
        request_headers.update(script_headers)
        response = self._send(
            self._scripts, method, target, request_headers, None, body, site=site
        )
        if mode == "no-cors":
            return None
        if cross_origin:
            check_response(target, response, page, credentials=credentials == "include")
            return httpx.Response(
                response.status_code,
                headers=readable_headers(response),
                content=response.content,
                request=response.request,
            )
        return response

    def load_image(self, url: str) -> None:
        """An `<img>` on the page: a no-cors GET whose answer the page's
        scripts cannot read; it carries the Referer the page's policy allows,
        which is how a URL's secrets reach a third party (RFC 9700 4.2.1)."""
        if self.origin is None:
            raise BrowserError("No page is open to hold the image.")
        target = urljoin(self.address, url)
        navigation = Navigation(
            self.origin, self.address, self._page_policy(), urls=(target,)
        )
        site = RequestSite(
            same_site=same_site(self.origin, target), top_level_navigation=False
        )
        headers = self._headers(
            "GET",
            target,
            navigation,
            destination="image",
            mode="no-cors",
            site=site,
            accept=ACCEPT_IMAGE,
        )
        self._send(self.http, "GET", target, headers, None, site=site)

    def _preflight(
        self,
        page: str,
        target: str,
        method: str,
        script_headers: dict[str, str],
        credentials: bool,
        navigation: Navigation,
    ) -> None:
        """Fetch's CORS-preflight request: OPTIONS, no cookies, no body; the
        `Referer` of the request it asks for."""
        unsafe = unsafe_request_headers(script_headers)
        now = self._now()
        if self.preflights.covers(
            page, target, method, unsafe, credentials=credentials, now=now
        ):
            return
        headers = {
            "Accept": ACCEPT_ANY,
            "Origin": page,
            "Access-Control-Request-Method": method,
            "Sec-Fetch-Mode": "cors",
            "Sec-Fetch-Site": fetch_site(page, target),
            "Sec-Fetch-Dest": "empty",
        }
        referer = _referrer(navigation.referrer, target, navigation.policy)
        if referer:
            headers["Referer"] = referer
        if unsafe:
            headers["Access-Control-Request-Headers"] = ",".join(unsafe)
        response = self._send(self._scripts, "OPTIONS", target, headers, None)
        methods, allowed, max_age = check_preflight(
            target, response, page, method, unsafe, credentials=credentials
        )
        self.preflights.remember(
            page, target, methods, allowed, max_age, credentials=credentials, now=now
        )

    # -- every request ---------------------------------------------------------
    def _headers(
        self,
        method: str,
        url: str,
        navigation: Navigation,
        *,
        destination: str,
        mode: str,
        site: RequestSite,
        accept: str,
        cookies: bool = True,
        always_origin: bool = False,
    ) -> dict[str, str]:
        headers: dict[str, str] = {"Accept": accept}
        if cookies:
            cookie = self.cookies.header_for(url, method, site, self._now())
            if cookie:
                headers["Cookie"] = cookie
        if navigation.initiator is not None and (
            always_origin or method not in ("GET", "HEAD")
        ):
            headers["Origin"] = _serialized_origin(navigation)
        referer = _referrer(navigation.referrer, url, navigation.policy)
        if referer:
            headers["Referer"] = referer
        headers["Sec-Fetch-Site"] = _chain_site(navigation)
        headers["Sec-Fetch-Mode"] = mode
        if mode == "navigate" and navigation.user:
            # Fetch Metadata: only on a navigation with user activation.
            headers["Sec-Fetch-User"] = "?1"
        headers["Sec-Fetch-Dest"] = destination
        return headers

    def _send(
        self,
        client: httpx.Client,
        method: str,
        url: str,
        headers: dict[str, str],
        data: dict[str, str] | None,
        content: bytes | None = None,
        *,
        site: RequestSite | None = None,
    ) -> httpx.Response:
        response = client.request(
            method, url, headers=headers, data=data, content=content
        )
        # The jar is ours, with SameSite: httpx's own must not send anything.
        client.cookies.clear()
        self.cookies.store(
            url, response.headers.get_list("set-cookie"), self._now(), site
        )
        return response

    def _now(self) -> float:
        return self.clock.now() if self.clock is not None else time.time()

    def _page_policy(self) -> str:
        if self.response is None:
            return DEFAULT_REFERRER_POLICY
        return _referrer_policy(self.response, self.page)

    def _not_a_redirect(self) -> str:
        if self.response is None:
            return "The browser has not opened any page yet: nothing to follow."
        return f"There is no redirect to follow: {self.where()}"

    def _no_form(self, form_id: str) -> str:
        return f"There is no form {form_id!r} here: {self.where()}"

    def where(self) -> str:
        """What a person at this browser would say they are looking at, and
        what would move them on: for error messages a student can act on."""
        if self.response is None:
            return "the browser has not opened any page yet."
        page = self.page
        title = f"{page.title!r}" if page.title else "a page without a title"
        said = (
            f"the browser shows {title} ({self.response.status_code}) at {self.address}"
        )
        if page.form("login-form") is not None:
            if "Wrong username or password" in page.text:
                return (
                    f'{said}, the sign-in page saying "Wrong username or '
                    'password.": check what sign_in(username, password) was given.'
                )
            return f"{said}, the sign-in page: call sign_in(username, password)."
        if page.form("consent-form") is not None:
            return f"{said}, the consent page: call approve() or deny()."
        if self.redirect_location:
            return (
                f"{said}, a redirect to {self.redirect_location}: "
                "call follow_redirect()."
            )
        error = self.query_params.get("error") or self.fragment_params.get("error")
        if error:
            return f"{said}, an error answer: error={error}."
        return f"{said}."


def _same_site_request(initiator: str | None, url: str) -> bool:
    """RFC 6265bis 5.2: a navigation the user started (typed, bookmarked) is
    same-site; otherwise the initiator's site must be the target's."""
    return initiator is None or same_site(initiator, url)


def _serialized_origin(navigation: Navigation) -> str:
    """Fetch: the request's origin, or "null" once a redirect went from one
    origin to another that is not the initiator's (the tainted origin flag)."""
    initiator = navigation.initiator or "null"
    hops = navigation.urls
    for previous, following in itertools.pairwise(hops):
        if not same_origin(previous, following) and not same_origin(
            initiator, previous
        ):
            return "null"
    return initiator


def _chain_site(navigation: Navigation) -> str:
    """Fetch Metadata: Sec-Fetch-Site takes the weakest relation along the
    redirect chain; `none` for a navigation the user started."""
    if navigation.initiator is None:
        return "none"
    order = ("same-origin", "same-site", "cross-site")
    relations = [fetch_site(navigation.initiator, url) for url in navigation.urls]
    return max(relations, key=order.index) if relations else "same-origin"


def _referrer_policy(response: httpx.Response, page: Page) -> str:
    """The page's policy: its Referrer-Policy header, else `<meta
    name="referrer">`, else the default (the last valid token wins)."""
    for value in (response.headers.get("referrer-policy", ""), page.referrer_policy):
        tokens = [t.strip().lower() for t in value.split(",") if t.strip()]
        known = [t for t in tokens if t in _POLICIES]
        if known:
            return known[-1]
    return DEFAULT_REFERRER_POLICY


_POLICIES = frozenset(
    {
        "no-referrer",
        "no-referrer-when-downgrade",
        "same-origin",
        "origin",
        "strict-origin",
        "origin-when-cross-origin",
        "strict-origin-when-cross-origin",
        "unsafe-url",
    }
)


def _referrer(source: str | None, target: str, policy: str) -> str | None:
    """Referrer Policy: what of `source` goes in the Referer to `target`."""
    if not source:
        return None
    full = source.split("#", 1)[0]
    origin = f"{origin_of(source)}/"
    downgrade = source.startswith("https:") and target.startswith("http:")
    same = same_origin(source, target)
    if policy == "no-referrer":
        return None
    if policy == "unsafe-url":
        return full
    if policy == "origin":
        return origin
    if policy == "same-origin":
        return full if same else None
    if policy == "strict-origin":
        return None if downgrade else origin
    if policy == "no-referrer-when-downgrade":
        return None if downgrade else full
    if policy == "origin-when-cross-origin":
        return full if same else origin
    # strict-origin-when-cross-origin, the default since Chrome 85
    if same:
        return full
    return None if downgrade else origin


def _first(params: dict[str, list[str]]) -> dict[str, str]:
    return {key: values[0] for key, values in params.items()}


def _page_of(response: httpx.Response) -> Page:
    if "html" not in response.headers.get("content-type", ""):
        return Page("", response.text, ())
    return parse_page(response.text)


class ScriptTransport(httpx.BaseTransport):
    """An httpx transport that sends through a browser's `fetch()`: what a
    single-page app's code does. Hand it to a client's `httpx.Client` and its
    requests leave from the browser, with `Origin`, preflights and CORS."""

    def __init__(self, browser: Browser, origin: str) -> None:
        self.browser = browser
        self.origin = origin

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() not in _BROWSER_HEADERS and name.lower() != "accept"
        }
        response = self.browser.fetch(
            str(request.url),
            method=request.method,
            headers=headers,
            content=request.read() or None,
            origin=self.origin,
        )
        assert response is not None  # cors mode always answers or raises
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=response.content,
            request=request,
        )
