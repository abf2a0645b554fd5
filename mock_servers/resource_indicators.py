"""Resource indicators (RFC 8707): which API a token is for.

A client may name the protected resource it wants a token for with the
`resource` parameter, at the authorization endpoint and at the token
endpoint. The authorization server knows its resources (`known_resources`),
refuses an unknown, malformed or unauthorized one with `invalid_target`, and
audience-restricts the access token to what was asked: the JWT's `aud` and
introspection's `aud` name that resource.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from authlib.oauth2 import OAuth2Error

from .demo import API_SCOPES
from .error_text import quoted

if TYPE_CHECKING:
    from .models import Client
    from .settings import AuthorizationServerSettings


class InvalidTargetError(OAuth2Error):
    """RFC 8707 2: "The requested resource is invalid, missing, unknown, or
    malformed." A 400 at the token endpoint (RFC 6749 5.2's format); RFC 8693
    2.2.2 uses it for a token exchange target the server "is unwilling or
    unable to issue a token for"."""

    error = "invalid_target"
    status_code = 400


@dataclass(frozen=True)
class ProtectedResource:
    """A protected resource this authorization server issues tokens for.

    `clients` limits which clients may ask for it (None: any client).
    """

    identifier: str
    name: str
    scopes: tuple[str, ...]
    clients: frozenset[str] | None = None

    def allows(self, client_id: str) -> bool:
        return self.clients is None or client_id in self.clients


def known_resources(
    settings: AuthorizationServerSettings,
) -> Mapping[str, ProtectedResource]:
    """The photos API (the default audience), plus any the deployment added."""
    photos = ProtectedResource(
        identifier=settings.resource_server_url,
        name="Photos API",
        scopes=API_SCOPES,
    )
    return {photos.identifier: photos, **settings.extra_resources}


def _comparable(uri: str) -> tuple[str, str, str, str]:
    # RFC 3986 6.2.2 and 6.2.3: scheme and host are case-insensitive, and an
    # empty path is "/" for http(s), so https://api.photos.test and
    # https://api.photos.test/ name one resource.
    parts = urlsplit(uri)
    return (
        parts.scheme.lower(),
        parts.netloc.lower(),
        parts.path or "/",
        parts.query,
    )


def parse_resource(value: str) -> str:
    """RFC 8707 2: the value "MUST be an absolute URI" and "MUST NOT include a
    fragment component"."""
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. "http://[::1": an unclosed IPv6 literal
        parts = urlsplit("")
    if not parts.scheme or not parts.netloc:
        raise InvalidTargetError(
            f"The resource '{quoted(value)}' is not an absolute URI."
        )
    if "#" in value:
        raise InvalidTargetError(f"The resource '{quoted(value)}' has a fragment.")
    return value


def resolve(
    settings: AuthorizationServerSettings, client: Client, values: Iterable[str]
) -> tuple[str, ...]:
    """The registered identifiers of the requested resources, in order;
    invalid_target for one that is malformed, unknown, or not for this client."""
    known = known_resources(settings)
    by_form = {_comparable(identifier): r for identifier, r in known.items()}
    resolved: list[str] = []
    for value in values:
        resource = by_form.get(_comparable(parse_resource(value)))
        if resource is None:
            raise InvalidTargetError(
                f"The resource {quoted(value)} is unknown to this authorization server."
            )
        if not resource.allows(client.client_id):
            raise InvalidTargetError(
                f"The client {client.client_id} may not ask for tokens for "
                f"{resource.identifier}."
            )
        if resource.identifier not in resolved:
            resolved.append(resource.identifier)
    return tuple(resolved)


def requested(payload: Any) -> list[str]:
    """Every `resource` parameter of a request (RFC 8707 2: it may repeat)."""
    return [value for value in payload.datalist.get("resource", []) if value]


def token_audience(
    settings: AuthorizationServerSettings,
    client: Client,
    asked: Iterable[str],
    granted: tuple[str, ...] | None,
) -> tuple[str, ...]:
    """The resources an access token is for.

    RFC 8707 2.2: for an authorization_code or refresh_token request, "policy
    may limit the acceptable resources to those that were originally granted
    by the resource owner or a subset thereof": `granted` is that set (None
    for grants without a resource owner's decision). Without a `resource`
    parameter, the token is for what was granted, or the photos API.
    """
    resources = resolve(settings, client, asked)
    if granted is not None:
        extra = [r for r in resources if r not in granted]
        if extra:
            raise InvalidTargetError(
                f"The resource {extra[0]} was not part of this grant: the "
                f"resource owner approved {' '.join(granted)}."
            )
        return resources or granted
    return resources or (settings.resource_server_url,)


class ResourceIndicators:
    """An Authlib grant extension: check `resource` at the authorization
    endpoint (RFC 8707 2.1), so a bad one is refused before the resource
    owner is asked, with `invalid_target` at the verified redirect URI."""

    def __init__(self, settings: AuthorizationServerSettings) -> None:
        self.settings = settings

    def __call__(self, grant: Any) -> None:
        # The code grant's hook runs where Authlib sends errors to the
        # verified redirect URI; the implicit grant's gets that URI as result.
        grant.register_hook(
            "after_validate_authorization_request_payload", self.validate
        )
        grant.register_hook("after_validate_authorization_request", self.validate)

    def validate(self, grant: Any, redirect_uri: Any = None) -> None:
        request = grant.request
        try:
            resolve(self.settings, request.client, requested(request.payload))
        except InvalidTargetError as error:
            if isinstance(redirect_uri, str):
                error.redirect_uri = redirect_uri
                error.redirect_fragment = grant.ERROR_RESPONSE_FRAGMENT
            raise
