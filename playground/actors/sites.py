"""Origins and sites, as a browser tells them apart.

An *origin* is scheme, host and port (RFC 6454); a *site* is the scheme and the
registrable domain, the part of the host an organisation owns: one label more
than its public suffix (HTML's "same site", schemeful as Chrome applies it).
`auth.photos.test` and `api.photos.test` are two origins of one site;
`photoprint.test` is another site, `attacker.test` a third. The registrable
domain comes from the Public Suffix List (the `publicsuffixlist` package),
where `.test` is a suffix like `.com` (RFC 6761 reserves it). An IP address or
a single-label name such as `localhost` is its own site.
"""

from __future__ import annotations

import ipaddress
from functools import cache
from types import MappingProxyType
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

DEFAULT_PORTS = MappingProxyType({"http": 80, "https": 443})


@cache
def _suffixes() -> PublicSuffixList:
    """The list, parsed once per process (about 30 ms); read-only afterwards."""
    return PublicSuffixList()


def origin_of(url: str) -> str:
    """scheme://host[:port], the port only when not the scheme's default."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None or port == DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def registrable_domain(host: str) -> str:
    """The domain an organisation owns: `auth.photos.test` -> `photos.test`."""
    host = host.strip("[]").lower().rstrip(".")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return _suffixes().privatesuffix(host) or host
    return host


def site_of(url: str) -> str:
    """scheme://registrable-domain: what SameSite cookies and Sec-Fetch-Site
    compare (schemeful same-site)."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{registrable_domain(parts.hostname or '')}"


def same_origin(a: str, b: str) -> bool:
    return origin_of(a) == origin_of(b)


def same_site(a: str, b: str) -> bool:
    return site_of(a) == site_of(b)


def fetch_site(initiator: str | None, target: str) -> str:
    """The Sec-Fetch-Site value (Fetch Metadata): how the request's initiator
    relates to its target; `none` when the user typed the URL."""
    if initiator is None:
        return "none"
    if same_origin(initiator, target):
        return "same-origin"
    if same_site(initiator, target):
        return "same-site"
    return "cross-site"
