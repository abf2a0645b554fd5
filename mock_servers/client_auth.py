"""How the authorization server tells which client is calling (RFC 6749 2.3).

`ClientAuthentication` is Authlib's registry of methods, with two rules of
our own: one method per request, and a refusal that names the methods the
endpoint accepts. `PrivateKeyJWT` adds `private_key_jwt` (RFC 7523 2.2,
OpenID Connect Core 9): the client signs a short-lived JWT with its own
private key; the AS verifies it with the public key registered for the client
and refuses a replayed `jti`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import InvalidClientError, InvalidRequestError
from authlib.oauth2.rfc6749.authenticate_client import (
    ClientAuthentication as _ClientAuthentication,
)
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

if TYPE_CHECKING:
    from .settings import AuthorizationServerSettings

PRIVATE_KEY_JWT = "private_key_jwt"


def methods_used(request: Any) -> list[str]:
    """The client authentication methods whose credentials a request carries."""
    used = []
    scheme, _, _ = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "basic":
        used.append("client_secret_basic")
    if "client_secret" in request.form:
        used.append("client_secret_post")
    if "client_assertion" in request.form or "client_assertion_type" in request.form:
        used.append(PRIVATE_KEY_JWT)
    return used


class ClientAuthenticationFailed(InvalidClientError):
    """invalid_client whose 401 challenge names a realm: RFC 6749 5.2 asks for
    a WWW-Authenticate "matching the authentication scheme used by the
    client", and RFC 7617 2 says Basic's "realm" parameter is REQUIRED."""

    def __init__(self, realm: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.realm = realm

    def get_headers(self) -> list[tuple[str, str]]:
        headers = [h for h in super().get_headers() if h[0] != "WWW-Authenticate"]
        if self.status_code == 401:
            description = self.get_error_description().replace('"', "'")
            headers.append(
                (
                    "WWW-Authenticate",
                    f'Basic realm="{self.realm}", error="{self.error}", '
                    f'error_description="{description}"',
                )
            )
        return headers


class ClientAuthentication(_ClientAuthentication):
    """Authlib's loop over the endpoint's methods, with the refusals worded
    for a learner."""

    def __init__(self, query_client: Any, realm: str) -> None:
        super().__init__(query_client)
        self.realm = realm  # the Basic challenge's realm (RFC 7617 2)

    def authenticate(self, request: Any, methods: Sequence[str], endpoint: str) -> Any:
        used = methods_used(request)
        if len(used) > 1:
            # RFC 6749 2.3: "The client MUST NOT use more than one
            # authentication method in each request."; 5.2: invalid_request
            # when the request "utilizes more than one mechanism for
            # authenticating the client".
            raise InvalidRequestError(
                "The request uses more than one client authentication method ("
                + ", ".join(used)
                + "); RFC 6749 2.3 allows one per request."
            )
        for method in methods:
            client = self._methods[method](self.query_client, request)
            if not client or not client.check_endpoint_auth_method(method, endpoint):
                continue
            # RFC 6749 3.2.1: a confidential client MUST authenticate.
            if method == "none" and not client.check_endpoint_auth_method(
                "none", endpoint
            ):
                continue
            request.auth_method = method
            return client
        # RFC 6749 5.2: 401 (with WWW-Authenticate) when the client tried the
        # Authorization header; Authlib adds the header for that status.
        raise ClientAuthenticationFailed(
            self.realm,
            status_code=401 if "client_secret_basic" in methods else 400,
            description="Client authentication failed; this endpoint accepts "
            + ", ".join(methods)
            + ".",
        )


class PrivateKeyJWT(JWTBearerClientAssertion):
    CLIENT_AUTH_METHOD = PRIVATE_KEY_JWT

    def __init__(self, settings: AuthorizationServerSettings) -> None:
        super().__init__(validate_jti=True)
        self.settings = settings

    def get_audiences(self) -> list[str]:
        # draft-ietf-oauth-rfc7523bis 4 (after the 2025 audience injection
        # findings): for client authentication "the aud (audience) claim value
        # MUST use the issuer identifier [RFC8414] of the authorization server
        # as its sole value". RFC 7523 3 and OIDC Core 9 ("The Audience SHOULD
        # be the URL of the Authorization Server's Token Endpoint") let
        # clients written before it send the token endpoint URL: accepted too,
        # at every endpoint that authenticates clients, but nothing else.
        return [self.settings.issuer, self.settings.token_url]

    def verify_claims(self, claims: jwt.Claims) -> None:
        """Authlib's checks, judged by the world's clock (a lesson's clock is
        frozen or advanced; Authlib's own registry reads the machine's)."""
        registry = jwt.JWTClaimsRegistry(
            now=self.settings.clock.now,
            leeway=self.leeway,
            iss={"essential": True},
            sub={"essential": True},
            aud={"essential": True},
            exp={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as error:
            raise InvalidClientError(description=error.description) from error
        audience = claims["aud"]
        audiences = [audience] if isinstance(audience, str) else list(audience)
        # Every audience value must name this server (never this server "and
        # another one"), compared as simple strings (RFC 7523 3, RFC 3986 6.2.1).
        if not audiences or not set(audiences) <= set(self.get_audiences()):
            raise InvalidClientError(
                description="The assertion's aud must be this server's issuer "
                f"identifier, {self.settings.issuer} (its token endpoint URL, "
                f"{self.settings.token_url}, is accepted too)."
            )
        # RFC 7523 3: iss and sub MUST both be the client_id.
        if claims["sub"] != claims["iss"]:
            raise InvalidClientError(description="Issuer and Subject MUST match.")
        if "jti" not in claims:
            raise InvalidClientError(description="Missing JWT ID.")
        if not self.validate_jti(claims, claims["jti"]):
            raise InvalidClientError(description="JWT ID is used before.")

    def validate_jti(self, claims: Any, jti: str) -> bool:
        return self.settings.store.use_assertion_id(claims["sub"], jti)

    def resolve_client_public_key(self, client: Any) -> KeySet:
        return KeySet.import_key_set(client.jwks or {"keys": []})
