"""What any request must be before a server reads it: small, and for a host.

Both servers wrap their Flask app in `RequestLimits`, so the same request gets
the same answer in process and on loopback (`serve`, where Cheroot applies
the same byte limits while it reads the socket, so nothing larger is ever
held in memory). Each refusal is a JSON error like the OAuth endpoints' own.
"""

from __future__ import annotations

import io
import ipaddress
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

# The largest legitimate requests here are a few kB: a form with a client
# assertion, or a JWT in a header.
MAX_BODY_BYTES = 64 * 1024
# The request target (path and query) and the header fields, each.
MAX_TARGET_BYTES = 8 * 1024
MAX_HEADER_BYTES = 16 * 1024

# RFC 9110 7.2: Host = uri-host [ ":" port ]; RFC 3986 3.2.2: uri-host is an
# IP-literal in brackets, an IPv4 address or a reg-name.
_HOST = re.compile(
    r"(?:\[(?P<literal>[0-9A-Fa-f:.]+)\]"  # IP-literal (IPv6)
    r"|[A-Za-z0-9\-._~!$&'()*+,;=%]+)"  # IPv4address or reg-name
    r"(?::(?P<port>[0-9]*))?"
)

WSGIApp = Callable[..., Iterable[bytes]]


@dataclass(frozen=True)
class Refusal:
    status: HTTPStatus
    description: str


def host_problem(environ: dict[str, Any]) -> str | None:
    """Why the request's Host is not acceptable (RFC 9112 3.2), or None."""
    host = environ.get("HTTP_HOST")
    if host is None:
        if environ.get("SERVER_PROTOCOL") == "HTTP/1.0":
            return None  # HTTP/1.0 had no Host: the address connected to counts
        # RFC 9112 3.2: "A server MUST respond with a 400 (Bad Request) status
        # code to any HTTP/1.1 request message that lacks a Host header field"
        return "The request has no Host header (RFC 9112 3.2)."
    match = _HOST.fullmatch(host)
    literal = match and match.group("literal")
    port = match and match.group("port")
    # An empty Host is for a target URI without an authority; an http(s)
    # URI always has one (RFC 9110 4.2.1).
    if (
        not host
        or match is None
        or (literal and not _is_ipv6(literal))
        or (port and int(port) > 65535)  # a TCP port is 16 bits
    ):
        # RFC 9112 3.2: ... "or a Host header field with an invalid field value"
        return "The Host header is not a host name or address (RFC 9112 3.2)."
    return None


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def refusal(environ: dict[str, Any]) -> Refusal | None:
    """The answer to a request no endpoint should see, or None."""
    target = len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", ""))
    if target > MAX_TARGET_BYTES:
        return Refusal(
            HTTPStatus.REQUEST_URI_TOO_LONG,  # RFC 9110 15.5.15
            f"The request target is longer than {MAX_TARGET_BYTES} bytes.",
        )
    header_bytes = sum(
        len(name) + len(str(value))
        for name, value in environ.items()
        if name.startswith("HTTP_") or name in ("CONTENT_TYPE", "CONTENT_LENGTH")
    )
    if header_bytes > MAX_HEADER_BYTES:
        return Refusal(
            HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,  # RFC 6585 5
            f"The header fields add up to more than {MAX_HEADER_BYTES} bytes.",
        )
    problem = host_problem(environ)
    if problem:
        return Refusal(HTTPStatus.BAD_REQUEST, problem)
    length = environ.get("CONTENT_LENGTH") or "0"
    if not length.isdigit():
        # RFC 9112 6.3: an invalid Content-Length is unrecoverable: 400.
        return Refusal(HTTPStatus.BAD_REQUEST, "The Content-Length is not a number.")
    if int(length) > MAX_BODY_BYTES:
        return Refusal(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,  # RFC 9110 15.5.14
            f"The request body is larger than {MAX_BODY_BYTES} bytes.",
        )
    return None


def refuse(answer: Refusal, start_response: Any) -> list[bytes]:
    """Send a refusal as a JSON error (RFC 6749 5.2's shape)."""
    body = json.dumps(
        {"error": "invalid_request", "error_description": answer.description}
    ).encode()
    start_response(
        f"{answer.status.value} {answer.status.phrase}",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
        ],
    )
    return [body]


class RequestLimits:
    """WSGI middleware: refuse what `refusal` refuses, pass the rest on."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        answer = refusal(environ) or _read_chunked_body(environ)
        if answer is not None:
            return refuse(answer, start_response)
        return self.app(environ, start_response)


def _read_chunked_body(environ: dict[str, Any]) -> Refusal | None:
    """A body without Content-Length (chunked, RFC 9112 7.1) is read here, up
    to one byte past the limit: Werkzeug would cut it at the limit without a
    word and parse what is left. Within the limit, the app gets it with its
    length, like any other body."""
    if environ.get("CONTENT_LENGTH") or not environ.get("wsgi.input_terminated"):
        return None
    try:
        body = environ["wsgi.input"].read(MAX_BODY_BYTES + 1)
    except OSError as error:
        # Cheroot stops a chunked body at the same limit with
        # OSError("Request Entity Too Large"); any other error is a body
        # that could not be read to its end.
        if "too large" not in str(error).lower():
            return Refusal(HTTPStatus.BAD_REQUEST, "The request body is incomplete.")
        body = b"x" * (MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return Refusal(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            f"The request body is larger than {MAX_BODY_BYTES} bytes.",
        )
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return None
