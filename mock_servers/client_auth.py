"""How the authorization server tells which client is calling (RFC 6749 2.3).

`ClientAuthentication` is Authlib's registry of methods, with two rules of
our own: one method per request, and a refusal that names the methods the
endpoint accepts. `PrivateKeyJWT` adds `private_key_jwt` (RFC 7523 2.2,
OpenID Connect Core 9): the client signs a short-lived JWT with its own
private key; the AS verifies it with the public key registered for the client
and refuses a replayed `jti`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

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
CLIENT_SECRET_BASIC = "client_secret_basic"
# How far ahead a client assertion's exp may be (RFC 7523 3 lets us choose).
MAX_ASSERTION_LIFETIME = 3600
# RFC 9110 11.2: token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


@dataclass(frozen=True)
class BasicCredentials:
    """What an `Authorization: Basic` header says, or why it says nothing."""

    client_id: str | None = None
    client_secret: str | None = None
    problem: str | None = None


def basic_credentials(authorization: str | None) -> BasicCredentials | None:
    """Read `Authorization: Basic` as RFC 6749 2.3.1 and RFC 7617 2 define it;
    None when the header is absent or names another scheme.

    Authlib decodes the base64 to text without a guard, so bytes that are not
    UTF-8 ended in a 500; here every malformed header is a `problem`.
    """
    scheme, _, credentials = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    credentials = credentials.strip(" ")
    if "," in credentials:
        # Two Authorization header lines arrive joined by a comma (RFC 9110
        # 5.3); Authorization holds one credential (RFC 9110 11.6.2).
        return BasicCredentials(
            problem="The request carries more than one Authorization credential."
        )
    if not TOKEN68.fullmatch(credentials):
        return BasicCredentials(problem="The Basic credentials are not base64.")
    try:
        # RFC 7617 2: base64 of user-id ":" password, in UTF-8 (2.1).
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return BasicCredentials(
            problem="The Basic credentials are not base64 of UTF-8 text."
        )
    client_id, colon, client_secret = decoded.partition(":")
    if not colon:
        return BasicCredentials(
            problem="The Basic credentials must be client_id:client_secret."
        )
    # RFC 6749 2.3.1: both are form-urlencoded before they are joined.
    return BasicCredentials(unquote(client_id), unquote(client_secret))


def authenticate_client_secret_basic(query_client: Any, request: Any) -> Any:
    """RFC 6749 2.3.1 `client_secret_basic`, refusing a malformed header with
    401 and a Basic challenge (RFC 6749 5.2) instead of failing."""
    credentials = basic_credentials(request.headers.get("Authorization"))
    if credentials is None:
        return None
    if credentials.problem:
        raise InvalidClientError(
            status_code=401,
            description=credentials.problem + " (RFC 6749 2.3.1, RFC 7617 2)",
        )
    if not credentials.client_id or not credentials.client_secret:
        return None
    client = query_client(credentials.client_id)
    if client is None or not client.check_client_secret(credentials.client_secret):
        return None
    return client


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
        self.register(CLIENT_SECRET_BASIC, authenticate_client_secret_basic)

    def authenticate(self, request: Any, methods: Sequence[str], endpoint: str) -> Any:
        credentials = basic_credentials(request.headers.get("Authorization"))
        if (
            credentials is not None
            and credentials.problem
            and "," in (request.headers.get("Authorization") or "")
        ):
            # RFC 6749 5.2: invalid_request, "utilizes more than one mechanism
            # for authenticating the client" (here, two Authorization lines).
            raise InvalidRequestError(
                credentials.problem + " RFC 6749 2.3 allows one per request."
            )
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

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> Any:
        header, _ = self.extract_assertion(assertion)
        if "crit" in header:
            # RFC 7515 4.1.11: a JWS whose crit lists an extension the
            # recipient does not understand is invalid; this server
            # understands none. (joserfc failed with a TypeError on a crit
            # that is not a list of strings: a 500.)
            raise InvalidClientError(
                description="The client assertion's crit header names extensions "
                "this server does not support (RFC 7515 4.1.11)."
            )
        try:
            return super().process_assertion_claims(assertion, resolve_key)
        except (TypeError, ValueError, KeyError) as error:
            # A header or claim of a type the JOSE library did not expect.
            raise InvalidClientError(
                description="The client assertion is malformed."
            ) from error

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
        if claims["exp"] > self.settings.clock.now() + MAX_ASSERTION_LIFETIME:
            # RFC 7523 3: "The authorization server MAY reject JWTs with an
            # "exp" claim value that is unreasonably far in the future"; its
            # jti is remembered until then, against replay.
            raise InvalidClientError(
                description="The assertion's exp is more than "
                f"{MAX_ASSERTION_LIFETIME} s ahead; a client assertion is short-lived."
            )
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
        if not isinstance(claims["jti"], str):
            # RFC 7519 4.1.7: the jti value is a case-sensitive string.
            raise InvalidClientError(description="Invalid claim: 'jti'")
        if not self.validate_jti(claims, claims["jti"]):
            raise InvalidClientError(description="JWT ID is used before.")

    def validate_jti(self, claims: Any, jti: str) -> bool:
        # Remembered until the assertion expires (its exp passed the checks).
        expires_at = int(claims["exp"]) + self.leeway
        return self.settings.store.use_assertion_id(claims["sub"], jti, expires_at)

    def resolve_client_public_key(self, client: Any) -> KeySet:
        return KeySet.import_key_set(client.jwks or {"keys": []})
