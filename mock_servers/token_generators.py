"""Access tokens: RFC 9068 JWTs signed with the world's key, or opaque strings.

Authlib's `JWTBearerTokenGenerator` builds RFC 9068 tokens but reads
`time.time()`; a lesson advances the world's clock to show expiry, so `iat`
and `exp` must come from that clock. We keep Authlib's hooks (`get_jti`,
`get_audiences`, `get_extra_claims`) and only supply the time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from joserfc import jwt
from joserfc.jwk import KeySet

from .dpop_binding import confirmation_claim

if TYPE_CHECKING:
    from .settings import AuthorizationServerSettings

# RFC 9068 2.1: JWT access tokens MUST include "at+jwt" in the "typ" header;
# "application/at+jwt" is the same media type written in full (RFC 7515 4.1.9).
ACCESS_TOKEN_TYP = "at+jwt"
ACCESS_TOKEN_TYPES = frozenset({ACCESS_TOKEN_TYP, "application/at+jwt"})


class AccessTokenGenerator(JWTBearerTokenGenerator):
    def __init__(self, settings: AuthorizationServerSettings) -> None:
        super().__init__(
            issuer=settings.issuer,
            alg=settings.signing_key.alg,
            refresh_token_generator=self.refresh_token,
            expires_generator=self.expires_in,
        )
        self.settings = settings

    def get_jwks(self) -> KeySet:
        return self.settings.signing_key.key_set()

    def get_audiences(self, client: Any, user: Any, scope: str) -> str:
        # RFC 9068 3: without a resource indicator, the default is our one API.
        return self.settings.resource_server_url

    def __call__(
        self,
        grant_type: str,
        client: Any,
        user: Any = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
        audience: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """Authlib's bearer token response (RFC 6749 5.1), for `audience`:
        the resources the token is for (RFC 8707 2)."""
        scope = self.get_allowed_scope(client, scope)
        token: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": self.access_token_generator(
                client, grant_type, user, scope, audience=audience
            ),
            "expires_in": expires_in or self.expires_in(client, grant_type),
        }
        if include_refresh_token:
            token["refresh_token"] = self.refresh_token()
        if scope:
            token["scope"] = scope
        return token

    def get_jti(self, client: Any, grant_type: str, user: Any, scope: str) -> str:
        return self.settings.randomness.token(16)

    def expires_in(self, client: Any, grant_type: str) -> int:
        return self.settings.lifetimes.access_token

    def refresh_token(self, **_: Any) -> str:
        # Refresh tokens are always opaque: only the AS ever reads them.
        return self.settings.randomness.token(32)

    def access_token_generator(
        self,
        client: Any,
        grant_type: str,
        user: Any,
        scope: str,
        audience: tuple[str, ...] = (),
    ) -> str:
        if self.settings.token_format == "opaque":
            return self.settings.randomness.token(32)
        now = self.settings.clock.now()
        claims = {
            "iss": self.issuer,
            # RFC 9068 2.2: sub is the resource owner, or the client when none.
            "sub": str(user.get_user_id()) if user else client.get_client_id(),
            # RFC 9068 3: aud is the resource indicator(s) of the request.
            "aud": _aud(audience) or self.get_audiences(client, user, scope),
            "client_id": client.get_client_id(),
            "scope": scope,
            "iat": now,
            "exp": now + self.expires_in(client, grant_type),
            "jti": self.get_jti(client, grant_type, user, scope),
        }
        claims.update(self.get_extra_claims(client, grant_type, user, scope))
        # RFC 9449 6.1: a DPoP-bound token says which key with cnf.jkt.
        claims.update(confirmation_claim())
        header = {"alg": self.alg, "typ": ACCESS_TOKEN_TYP}
        return jwt.encode(header, claims, self.get_jwks())


def _aud(audience: tuple[str, ...]) -> str | list[str] | None:
    """One audience as a string, several as an array (RFC 7519 4.1.3)."""
    if not audience:
        return None
    return audience[0] if len(audience) == 1 else list(audience)
