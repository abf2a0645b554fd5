"""Bearer token errors as RFC 6750 3 words them, for the AS's `/userinfo`.

Authlib's `ResourceProtector` answers a missing `Authorization` header with
401 `missing_authorization` (not an RFC 6750 error code) and a lacking scope
with 403 and no challenge. RFC 6750 3 asks for a `WWW-Authenticate: Bearer`
challenge on every one of these answers, and 3.1 for no error code at all when
the request carried no credentials.
"""

from __future__ import annotations

import re
from typing import Any

from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6750 import BearerTokenValidator

from .models import Token
from .store import Store

# RFC 6750 2.1: credentials = "Bearer" 1*SP b64token, and
# b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


def bearer_token(
    authorization: str, schemes: tuple[str, ...] = ("bearer",)
) -> str | None:
    """The access token of an `Authorization: Bearer` header (or of another
    of `schemes` with the same token68 syntax, e.g. RFC 9449 7.1's DPoP), or
    None when the header is not that (another scheme, no token, two tokens
    joined by a comma because two Authorization lines were sent, or a stray
    character)."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip(" ")
    if scheme.lower() not in schemes or not B64TOKEN.fullmatch(token):
        return None
    return token


def challenge(
    realm: str,
    error: str | None = None,
    description: str | None = None,
    scope: str | None = None,
) -> str:
    """The value of a `WWW-Authenticate` header for the Bearer scheme (RFC 6750 3)."""
    params = [f'realm="{realm}"']
    if error:
        params.append(f'error="{error}"')
    if description:
        params.append(f'error_description="{description}"')
    if scope:
        params.append(f'scope="{scope}"')
    return "Bearer " + ", ".join(params)


class BearerError(OAuth2Error):
    """An answer to a protected resource request, challenge included.

    With no `error` it is RFC 6750 3.1's answer to a request without
    credentials: 401, the challenge, and "no error code or other error
    information".
    """

    def __init__(
        self,
        realm: str,
        error: str | None = None,
        description: str | None = None,
        status_code: int = 401,
        scope: str | None = None,
    ) -> None:
        super().__init__(description=description, status_code=status_code)
        self.error = error
        self.realm = realm
        self.scope = scope

    def get_headers(self) -> list[tuple[str, str]]:
        value = challenge(self.realm, self.error, self.description or None, self.scope)
        if self.error is None:
            return [("WWW-Authenticate", value), ("Cache-Control", "no-store")]
        return [*super().get_headers(), ("WWW-Authenticate", value)]

    def __call__(self, uri: str | None = None) -> tuple[int, Any, list]:
        if self.error is None:
            return self.status_code, "", self.get_headers()
        return super().__call__(uri)


class BearerProtector(ResourceProtector):
    """Reads `Authorization: Bearer <token>` and answers as RFC 6750 3 asks."""

    def __init__(self, realm: str, validator: StoredTokenValidator) -> None:
        super().__init__()
        self.realm = realm
        self.register_token_validator(validator)

    def parse_request_authorization(self, request: Any) -> tuple[Any, str]:
        authorization = request.headers.get("Authorization")
        if not authorization:
            # RFC 6750 3.1: "If the request lacks any authentication
            # information ..., the resource server SHOULD NOT include an error
            # code or other error information."
            raise BearerError(self.realm)
        token_string = bearer_token(authorization)
        if token_string is None:
            # RFC 6750 3.1: invalid_request, "otherwise malformed".
            raise BearerError(
                self.realm,
                "invalid_request",
                "The Authorization header must be 'Bearer <access token>'.",
                status_code=400,
            )
        return self.get_token_validator("bearer"), token_string


class StoredTokenValidator(BearerTokenValidator):
    """The AS knows its own tokens: it looks the string up, no JWT parsing."""

    def __init__(self, realm: str, store: Store) -> None:
        super().__init__(realm=realm)
        self.store = store

    def authenticate_token(self, token_string: str) -> Token | None:
        return self.store.token_by_access_token(token_string)

    def validate_token(self, token: Token | None, scopes: Any, request: Any) -> None:
        # RFC 6750 3.1: invalid_token -> 401; insufficient_scope -> 403, and
        # the challenge MAY name the scope needed.
        if token is None:
            raise self._invalid("The access token is not known to this server.")
        if token.is_revoked():
            raise self._invalid("The access token has been revoked.")
        if token.is_expired():
            raise self._invalid("The access token has expired.")
        if token.dpop_jkt is not None:
            # RFC 9449 7.2: a DPoP-bound token received as a bearer token is
            # refused; this endpoint takes bearer tokens only.
            raise self._invalid(
                "The access token is DPoP-bound; /userinfo takes bearer tokens only."
            )
        if self.scope_insufficient(token.get_scope(), scopes):
            needed = " ".join(scopes)
            raise BearerError(
                self.realm,
                "insufficient_scope",
                f"The access token lacks the scope {needed}.",
                status_code=403,
                scope=needed,
            )

    def _invalid(self, reason: str) -> BearerError:
        return BearerError(self.realm, "invalid_token", reason)
