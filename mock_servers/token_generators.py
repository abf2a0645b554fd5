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

from . import dpop

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

    def generate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        token = super().generate(*args, **kwargs)
        if dpop.bound_key() is not None:
            token["token_type"] = "DPoP"  # RFC 9449 5
        return token

    def get_extra_claims(
        self, client: Any, grant_type: str, user: Any, scope: str
    ) -> dict[str, Any]:
        # RFC 9449 6.1: a DPoP-bound JWT names its key in `cnf.jkt`.
        jkt = dpop.bound_key()
        return {"cnf": {"jkt": jkt}} if jkt else {}

    def get_jwks(self) -> KeySet:
        return self.settings.signing_key.key_set()

    def get_audiences(self, client: Any, user: Any, scope: str) -> str:
        # RFC 9068 3: the default resource indicator is our one API.
        return self.settings.resource_server_url

    def get_jti(self, client: Any, grant_type: str, user: Any, scope: str) -> str:
        return self.settings.randomness.token(16)

    def expires_in(self, client: Any, grant_type: str) -> int:
        return self.settings.lifetimes.access_token

    def refresh_token(self, **_: Any) -> str:
        # Refresh tokens are always opaque: only the AS ever reads them.
        return self.settings.randomness.token(32)

    def access_token_generator(
        self, client: Any, grant_type: str, user: Any, scope: str
    ) -> str:
        if self.settings.token_format == "opaque":
            return self.settings.randomness.token(32)
        now = self.settings.clock.now()
        claims = {
            "iss": self.issuer,
            # RFC 9068 2.2: sub is the resource owner, or the client when none.
            "sub": str(user.get_user_id()) if user else client.get_client_id(),
            "aud": self.get_audiences(client, user, scope),
            "client_id": client.get_client_id(),
            "scope": scope,
            "iat": now,
            "exp": now + self.expires_in(client, grant_type),
            "jti": self.get_jti(client, grant_type, user, scope),
        }
        claims.update(self.get_extra_claims(client, grant_type, user, scope))
        header = {"alg": self.alg, "typ": ACCESS_TOKEN_TYP}
        return jwt.encode(header, claims, self.get_jwks())
