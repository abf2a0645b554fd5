"""Protected resource metadata (RFC 9728): the photos API describes itself.

A client that knows only the API's URL fetches this document to learn which
authorization server issues tokens for the API, which scopes it serves and
how to send a token; the API's 401 answers point to it with
`WWW-Authenticate: Bearer resource_metadata="..."` (RFC 9728 5.1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from .demo import API_SCOPES

if TYPE_CHECKING:
    from .settings import ResourceServerSettings

# RFC 9728 3: "By default, the well-known URI string used is
# /.well-known/oauth-protected-resource."
WELL_KNOWN_PATH = "/.well-known/oauth-protected-resource"
RESOURCE_NAME = "Photos API"


def metadata_url(resource: str) -> str:
    """RFC 9728 3: the well-known string goes "between the host component and
    the path and/or query components", after removing "any terminating
    slash (/) following the host component" (3.1)."""
    parts = urlsplit(resource)
    path = parts.path.rstrip("/") if parts.path in ("", "/") else parts.path
    return urlunsplit(
        (parts.scheme, parts.netloc, WELL_KNOWN_PATH + path, parts.query, "")
    )


def protected_resource_metadata(settings: ResourceServerSettings) -> dict[str, Any]:
    """RFC 9728 2: `resource` is REQUIRED and is the resource identifier the
    metadata URL was built from (3.3); the rest is what a client needs."""
    return {
        "resource": settings.url,
        "authorization_servers": [settings.issuer],
        "scopes_supported": list(API_SCOPES),
        # RFC 9728 2 / RFC 6750 2.1: only the Authorization header; tokens in
        # the query or the body leak (RFC 9700 4.3.2).
        "bearer_methods_supported": ["header"],
        "resource_name": RESOURCE_NAME,
        "resource_documentation": f"{settings.url}/",
    }


def challenge_parameter(settings: ResourceServerSettings) -> str:
    """RFC 9728 5.1: the `resource_metadata` parameter of a 401's challenge."""
    return f'resource_metadata="{metadata_url(settings.url)}"'
