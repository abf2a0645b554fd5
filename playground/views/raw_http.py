"""Raw HTTP/1.1 text of recorded exchanges, as it crossed the (virtual) wire.

A learner should see the exact bytes a client and a server traded: the request
line, every header in order, the blank line, the body. Two forms exist:

- the **wire** form (`wire_request`, `wire_response`): exact bytes, CRLF line
  endings (RFC 9112 2.1), nothing wrapped, prettified or hidden;
- the **display** form (`render_request`, `render_response`, `render_exchange`):
  the same text with `\\n` line endings, long body lines optionally wrapped
  (never cut), JSON optionally pretty-printed, binary bodies summarised.

`parse_request` and `parse_response` read the wire form back, so a recorded
message survives a trip through text unchanged.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from playground.wire.exchange import Exchange, Headers, HttpRequest, HttpResponse

_CRLF = "\r\n"
_VERSION = "HTTP/1.1"
# Characters that may appear in a body we show as text; any other control
# character (NUL, ESC, ...) means the body is data, not text.
_TEXT_CONTROLS = frozenset("\t\n\r")


# --- wire form -------------------------------------------------------------


def wire_request(req: HttpRequest) -> bytes:
    """The request exactly as sent: request line, headers, CRLF, body bytes."""
    return _wire(_request_head(req), req.body)


def wire_response(resp: HttpResponse) -> bytes:
    """The response exactly as sent: status line, headers, CRLF, body bytes."""
    return _wire(_response_head(resp), resp.body)


def _wire(head: list[str], body: bytes) -> bytes:
    # HTTP-message = start-line CRLF *( field-line CRLF ) CRLF [ message-body ]
    # (RFC 9112 2.1)
    return (_CRLF.join(head) + _CRLF + _CRLF).encode("utf-8") + body


def _request_head(req: HttpRequest) -> list[str]:
    # request-line = method SP request-target SP HTTP-version (RFC 9112 3)
    lines = [f"{req.method} {req.target} {_VERSION}"]
    headers = req.headers
    if req.header("Host") is None:
        # A client MUST send a Host header field in all HTTP/1.1 request
        # messages (RFC 9112 3.2); user info is never part of it.
        host = urlsplit(req.url).netloc.rpartition("@")[2]
        headers = (("Host", host), *headers)
    lines.extend(f"{name}: {value}" for name, value in headers)
    return lines


def _response_head(resp: HttpResponse) -> list[str]:
    # status-line = HTTP-version SP status-code SP [ reason-phrase ]
    # (RFC 9112 4); the second SP is kept even when the phrase is empty.
    lines = [f"{_VERSION} {resp.status} {resp.phrase}"]
    lines.extend(f"{name}: {value}" for name, value in resp.headers)
    return lines


# --- display form ----------------------------------------------------------


def render_request(
    req: HttpRequest, *, wrap: int | None = None, pretty: bool = False
) -> str:
    """The request as text for a reader: the wire form with `\\n` line endings.

    `wrap` splits body lines longer than that many characters (display only;
    joining the pieces gives the body back). `pretty` indents JSON bodies.
    """
    return _display(_request_head(req), req.body, req.headers, wrap, pretty)


def render_response(
    resp: HttpResponse, *, wrap: int | None = None, pretty: bool = False
) -> str:
    """The response as text for a reader; see `render_request`."""
    return _display(_response_head(resp), resp.body, resp.headers, wrap, pretty)


def render_exchange(
    ex: Exchange, *, wrap: int | None = None, pretty: bool = False
) -> str:
    """Request, a blank line, then its response: one round trip on one screen."""
    request = render_request(ex.request, wrap=wrap, pretty=pretty)
    response = render_response(ex.response, wrap=wrap, pretty=pretty)
    return request.rstrip("\n") + "\n\n" + response


def _display(
    head: list[str], body: bytes, headers: Headers, wrap: int | None, pretty: bool
) -> str:
    if wrap is not None and wrap < 1:
        raise ValueError(f"wrap must be a positive width, got {wrap}")
    return "\n".join(head) + "\n\n" + _display_body(body, headers, wrap, pretty)


def _display_body(body: bytes, headers: Headers, wrap: int | None, pretty: bool) -> str:
    if not body:
        return ""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _binary(body)
    if any(ch < " " and ch not in _TEXT_CONTROLS for ch in text) or "\x7f" in text:
        return _binary(body)
    if pretty and _is_json(headers):
        text = _pretty_json(text)
    text = text.replace("\r\n", "\n")
    if wrap is None:
        return text
    return "\n".join(
        piece for line in text.split("\n") for piece in _chunks(line, wrap)
    )


def _binary(body: bytes) -> str:
    return f"[{len(body)} bytes of binary data]"


def _chunks(line: str, width: int) -> list[str]:
    # Hard breaks, not textwrap: tokens, codes and form bodies have no spaces,
    # and every character must survive (wrapped, never cut).
    return [line[i : i + width] for i in range(0, len(line), width)] or [""]


def _is_json(headers: Headers) -> bool:
    content_type = next(
        (value for name, value in headers if name.lower() == "content-type"), ""
    )
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def _pretty_json(text: str) -> str:
    try:
        value = json.loads(text)
    except ValueError:
        return text  # labelled JSON but is not: show it as it came
    return json.dumps(value, indent=2, ensure_ascii=False)


# --- parsing ---------------------------------------------------------------


def parse_request(data: str | bytes, *, scheme: str = "https") -> HttpRequest:
    """Read a request's wire form back into an `HttpRequest`.

    The URL is `scheme://` + the Host header + the request-target; the wire
    never carries the scheme (TLS does) nor the fragment (browsers keep it).
    Headers, including Host, come back in order; the body is every byte after
    the blank line.
    """
    start, headers, body = _split(data)
    parts = start.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise ValueError(f"not an HTTP request line: {start!r}")
    method, target, _version = parts
    if urlsplit(target).scheme:
        url = target  # absolute-form, as sent to a proxy (RFC 9112 3.2.2)
    else:
        host = next((v for n, v in headers if n.lower() == "host"), None)
        if host is None:
            raise ValueError("request has no Host header to rebuild its URL from")
        url = f"{scheme}://{host}{target}"
    return HttpRequest(method=method, url=url, headers=headers, body=body)


def parse_response(data: str | bytes) -> HttpResponse:
    """Read a response's wire form back into an `HttpResponse`."""
    start, headers, body = _split(data)
    version, _, rest = start.partition(" ")
    status, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/") or not (status.isdigit() and len(status) == 3):
        raise ValueError(f"not an HTTP status line: {start!r}")
    return HttpResponse(status=int(status), reason=reason, headers=headers, body=body)


def _split(data: str | bytes) -> tuple[str, Headers, bytes]:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    # The wire form ends its head with CRLF CRLF; accept a bare LF form too,
    # so text pasted from the display form (without wrapping) parses.
    # Whichever blank line comes first ends the head; the body may hold either.
    ends = [(raw.find(end), end) for end in (b"\r\n\r\n", b"\n\n")]
    found = [(index, end) for index, end in ends if index >= 0]
    if not found:
        raise ValueError("no blank line ends the header section")
    index, end = min(found)
    head, body = raw[:index], raw[index + len(end) :]
    start, *field_lines = head.decode("utf-8").replace("\r\n", "\n").split("\n")
    headers: list[tuple[str, str]] = []
    for line in field_lines:
        # field-line = field-name ":" OWS field-value OWS (RFC 9112 5)
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise ValueError(f"not a header field line: {line!r}")
        headers.append((name, value.strip(" \t")))
    return start, tuple(headers), body
