"""Compose any HTTP request to the authorization server or the resource server.

The lessons send well-formed requests; a learner also wants to send a wrong
one (a bad secret, no token, a missing grant_type) and read the server's exact
answer. This module turns the request builder's text boxes into a request,
sends it through a world's virtual network as the client, and hands back the
recorded `Exchange`. It knows nothing of Streamlit.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING
from urllib.parse import quote_plus, urlencode

import httpx

from mock_servers.demo import CLIENTS, DemoClient
from mock_servers.deployment import API_URL, ISSUER, PRINT_LAB_URL
from playground.wire.exchange import Exchange, Headers, Party

if TYPE_CHECKING:
    from playground.world import World

AS = "AS"
RS = "RS"
LAB = "LAB"
TARGETS: Mapping[str, str] = MappingProxyType(
    {AS: ISSUER, RS: API_URL, LAB: PRINT_LAB_URL}
)
TARGET_LABELS: Mapping[str, str] = MappingProxyType(
    {
        AS: "Authorization server (auth.photos.test)",
        RS: "Resource server: the photos API (api.photos.test)",
        LAB: "Resource server: the print lab's API (api.printlab.test)",
    }
)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"

# field-name = token; tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" /
# "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA (RFC 9110 5.1, 5.6.2)
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# field-value: visible ASCII, spaces and tabs (RFC 9110 5.5, without obs-text)
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e]*")
# Set from the request itself, so a typed one could only contradict it.
_COMPUTED_HEADERS = frozenset({"host", "content-length"})

Fields = tuple[tuple[str, str], ...]


class RequestBuilderError(ValueError):
    """The request cannot be built as typed; the message says which line and why."""


@dataclass(frozen=True)
class ComposedRequest:
    """A request ready to send: method, absolute URL, headers and body bytes."""

    method: str
    url: str
    headers: Headers = ()
    body: bytes = b""


@dataclass(frozen=True)
class Credentials:
    """What a demo client adds to a token request to say who it is (RFC 6749 2.3)."""

    client_id: str
    client_type: str
    headers: Headers
    fields: Fields
    note: str


@dataclass(frozen=True)
class Preset:
    """A ready-made request, as the text the builder's boxes hold."""

    id: str
    label: str
    target: str
    method: str
    path: str
    headers: str = ""
    fields: str = ""
    query: str = ""


def parse_headers(text: str) -> Headers:
    """`Name: value` lines into header pairs; blank lines are skipped."""
    headers: list[tuple[str, str]] = []
    for number, line in _lines(text):
        # field-line = field-name ":" OWS field-value OWS (RFC 9112 5)
        name, colon, value = line.partition(":")
        if not colon:
            raise RequestBuilderError(
                f"Header line {number} has no colon: {line!r}. "
                "Write one `Name: value` per line."
            )
        if not _TOKEN.fullmatch(name):
            raise RequestBuilderError(
                f"Header line {number}: {name!r} is not a header name (letters, "
                "digits and !#$%&'*+-.^_`|~ only, no spaces; RFC 9110 5.1)."
            )
        value = value.strip(" \t")
        if not _FIELD_VALUE.fullmatch(value):
            raise RequestBuilderError(
                f"Header line {number}: the value of {name} holds characters "
                "outside printable ASCII."
            )
        if name.lower() in _COMPUTED_HEADERS:
            raise RequestBuilderError(
                f"Header line {number}: {name} is set by the builder from the "
                "target and the body; leave it out."
            )
        headers.append((name, value))
    return tuple(headers)


def parse_fields(text: str) -> Fields:
    """`name=value` lines into pairs (form fields or query parameters).

    Values are typed plain; the builder does the percent-encoding.
    """
    fields: list[tuple[str, str]] = []
    for number, line in _lines(text):
        name, equals, value = line.partition("=")
        name = name.strip()
        if not equals or not name:
            raise RequestBuilderError(
                f"Line {number} is not `name=value`: {line!r}. "
                "Write one `name=value` per line."
            )
        fields.append((name, value.strip()))
    return tuple(fields)


def build_request(
    target: str,
    method: str,
    path: str,
    *,
    headers: Iterable[tuple[str, str]] = (),
    fields: Iterable[tuple[str, str]] = (),
    query: Iterable[tuple[str, str]] = (),
) -> ComposedRequest:
    """A request to the authorization server (AS) or the resource server (RS).

    Form fields become an `application/x-www-form-urlencoded` body, the way
    RFC 6749 3.2 asks token requests to be sent.
    """
    base = _base_url(target)
    method = method.strip().upper()
    if not _TOKEN.fullmatch(method):
        raise RequestBuilderError(
            f"{method!r} is not an HTTP method; try one of {', '.join(METHODS)}."
        )
    path = path.strip() or "/"
    if not path.startswith("/") or "://" in path:
        raise RequestBuilderError(
            f"The path must start with / (e.g. /token), not {path!r}: "
            "the target decides which server the request goes to."
        )
    url = base + path
    query_pairs = list(query)
    if query_pairs:
        url += ("&" if "?" in path else "?") + urlencode(query_pairs)
    header_pairs = list(headers)
    form = list(fields)
    body = b""
    if form:
        body = urlencode(form).encode("ascii")
        if not any(name.lower() == "content-type" for name, _ in header_pairs):
            header_pairs.append(("Content-Type", FORM_CONTENT_TYPE))
    return ComposedRequest(method, url, tuple(header_pairs), body)


