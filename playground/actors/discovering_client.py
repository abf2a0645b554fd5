"""A client that knows only an API's URL, and finds everything else.

It asks the API without a token; the 401's `WWW-Authenticate` names the
API's protected resource metadata (RFC 9728 5.1), which names its
authorization server; that server's metadata (RFC 8414) names the
registration, authorization and token endpoints; the client registers itself
(RFC 7591), then runs the authorization code flow with PKCE, naming the API
with `resource` (RFC 8707) in both requests. This is the discovery the Model
Context Protocol's authorization (2025-06-18) asks of its clients. Each check
a careful client makes is a method that says what it refused and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from mock_servers.clock import Clock
from mock_servers.randomness import Randomness
from playground.actors.oauth_client import OAuthClient

PRM_SUFFIX = "/.well-known/oauth-protected-resource"
AS_METADATA_SUFFIX = "/.well-known/oauth-authorization-server"


class DiscoveryError(Exception):
    """Metadata a careful client must not use; the message says which rule."""


def well_known_url(identifier: str, suffix: str) -> str:
    """RFC 9728 3 / RFC 8414 3: the well-known string goes between the host
    and the path, a terminating slash after the host removed."""
    parts = urlsplit(identifier)
    path = "" if parts.path == "/" else parts.path
    return urlunsplit((parts.scheme, parts.netloc, suffix + path, parts.query, ""))


def challenge_parameter(header: str, name: str) -> str | None:
    """One quoted auth-param of a `WWW-Authenticate` challenge (RFC 9110 11.6.1)."""
    match = re.search(rf'(?:^|[\s,]){re.escape(name)}="([^"]*)"', header)
    return match.group(1) if match else None


def registered_redirect_uri(uri: str) -> str:
    """RFC 8252 7.3: a native app registers its loopback redirect URI without
    a port, and picks a free port for each authorization request."""
    parts = urlsplit(uri)
    if parts.hostname in ("127.0.0.1", "::1") and parts.port:
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        return urlunsplit(parts._replace(netloc=host))
    return uri


@dataclass
class DiscoveringClient:
    api_url: str
    http: httpx.Client
    randomness: Randomness
    clock: Clock
    client_name: str
    redirect_uri: str
    scope: str = "basic photos.read"
    resource_metadata: dict[str, Any] = field(default_factory=dict)
    server_metadata: dict[str, Any] = field(default_factory=dict)
    oauth: OAuthClient | None = None

    # -- RFC 9728: the API says where its metadata is ---------------------------
    def call_api(self, path: str = "/api/photos") -> httpx.Response:
        """Call the API; with no token yet, the 401 is the start of discovery."""
        if self.oauth is not None and self.oauth.tokens:
            return self.oauth.call_api(path)
        return self.http.get(f"{self.api_url}{path}")

    def metadata_url_from(self, response: httpx.Response) -> str:
        """RFC 9728 5.1: the `resource_metadata` of the 401's challenge. The
        client accepts only the URL it would build itself from the API's
        resource identifier (RFC 9728 3), so a challenge cannot send it to
        metadata about another resource."""
        challenge = response.headers.get("WWW-Authenticate", "")
        url = challenge_parameter(challenge, "resource_metadata")
        if url is None:
            raise DiscoveryError("The 401 challenge has no resource_metadata.")
        expected = well_known_url(self.api_url, PRM_SUFFIX)
        if url != expected:
            raise DiscoveryError(
                f"resource_metadata {url} is not {expected}, the metadata URL "
                f"of {self.api_url} (RFC 9728 3)."
            )
        return url

    def fetch_resource_metadata(self, url: str) -> httpx.Response:
        response = self.http.get(url)
        metadata = response.json() if response.status_code == 200 else {}
        self.check_resource_metadata(metadata)
        self.resource_metadata = metadata
        return response

    def check_resource_metadata(self, metadata: dict[str, Any]) -> None:
        """RFC 9728 3.3: "The resource value returned MUST be identical to the
        protected resource's resource identifier value into which the
        well-known URI path suffix was inserted ... If these values are not
        identical, the data contained in the response MUST NOT be used.\""""
        resource = metadata.get("resource")
        if resource != self.api_url:
            raise DiscoveryError(
                f"resource {resource!r} is not {self.api_url!r}: the metadata "
                "must not be used (RFC 9728 3.3)."
            )
        if not metadata.get("authorization_servers"):
            raise DiscoveryError("The metadata names no authorization server.")

    # -- RFC 8414: the authorization server describes itself ----------------------
    @property
    def issuer(self) -> str:
        return str(self.resource_metadata["authorization_servers"][0])

    def fetch_server_metadata(self) -> httpx.Response:
        response = self.http.get(well_known_url(self.issuer, AS_METADATA_SUFFIX))
        metadata = response.json() if response.status_code == 200 else {}
        self.check_server_metadata(metadata)
        self.server_metadata = metadata
        return response

    def check_server_metadata(self, metadata: dict[str, Any]) -> None:
        """RFC 8414 3.3: "The "issuer" value returned MUST be identical to the
        authorization server's issuer identifier value into which the
        well-known URI string was inserted"; and RFC 9728 4's list of the
        server's resources, cross-checked when the server publishes it."""
        if metadata.get("issuer") != self.issuer:
            raise DiscoveryError(
                f"issuer {metadata.get('issuer')!r} is not {self.issuer!r} "
                "(RFC 8414 3.3)."
            )
        resources = metadata.get("protected_resources")
        if resources is not None and self.api_url not in resources:
            raise DiscoveryError(
                f"{self.issuer} does not list {self.api_url} among its "
                "protected_resources (RFC 9728 4)."
            )

    # -- RFC 7591: it registers itself --------------------------------------------
    def register(self) -> httpx.Response:
        response = self.http.post(
            self.server_metadata["registration_endpoint"],
            json={
                "client_name": self.client_name,
                "redirect_uris": [registered_redirect_uri(self.redirect_uri)],
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "none",
                "scope": self.scope,
            },
        )
        if response.status_code == 201:
            self.oauth = OAuthClient(
                client_id=response.json()["client_id"],
                http=self.http,
                issuer=self.issuer,
                api_url=self.api_url,
                randomness=self.randomness,
                clock=self.clock,
                auth_method="none",
                redirect_uri=self.redirect_uri,
            )
        return response

    # -- the authorization code flow, for this API (RFC 8707) ---------------------
    def authorization_url(self) -> str:
        assert self.oauth is not None, "register first"
        return self.oauth.authorization_url(
            self.scope, pkce_method="S256", extra={"resource": self.api_url}
        )

    def redeem(self, code: str, resource: str | None = None) -> httpx.Response:
        """RFC 8707 2.2: the token request names the resource too."""
        assert self.oauth is not None and self.oauth.pending is not None
        pending = self.oauth.pending
        return self.oauth.token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": pending.redirect_uri,
                "code_verifier": pending.code_verifier,
                "resource": resource or self.api_url,
            }
        )

    def refresh(self, resource: str) -> httpx.Response:
        assert self.oauth is not None
        return self.oauth.token_request(
            {
                "grant_type": "refresh_token",
                "refresh_token": self.oauth.tokens.get("refresh_token", ""),
                "resource": resource,
            }
        )

    @property
    def tokens(self) -> dict[str, Any]:
        return self.oauth.tokens if self.oauth else {}
