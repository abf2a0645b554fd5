"""Cross-origin requests from browser apps: the Fetch standard's CORS protocol.

A single-page app's requests to the authorization server and the API leave
from a page on another origin, so the browser only lets the app read an
answer that says it may (Fetch, "CORS protocol", 3.2). A `CorsPolicy` says
for one group of endpoints which origins, methods and request headers are
allowed and which response headers the app may read; `install` answers
preflights and marks actual responses.

No policy ever sends `Access-Control-Allow-Credentials`: these endpoints take
no cookies, only tokens and client credentials the app sends itself.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import urlsplit

from flask import Flask, Response, request

DEFAULT_PORTS = MappingProxyType({"http": 80, "https": 443})
ANY_ORIGIN = "*"
# What a browser app sends with its tokens: the access token (RFC 6750 2.1), a
# DPoP proof (RFC 9449 4.1) and a JSON or form body.
BROWSER_REQUEST_HEADERS = ("Authorization", "DPoP", "Content-Type")
# What it must read beyond the safelisted headers: the challenge of a refusal
# (RFC 6750 3) and a server-provided DPoP nonce (RFC 9449 8).
BROWSER_EXPOSED_HEADERS = ("WWW-Authenticate", "DPoP-Nonce")


def origin_of(url: str) -> str | None:
    """The ASCII serialization of a URL's origin (scheme://host[:port]), or None
    for a URL without a web origin (a private-use scheme of a native app)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # "[::1" or a port out of range: no origin
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


@dataclass(frozen=True)
class CorsPolicy:
    """What a group of endpoints allows cross-origin.

    `origins` is None for a public document any origin may read (`*`), or a
    function asked at request time for the origins allowed right now.
    """

    methods: tuple[str, ...]
    origins: Callable[[], Collection[str]] | None = None
    request_headers: tuple[str, ...] = ()
    exposed_headers: tuple[str, ...] = ()
    max_age: int = 600

    @property
    def per_origin(self) -> bool:
        return self.origins is not None

    def allowed_origin(self, origin: str | None) -> str | None:
        """The Access-Control-Allow-Origin value for this Origin, if any."""
        if not origin:
            return None
        if self.origins is None:
            return ANY_ORIGIN
        # An opaque origin serializes as "null": never allowed.
        return origin if origin != "null" and origin in self.origins() else None

    def preflight(self, origin: str, method: str, headers: str) -> Response | None:
        """Fetch 3.2.2: a preflight is OPTIONS with Origin and
        Access-Control-Request-Method; the answer is "an ok status" with the
        Access-Control-Allow-* headers. None when the request is refused: the
        server's ordinary OPTIONS answer then goes back, and without those
        headers the browser fails the CORS check and never sends the request.
        """
        allow_origin = self.allowed_origin(origin)
        wanted = [h.strip().lower() for h in headers.split(",") if h.strip()]
        allowed = {h.lower() for h in self.request_headers}
        if (
            allow_origin is None
            or method not in self.methods
            or any(h not in allowed for h in wanted)
        ):
            return None
        response = Response(status=204)
        response.headers["Access-Control-Allow-Origin"] = allow_origin
        response.headers["Access-Control-Allow-Methods"] = ", ".join(self.methods)
        if self.request_headers:
            response.headers["Access-Control-Allow-Headers"] = ", ".join(
                self.request_headers
            )
        response.headers["Access-Control-Max-Age"] = str(self.max_age)
        return response

    def mark(self, origin: str | None, response: Response) -> None:
        """Fetch 3.2.3: an actual response names the origin allowed to read it
        and the headers beyond the CORS-safelisted ones it may read."""
        allow_origin = self.allowed_origin(origin)
        if allow_origin is None:
            return
        response.headers["Access-Control-Allow-Origin"] = allow_origin
        if self.exposed_headers:
            response.headers["Access-Control-Expose-Headers"] = ", ".join(
                self.exposed_headers
            )


def install(app: Flask, policy_for: Callable[[str], CorsPolicy | None]) -> None:
    """Answer CORS preflights and mark responses on the paths that have a policy."""

    @app.before_request
    def answer_preflight() -> Response | None:
        policy = policy_for(request.path)
        origin = request.headers.get("Origin")
        method = request.headers.get("Access-Control-Request-Method")
        if (
            request.method != "OPTIONS"
            or policy is None
            or request.url_rule is None  # no such route: Flask answers 404/405
            or not origin
            or not method
        ):
            return None
        headers = request.headers.get("Access-Control-Request-Headers", "")
        return policy.preflight(origin, method, headers)

    @app.after_request
    def mark_response(response: Response) -> Response:
        policy = policy_for(request.path)
        if policy is None:
            return response
        if policy.per_origin:
            # RFC 9110 12.5.5 / Fetch 3.2.5: the answer depends on Origin, so
            # a cache must not hand one origin's answer to another.
            response.vary.add("Origin")
        if request.method != "OPTIONS":
            policy.mark(request.headers.get("Origin"), response)
        return response
