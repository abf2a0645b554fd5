"""The resource owner's part of a redirect flow, done with plain HTTP.

What a person does in a browser: open the authorization URL, sign in on the
authorization server's form, approve on its consent form (`consent-form`,
decision=approve, with the hidden `csrf_token`), and be sent to the redirect
URI. Redirects are followed by hand, so the last one, to the client, is
returned unopened: the client library reads the code and state from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx

from .served import HTTP_TIMEOUT


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)


class _Forms(HTMLParser):
    """Each form on a page by its id: its action and its named input values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, Form] = {}
        self._current: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._current = Form(attributes.get("action", ""))
            self.forms[attributes.get("id", "")] = self._current
        elif tag == "input" and self._current is not None and "name" in attributes:
            self._current.fields[attributes["name"]] = attributes.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def forms(html: str) -> dict[str, Form]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


class ResourceOwner:
    """A person with a browser (a cookie jar) and a demo account."""

    def __init__(self, username: str = "alice", password: str = "wonderland") -> None:
        self.username = username
        self.password = password
        self.browser = httpx.Client(timeout=HTTP_TIMEOUT, follow_redirects=False)
        # The forms the last `authorize` filled in: "login-form", "consent-form".
        self.forms_filled: list[str] = []

    def close(self) -> None:
        self.browser.close()

    def open(self, url: str) -> httpx.Response:
        return self.browser.get(url)

    def authorize(self, authorization_url: str) -> str:
        """Sign in if asked, approve if asked; the URL the AS redirects to."""
        self.forms_filled = []
        response = self.open(authorization_url)
        for _ in range(4):  # sign in, back to /authorize, approve: bounded
            if response.is_redirect:
                location = urljoin(str(response.url), response.headers["Location"])
                target = httpx.URL(location)
                if (target.scheme, target.netloc) != (
                    response.url.scheme,
                    response.url.netloc,
                ):
                    return location  # leaving the AS: to the client
                response = self.open(location)
                continue
            assert response.status_code == 200, response.text
            page = forms(response.text)
            if "login-form" in page:
                self.forms_filled.append("login-form")
                response = self._submit(
                    response,
                    page["login-form"],
                    username=self.username,
                    password=self.password,
                )
            elif "consent-form" in page:
                self.forms_filled.append("consent-form")
                response = self._submit(
                    response, page["consent-form"], decision="approve"
                )
            else:
                raise AssertionError(f"neither sign-in nor consent:\n{response.text}")
        raise AssertionError("the authorization server never redirected back")

    def _submit(
        self, page: httpx.Response, form: Form, **values: str
    ) -> httpx.Response:
        return self.browser.post(
            urljoin(str(page.url), form.action), data={**form.fields, **values}
        )
