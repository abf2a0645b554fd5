"""The resource owner's browser: a cookie jar, an address bar, forms.

It never follows a redirect by itself (DESIGN decision 4): each 302 is a step
the learner sees, and the address bar keeps the fragment, which a browser
never sends to a server but a script on the page can read.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from ..exchange import Party
from ..html_forms import Page, parse_page
from ..network import Network


class BrowserError(RuntimeError):
    """Something a person at the browser would notice (no form, no redirect)."""


class Browser:
    def __init__(self, network: Network) -> None:
        self.http = network.client(Party.BROWSER)
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

    def approve(self) -> httpx.Response:
        return self.submit("consent-form", decision="approve")

    def deny(self) -> httpx.Response:
        return self.submit("consent-form", decision="deny")

    # what the user (or a script on the page) sees
    @property
    def page(self) -> Page:
        if self.response is None:
            return Page("", "", ())
        if "html" not in self.response.headers.get("content-type", ""):
            return Page("", self.response.text, ())
        return parse_page(self.response.text)

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