def send(world: World, request: ComposedRequest) -> Exchange:
    """Send `request` through the world's network as the client; its Exchange."""
    transcript = world.network.transcript
    seen = {exchange.index for exchange in transcript.exchanges}
    with world.network.client(Party.CLIENT) as http:
        try:
            http.request(
                request.method,
                request.url,
                headers=list(request.headers),
                content=request.body or None,
            )
        except (httpx.HTTPError, UnicodeError) as error:
            raise RequestBuilderError(
                f"The request could not be sent: {error}"
            ) from None
    fresh = [item for item in transcript.exchanges if item.index not in seen]
    # Numbered as it starts, so ours is the first of the new ones; any others
    # are requests a server made while answering (the API fetching the JWKS).
    return min(fresh, key=lambda item: item.index)


def caused_by(world: World, exchange: Exchange) -> list[Exchange]:
    """Exchanges that opened while `exchange` was open: a server's own requests."""
    return [
        item
        for item in world.network.transcript.exchanges
        if exchange.opened < item.opened and item.closed < exchange.closed
    ]


def basic_authorization(client_id: str, client_secret: str) -> str:
    """The Authorization header value for client_secret_basic (RFC 6749 2.3.1).

    The client identifier and secret are form-urlencoded, joined by a colon,
    and base64-encoded (RFC 6749 2.3.1, RFC 7617 2).
    """
    pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}"
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


def credentials(client_id: str, clients: Sequence[DemoClient] = CLIENTS) -> Credentials:
    """How a demo client authenticates at the token endpoint, as builder lines."""
    demo = next((c for c in clients if c.client_id == client_id), None)
    if demo is None:
        known = ", ".join(c.client_id for c in clients)
        raise RequestBuilderError(f"No demo client {client_id!r}; known: {known}.")
    if demo.client_secret:
        return Credentials(
            client_id,
            demo.client_type,
            headers=(
                ("Authorization", basic_authorization(client_id, demo.client_secret)),
            ),
            fields=(),
            note=(
                f"{client_id} is a confidential client: it proves who it is with "
                "its secret in a Basic Authorization header (client_secret_basic)."
            ),
        )
    return Credentials(
        client_id,
        demo.client_type,
        headers=(),
        fields=(("client_id", client_id),),
        note=(
            f"{client_id} is a public client: it has no secret, so it only names "
            "itself with client_id (RFC 6749 2.3, 3.2.1)."
        ),
    )


def headers_text(headers: Iterable[tuple[str, str]]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in headers)


def fields_text(fields: Iterable[tuple[str, str]]) -> str:
    return "\n".join(f"{name}={value}" for name, value in fields)


def add_lines(text: str, lines: str) -> str:
    """`text` with `lines` appended on lines of their own."""
    if not lines:
        return text
    stripped = text.rstrip("\n")
    return f"{stripped}\n{lines}" if stripped else lines


PRESETS: tuple[Preset, ...] = (
    Preset(
        "client_credentials",
        "Token request: client credentials (Print Shop)",
        AS,
        "POST",
        "/token",
        headers=headers_text(credentials("print-shop-service").headers),
        fields="grant_type=client_credentials\nscope=photos.read",
    ),
    Preset(
        "password",
        "Token request: password grant (PhotoPrint Mobile, alice)",
        AS,
        "POST",
        "/token",
        headers=headers_text(credentials("photoprint-mobile").headers),
        fields=(
            "grant_type=password\nusername=alice\npassword=wonderland\n"
            "scope=basic email photos.read"
        ),
    ),
    Preset("api_no_token", "Call the photos API with no token", RS, "GET", "/api/user"),
    Preset(
        "metadata",
        "Authorization server metadata (RFC 8414)",
        AS,
        "GET",
        "/.well-known/oauth-authorization-server",
    ),
    Preset(
        "jwks", "The authorization server's public keys (JWKS)", AS, "GET", "/jwks.json"
    ),
)

PRESETS_BY_ID: Mapping[str, Preset] = MappingProxyType(
    {preset.id: preset for preset in PRESETS}
)


def compose(
    target: str,
    method: str,
    path: str,
    headers: str = "",
    fields: str = "",
    query: str = "",
) -> ComposedRequest:
    """The builder's text boxes, parsed and built in one go."""
    return build_request(
        target,
        method,
        path,
        headers=parse_headers(headers),
        fields=parse_fields(fields),
        query=parse_fields(query),
    )


def _base_url(target: str) -> str:
    key = target.strip().upper()
    aliases = {
        "AUTHORIZATION SERVER": AS,
        "RESOURCE SERVER": RS,
        "API": RS,
    }
    key = aliases.get(key, key)
    if key not in TARGETS:
        choices = "; ".join(f"{name} = {TARGET_LABELS[name]}" for name in TARGETS)
        raise RequestBuilderError(f"Unknown target {target!r}: choose {choices}.")
    return TARGETS[key]


def _lines(text: str) -> list[tuple[int, str]]:
    return [
        (number, line.strip())
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]
