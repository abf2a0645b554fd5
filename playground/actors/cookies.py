"""A browser's cookie jar, with the rules that decide which cookies go along.

Storage follows RFC 6265 (domain and path matching, `Secure`, `Max-Age` and
`Expires` judged by the world's clock); sending follows the `SameSite` rules
of RFC 6265bis as Chrome applies them:

* `Strict`: only on same-site requests;
* `Lax` (and a cookie that names no SameSite, Lax by default since Chrome 80):
  also on a cross-site *top-level navigation* with a safe method (a link or a
  redirect, GET), never in a frame, a cross-site form POST or a `fetch`;
* `None` (needs `Secure`): on every request, as Chrome does while it lets
  third-party cookies through; Firefox and Safari partition or block them.

This is why OAuth's redirects work with `Lax` session cookies, and why a
framed page on another site sees its visitor signed out.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@dataclass(frozen=True)
class Cookie:
    name: str
    value: str
    domain: str
    host_only: bool
    path: str
    secure: bool = False
    http_only: bool = False
    same_site: str | None = None  # "Strict", "Lax", "None" or None (not said)
    expires: float | None = None  # None: a session cookie, gone with the browser

    @property
    def effective_same_site(self) -> str:
        """What the browser enforces: an unsaid SameSite is Lax (Chrome 80+)."""
        return self.same_site or "Lax"


@dataclass(frozen=True)
class RequestSite:
    """How a request relates to the page that caused it, for SameSite."""

    same_site: bool  # initiator (and every frame above) on the target's site
    top_level_navigation: bool  # the address bar moves (not a frame, not fetch)


class CookieJar:
    def __init__(self) -> None:
        self._cookies: dict[tuple[str, str, str], Cookie] = {}

    def __iter__(self):
        return iter(list(self._cookies.values()))

    def names(self) -> list[str]:
        return sorted({cookie.name for cookie in self._cookies.values()})

    def get(self, name: str) -> Cookie | None:
        return next((c for c in self._cookies.values() if c.name == name), None)

    # storing: RFC 6265 5.3 (the storage model)
    def store(
        self,
        url: str,
        set_cookie: list[str],
        now: float | None = None,
        site: RequestSite | None = None,
    ) -> None:
        """Keep what a response sets. `site` says how the request related to
        the page that caused it: RFC 6265bis (the storage model) ignores a
        Lax or Strict cookie set in answer to a cross-site request that is
        not a top-level navigation, such as an `<img>` or a frame."""
        moment = time.time() if now is None else now
        for header in set_cookie:
            cookie = parse_set_cookie(url, header, moment)
            if cookie is None:
                continue
            if (
                site is not None
                and cookie.effective_same_site != "None"
                and not site.same_site
                and not site.top_level_navigation
            ):
                continue
            key = (cookie.domain, cookie.path, cookie.name)
            if cookie.expires is not None and cookie.expires <= moment:
                self._cookies.pop(key, None)  # an expiry in the past deletes it
            else:
                self._cookies[key] = cookie

    # sending: RFC 6265 5.4 and RFC 6265bis 5.8.3 (SameSite)
    def header_for(
        self,
        url: str,
        method: str,
        site: RequestSite,
        now: float | None = None,
    ) -> str | None:
        moment = time.time() if now is None else now
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        path = parts.path or "/"
        chosen = [
            cookie
            for cookie in self._cookies.values()
            if _domain_matches(cookie, host)
            and _path_matches(path, cookie.path)
            and (not cookie.secure or parts.scheme == "https")
            and (cookie.expires is None or cookie.expires > moment)
            and _same_site_allows(cookie, method, site)
        ]
        # RFC 6265 5.4: longer paths first.
        chosen.sort(key=lambda cookie: -len(cookie.path))
        if not chosen:
            return None
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in chosen)


def _same_site_allows(cookie: Cookie, method: str, site: RequestSite) -> bool:
    mode = cookie.effective_same_site
    if mode == "None" or site.same_site:
        return True
    if mode == "Lax":
        # RFC 6265bis 5.8.3: a cross-site request carries Lax cookies only
        # when it is a top-level navigation with a safe method.
        return site.top_level_navigation and method.upper() in SAFE_METHODS
    return False


def parse_set_cookie(url: str, header: str, now: float) -> Cookie | None:
    """One Set-Cookie header (RFC 6265 5.2), or None when a browser ignores it."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    pair, *attributes = header.split(";")
    if "=" not in pair:
        return None
    name, value = (piece.strip() for piece in pair.split("=", 1))
    if not name:
        return None
    domain, path, secure, http_only = "", "", False, False
    same_site: str | None = None
    expires: float | None = None
    max_age: float | None = None
    for attribute in attributes:
        key, _, argument = attribute.strip().partition("=")
        key, argument = key.strip().lower(), argument.strip()
        if key == "expires":
            with contextlib.suppress(TypeError, ValueError, IndexError):
                expires = parsedate_to_datetime(argument).timestamp()
        elif key == "max-age":
            with contextlib.suppress(ValueError):
                max_age = float(int(argument))
        elif key == "domain" and argument:
            domain = argument.lstrip(".").lower()
        elif key == "path" and argument.startswith("/"):
            path = argument
        elif key == "secure":
            secure = True
        elif key == "httponly":
            http_only = True
        elif key == "samesite":
            same_site = {"strict": "Strict", "lax": "Lax", "none": "None"}.get(
                argument.lower()
            )
    if max_age is not None:  # Max-Age wins over Expires (RFC 6265 5.3 step 3)
        expires = now + max_age if max_age > 0 else now
    if domain and not (host == domain or host.endswith("." + domain)):
        return None  # a site may not set cookies for another (RFC 6265 5.3 step 6)
    if secure and parts.scheme != "https":
        return None  # RFC 6265bis 5.6 step 13: Secure only from a secure origin
    if same_site == "None" and not secure:
        return None  # Chrome rejects SameSite=None without Secure
    return Cookie(
        name=name,
        value=value,
        domain=domain or host,
        host_only=not domain,
        path=path or _default_path(parts.path),
        secure=secure,
        http_only=http_only,
        same_site=same_site,
        expires=expires,
    )


def _default_path(request_path: str) -> str:
    """RFC 6265 5.1.4: the directory of the request's path."""
    if not request_path.startswith("/") or request_path.count("/") == 1:
        return "/"
    return request_path.rsplit("/", 1)[0]


def _domain_matches(cookie: Cookie, host: str) -> bool:
    if cookie.host_only:
        return host == cookie.domain
    return host == cookie.domain or host.endswith("." + cookie.domain)


def _path_matches(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 5.1.4 path-match."""
    if request_path == cookie_path:
        return True
    if request_path.startswith(cookie_path):
        return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    return False
