"""One HTTP request and its response, as it crossed the (virtual) wire.

Frozen and named, so no view has to remember whether a tuple was
`(status, body, headers)` or `(headers, body, status)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit


class Channel(StrEnum):
    """Front channel: through the browser's address bar (links, redirects,
    forms, frames), where the user and the URL's every reader can see it.
    Back channel: a direct request, server to server or from a page's script
    (`fetch()`), out of the address bar and of the history."""

    FRONT = "front"
    BACK = "back"


class Party(StrEnum):
    """The parties of RFC 6749 1.1, plus the attacker of the attack lessons,
    and a second resource server, the print lab's API, that the photos API
    (the resource server) calls with a token from a token exchange (RFC 8693)."""

    BROWSER = "Browser"
    CLIENT = "Client"
    AUTHORIZATION_SERVER = "Authorization Server"
    RESOURCE_SERVER = "Resource Server"
    PRINT_LAB = "Print Lab API"
    ATTACKER = "Attacker"


Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: Headers = ()
    body: bytes = b""

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def target(self) -> str:
        """The request-target of the request line: path and query (RFC 9112 3.2)."""
        parts = urlsplit(self.url)
        path = parts.path or "/"
        return f"{path}?{parts.query}" if parts.query else path

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)

    @property
    def form(self) -> dict[str, str]:
        """The fields of a form-encoded body (first value of each)."""
        if "x-www-form-urlencoded" not in (self.header("Content-Type") or ""):
            return {}
        fields = parse_qs(self.body.decode("utf-8", errors="replace"))
        return {name: values[0] for name, values in fields.items()}


@dataclass(frozen=True)
class HttpResponse:
    status: int
    reason: str = ""
    headers: Headers = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)

    @property
    def phrase(self) -> str:
        """The reason phrase as recorded, else the standard one for the status."""
        return self.reason or reason_phrase(self.status)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Exchange:
    """A request, its response, who sent it to whom, and why."""

    index: int
    sender: Party
    receiver: Party
    channel: Channel
    request: HttpRequest
    response: HttpResponse
    step: int | None = None
    duration_ms: float = 0.0
    # Positions in the transcript's order of happenings: a browser's request to
    # the client's /callback opens before, and closes after, the client's own
    # back-channel token request it causes.
    opened: int = 0
    closed: int = 0

    @property
    def label(self) -> str:
        return f"{self.request.method} {self.request.target}"


def reason_phrase(status: int) -> str:
    """The standard reason phrase of a status code (RFC 9110 15), '' if none."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _header(headers: Headers, name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)
