"""The resource owner's browser: a cookie jar, an address bar, forms.

It never follows a redirect by itself (DESIGN decision 4): each 302 is a step
the learner sees, and the address bar keeps the fragment, which a browser
never sends to a server but a script on the page can read.

It also loads pages inside frames (`frame`) and decides, as a real browser
does, whether a framed page may be shown: the defence against clickjacking
(RFC 6749 10.13, RFC 9700 4.16) is a header the framed page sends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from playground.actors.html_page import Page, parse_page
from playground.wire.exchange import Channel, Party
from playground.wire.network import Network

# A frame has no address bar to show a redirect in: it follows them itself.
MAX_FRAME_REDIRECTS = 5
_DEFAULT_PORTS = MappingProxyType({"http": 80, "https": 443})
_SCHEME_SOURCE = re.compile(r"^[a-z][a-z0-9+.-]*:$")
_HOST_SOURCE = re.compile(
    r"^(?:(?P<scheme>[a-z][a-z0-9+.-]*)://)?"
    r"(?P<host>\*|(?:\*\.)?[a-z0-9.-]+)"
    r"(?::(?P<port>\*|[0-9]+))?(?P<path>/.*)?$"
)


class BrowserError(RuntimeError):
    """Something a person at the browser would notice (no form, no redirect)."""


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


class Browser:
    def __init__(self, network: Network, party: Party = Party.BROWSER) -> None:
        # Everything a browser sends goes through the front channel; an
        # attacker's own browser is drawn on the attacker's lifeline.
        self.http = network.client(party, channel=Channel.FRONT)
        self.address = ""
        self.response: httpx.Response | None = None
        self.history: list[str] = []

    # navigation
    def open(self, url: str) -> httpx.Response:
        """Type a URL in the address bar (or be sent to it)."""
        url = urljoin(self.address, url) if self.address else url
        self.address = url
        self.history.append(url)
        request_url = url.split("#", 1)[0]  # the fragment never leaves the browser
        self.response = self.http.get(request_url)
        return self.response

    def follow_redirect(self) -> httpx.Response:
        location = self.redirect_location
        if location is None:
            status = self.response.status_code if self.response else "nothing"
            raise BrowserError(f"The page is not a redirect (status {status}).")
        fragment = urlsplit(self.address).fragment
        if fragment and "#" not in location:
            # RFC 9110 10.2.2: a redirect without a fragment inherits the
            # original one, which is how an open redirector forwards a token.
            location = f"{location}#{fragment}"
        return self.open(location)

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

    def submit(self, form_id: str, **values: str) -> httpx.Response:
        """Fill in a form on the current page and press its button."""
        form = self.page.form(form_id)
        if form is None:
            raise BrowserError(f"No form {form_id!r} on {self.address}")
        data = {**form.fields, **values}
        action = urljoin(self.address, form.action or self.address)
        self.address = action
        self.history.append(action)
        self.response = self.http.request(form.method, action, data=data)
        return self.response

    def sign_in(self, username: str, password: str) -> httpx.Response:
        return self.submit("login-form", username=username, password=password)

    # frames (clickjacking, RFC 6749 10.13)
    def frame(self, url: str, *, embedding_origin: str) -> FrameResult:
        """Load `url` in an `<iframe>` on a page of `embedding_origin`, and
        decide like a browser whether to show it.

        The request carries this browser's cookies for the framed site (the
        playground's hosts are all under `playground.test`, one site, so even
        `SameSite=Lax` cookies go along), `Sec-Fetch-Dest: iframe` and the
        embedding page's origin as `Referer`. Redirects are followed inside
        the frame. The decision follows HTML's X-Frame-Options processing and
        CSP's `frame-ancestors` (which, when present, replaces X-Frame-Options).
        The address bar stays on the embedding page.
        """
        url = urljoin(self.address, url) if self.address else url
        return self._load_frame("GET", url, _origin(embedding_origin))

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
        return self._load_frame(
            form.method,
            action,
            frame.embedding_origin,
            data={**form.fields, **values},
            referrer=frame.url,
        )

    @property
    def iframe_sources(self) -> list[str]:
        """The `src` of every `<iframe>` on the current page, as full URLs."""
        return [urljoin(self.address, src) for src in self.page.frames]

    def _load_frame(
        self,
        method: str,
        url: str,
        embedding_origin: str,
        *,
        data: dict[str, str] | None = None,
        referrer: str | None = None,
    ) -> FrameResult:
        referrer = referrer or f"{embedding_origin}/"
        for _ in range(MAX_FRAME_REDIRECTS + 1):
            request_url = url.split("#", 1)[0]
            response = self.http.request(
                method,
                request_url,
                data=data,
                headers={
                    "Sec-Fetch-Dest": "iframe",
                    "Referer": _referrer(referrer, request_url),
                },
            )
            location = response.headers.get("location")
            if not response.is_redirect or not location:
                break
            url, method, data = urljoin(request_url, location), "GET", None
        rendered, reason = frame_verdict(
            response.headers, url.split("#", 1)[0], embedding_origin
        )
        return FrameResult(rendered, reason, response, url, embedding_origin)

    def approve(self) -> httpx.Response:
        return self.submit("consent-form", decision="approve")

    def deny(self) -> httpx.Response:
        return self.submit("consent-form", decision="deny")

    # what the user (or a script on the page) sees
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

    def cookie_names(self) -> list[str]:
        return sorted({cookie.name for cookie in self.http.cookies.jar})


def _first(params: dict[str, list[str]]) -> dict[str, str]:
    return {key: values[0] for key, values in params.items()}


def _page_of(response: httpx.Response) -> Page:
    if "html" not in response.headers.get("content-type", ""):
        return Page("", response.text, ())
    return parse_page(response.text)


# -- may this page be shown in a frame? -----------------------------------------


def frame_verdict(
    headers: httpx.Headers, frame_url: str, embedding_origin: str
) -> tuple[bool, str]:
    """Would a browser render `frame_url`, answered with `headers`, in a frame
    on a page of `embedding_origin`? Returns (rendered, reason).

    CSP Level 3: a `frame-ancestors` directive in any enforced policy decides,
    and then X-Frame-Options is ignored (HTML, "check a navigation response's
    adherence to X-Frame-Options"). The reasons are worded like Chrome's console.
    """
    embedding_origin = _origin(embedding_origin)
    frame_origin = _origin(frame_url)
    shown = f"'{frame_url.split('?', 1)[0]}'"
    directives = [
        sources
        for value in headers.get_list("content-security-policy")
        for policy in value.split(",")
        if (sources := _frame_ancestors(policy)) is not None
    ]
    if directives:
        for sources in directives:
            if not _ancestor_allowed(sources, embedding_origin, frame_origin):
                directive = " ".join(["frame-ancestors", *sources])
                return False, (
                    f"Refused to frame {shown} because an ancestor violates the "
                    f'following Content Security Policy directive: "{directive}".'
                )
        return True, (
            f"Content-Security-Policy frame-ancestors allows {embedding_origin} "
            "to frame this page."
        )
    options = {
        option.strip().lower()
        for value in headers.get_list("x-frame-options")
        for option in value.split(",")
        if option.strip()
    }
    if not options:
        return True, (
            "No X-Frame-Options and no CSP frame-ancestors: any site may frame "
            "this page."
        )
    if len(options) > 1:
        if options & {"deny", "sameorigin", "allowall"}:
            return False, (
                f"Refused to display {shown} in a frame because it set multiple "
                f"'X-Frame-Options' headers with conflicting values "
                f"('{', '.join(sorted(options))}')."
            )
        return True, "X-Frame-Options values not understood: ignored."
    (option,) = options
    if option == "deny":
        return False, (
            f"Refused to display {shown} in a frame because it set "
            "'X-Frame-Options' to 'deny'."
        )
    if option == "sameorigin":
        if embedding_origin == frame_origin:
            return True, "X-Frame-Options: SAMEORIGIN, and the embedding page is."
        return False, (
            f"Refused to display {shown} in a frame because it set "
            "'X-Frame-Options' to 'sameorigin'."
        )
    # ALLOW-FROM is obsolete: browsers ignore it (and any other value).
    return True, f"X-Frame-Options: {option} is not enforced by browsers: ignored."


def _frame_ancestors(policy: str) -> list[str] | None:
    """The source list of a policy's first frame-ancestors directive, if any."""
    for directive in policy.split(";"):
        tokens = directive.split()
        if tokens and tokens[0].lower() == "frame-ancestors":
            return tokens[1:]
    return None


def _ancestor_allowed(sources: list[str], ancestor: str, frame_origin: str) -> bool:
    expressions = [source.lower() for source in sources]
    if expressions in ([], ["'none'"]):
        return False
    return any(
        _source_matches(expression, ancestor, frame_origin)
        for expression in expressions
        if expression != "'none'"  # ignored beside other sources (CSP3)
    )


def _source_matches(expression: str, ancestor: str, frame_origin: str) -> bool:
    """CSP3 "does url match expression in origin", for an ancestor's origin."""
    parts = urlsplit(ancestor)
    scheme, host = parts.scheme, (parts.hostname or "")
    port = parts.port or _DEFAULT_PORTS.get(scheme)
    own_scheme = urlsplit(frame_origin).scheme
    if expression == "*":
        return scheme in ("http", "https") or scheme == own_scheme
    if expression == "'self'":
        return ancestor == frame_origin
    if _SCHEME_SOURCE.match(expression):
        return _scheme_matches(expression[:-1], scheme)
    found = _HOST_SOURCE.match(expression)
    if found is None:
        return False  # a keyword or nonce that means nothing for frames
    wanted = found["scheme"] or own_scheme
    if not _scheme_matches(wanted, scheme):
        return False
    pattern = found["host"]
    if pattern.startswith("*."):
        if not host.endswith(pattern[1:]):
            return False
    elif pattern != "*" and pattern != host:
        return False
    if found["port"] == "*":
        return True
    if found["port"]:
        return port == int(found["port"])
    return port == _DEFAULT_PORTS.get(scheme)


def _scheme_matches(wanted: str, scheme: str) -> bool:
    # An http source also allows its secure upgrade, https.
    return scheme == wanted or (wanted == "http" and scheme == "https")


def _origin(url: str) -> str:
    """scheme://host[:port] (the port only when not the scheme's default)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _referrer(source: str, target: str) -> str:
    """The default policy, strict-origin-when-cross-origin: the whole URL to
    the same origin, only the origin to another one."""
    source = source.split("#", 1)[0]
    if _origin(source) == _origin(target):
        return source
    return f"{_origin(source)}/"
