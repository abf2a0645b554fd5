"""The browser's side of CORS (the Fetch standard's CORS protocol).

A script on one origin may *send* a simple request anywhere; it may *read* the
answer only if the server says so (`Access-Control-Allow-Origin`). A request
that is not simple (an `Authorization` or `DPoP` header, a JSON body, a method
other than GET, HEAD or POST) is first announced by a preflight `OPTIONS`, and
goes out only if the preflight's answer allows its method and headers. The
errors are worded like Chrome's console, which is where a developer meets them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

SIMPLE_METHODS = frozenset({"GET", "HEAD", "POST"})
# Fetch: CORS-safelisted request headers (Content-Type only with these types).
SAFELISTED_REQUEST_HEADERS = frozenset(
    {"accept", "accept-language", "content-language", "content-type"}
)
SAFELISTED_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
# Fetch: CORS-safelisted response headers, readable without being exposed.
SAFELISTED_RESPONSE_HEADERS = frozenset(
    {
        "cache-control",
        "content-language",
        "content-length",
        "content-type",
        "expires",
        "last-modified",
        "pragma",
    }
)
# Chrome caches a preflight 5 s without Access-Control-Max-Age, 2 h at most.
DEFAULT_MAX_AGE = 5
MAX_MAX_AGE = 7200


class CorsError(RuntimeError):
    """What a script sees when CORS blocks it: fetch() rejects with a
    TypeError, and the console says why (this message)."""


def unsafe_request_headers(headers: Mapping[str, str]) -> list[str]:
    """The headers a script set that are not CORS-safelisted, lowercased and
    sorted, as `Access-Control-Request-Headers` lists them."""
    unsafe = []
    for name, value in headers.items():
        lowered = name.lower()
        if lowered == "content-type":
            essence = value.split(";", 1)[0].strip().lower()
            if essence in SAFELISTED_CONTENT_TYPES:
                continue
        elif lowered in SAFELISTED_REQUEST_HEADERS:
            continue
        unsafe.append(lowered)
    return sorted(set(unsafe))


def needs_preflight(method: str, headers: Mapping[str, str]) -> bool:
    return method.upper() not in SIMPLE_METHODS or bool(unsafe_request_headers(headers))


def _blocked(url: str, origin: str, reason: str) -> str:
    return (
        f"Access to fetch at '{url}' from origin '{origin}' has been blocked by "
        f"CORS policy: {reason}"
    )


def origin_problem(
    response: httpx.Response, origin: str, *, credentials: bool
) -> str | None:
    """Why the response's Access-Control-Allow-Origin does not let `origin`
    read it (the Fetch "CORS check"), or None when it does."""
    allowed = response.headers.get_list("access-control-allow-origin")
    if not allowed:
        return (
            "No 'Access-Control-Allow-Origin' header is present on the requested "
            "resource."
        )
    if len(allowed) > 1:
        return (
            "The 'Access-Control-Allow-Origin' header contains multiple values "
            f"'{', '.join(allowed)}', but only one is allowed."
        )
    (value,) = allowed
    if value == "*" and credentials:
        return (
            "The value of the 'Access-Control-Allow-Origin' header in the response "
            "must not be the wildcard '*' when the request's credentials mode is "
            "'include'."
        )
    if value not in ("*", origin):
        return (
            f"The 'Access-Control-Allow-Origin' header has a value '{value}' that "
            "is not equal to the supplied origin."
        )
    if credentials and response.headers.get("access-control-allow-credentials") != (
        "true"
    ):
        return (
            "The value of the 'Access-Control-Allow-Credentials' header in the "
            "response is '' which must be 'true' when the request's credentials "
            "mode is 'include'."
        )
    return None


def check_response(
    url: str, response: httpx.Response, origin: str, *, credentials: bool
) -> None:
    problem = origin_problem(response, origin, credentials=credentials)
    if problem is not None:
        raise CorsError(_blocked(url, origin, problem))


def check_preflight(
    url: str,
    response: httpx.Response,
    origin: str,
    method: str,
    headers: list[str],
    *,
    credentials: bool,
) -> tuple[frozenset[str], frozenset[str], int]:
    """The Fetch "CORS-preflight fetch" checks; returns what it allows
    (methods, headers, max age) for the preflight cache, or raises."""
    prefix = "Response to preflight request doesn't pass access control check: "
    problem = origin_problem(response, origin, credentials=credentials)
    if problem is not None:
        raise CorsError(_blocked(url, origin, prefix + problem))
    if not 200 <= response.status_code < 300:
        raise CorsError(
            _blocked(url, origin, prefix + "It does not have HTTP ok status.")
        )
    methods = _tokens(response.headers.get("access-control-allow-methods", ""))
    allowed_headers = _tokens(
        response.headers.get("access-control-allow-headers", ""), lower=True
    )
    wildcard = not credentials
    if (
        method.upper() not in SIMPLE_METHODS
        and method.upper() not in methods
        and not (wildcard and "*" in methods)
    ):
        raise CorsError(
            _blocked(
                url,
                origin,
                f"Method {method.upper()} is not allowed by "
                "Access-Control-Allow-Methods in preflight response.",
            )
        )
    for name in headers:
        # Fetch: `*` never stands for Authorization, which must be named.
        covered = name in allowed_headers or (
            wildcard and "*" in allowed_headers and name != "authorization"
        )
        if not covered:
            raise CorsError(
                _blocked(
                    url,
                    origin,
                    f"Request header field {name} is not allowed by "
                    "Access-Control-Allow-Headers in preflight response.",
                )
            )
    try:
        max_age = int(response.headers.get("access-control-max-age", DEFAULT_MAX_AGE))
    except ValueError:
        max_age = DEFAULT_MAX_AGE
    return frozenset(methods), frozenset(allowed_headers), min(max_age, MAX_MAX_AGE)


def readable_headers(response: httpx.Response) -> httpx.Headers:
    """The response headers a script may read: the safelisted ones, and those
    the server lists in Access-Control-Expose-Headers."""
    exposed = _tokens(
        response.headers.get("access-control-expose-headers", ""), lower=True
    )
    return httpx.Headers(
        [
            (name, value)
            for name, value in response.headers.multi_items()
            if name.lower() in SAFELISTED_RESPONSE_HEADERS
            or name.lower() in exposed
            or "*" in exposed
        ]
    )


def _tokens(value: str, *, lower: bool = False) -> set[str]:
    items = {item.strip() for item in value.split(",") if item.strip()}
    return {item.lower() for item in items} if lower else items


@dataclass
class PreflightCache:
    """Chrome's CORS-preflight cache: one entry per origin, URL and credentials
    mode, kept for the preflight's max age on the world's clock."""

    entries: dict[tuple[str, str, bool], tuple[float, frozenset, frozenset]] = field(
        default_factory=dict
    )

    def covers(
        self,
        origin: str,
        url: str,
        method: str,
        headers: list[str],
        *,
        credentials: bool,
        now: float,
    ) -> bool:
        entry = self.entries.get((origin, url, credentials))
        if entry is None or entry[0] <= now:
            return False
        _, methods, allowed = entry
        method_ok = method.upper() in SIMPLE_METHODS or method.upper() in methods
        return method_ok and all(name in allowed for name in headers)

    def remember(
        self,
        origin: str,
        url: str,
        methods: frozenset,
        headers: frozenset,
        max_age: int,
        *,
        credentials: bool,
        now: float,
    ) -> None:
        if max_age > 0:
            self.entries[(origin, url, credentials)] = (now + max_age, methods, headers)
