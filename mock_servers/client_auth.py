"""Client authentication methods beyond Authlib's built-in three.

`private_key_jwt` (RFC 7523 2.2, OpenID Connect Core 9): the client signs a
short-lived JWT with its own private key; the AS verifies it with the public
key registered for the client and refuses a replayed `jti`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

if TYPE_CHECKING:
    from .settings import AuthorizationServerSettings

PRIVATE_KEY_JWT = "private_key_jwt"


class PrivateKeyJWT(JWTBearerClientAssertion):
    CLIENT_AUTH_METHOD = PRIVATE_KEY_JWT

    def __init__(self, settings: AuthorizationServerSettings) -> None:
        super().__init__(validate_jti=True)
        self.settings = settings

    def get_audiences(self) -> list[str]:
        # RFC 7523 3: the aud claim identifies the AS; its token endpoint URL
        # or its issuer identifier.
        return [self.settings.token_url, self.settings.issuer]

    def verify_claims(self, claims: jwt.Claims) -> None:
        """Authlib's checks, judged by the world's clock (a lesson's clock is
        frozen or advanced; Authlib's own registry reads the machine's)."""
        registry = jwt.JWTClaimsRegistry(
            now=self.settings.clock.now,
            leeway=self.leeway,
            iss={"essential": True},
            sub={"essential": True},
            aud={"essential": True, "values": self.get_audiences()},
            exp={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as error:
            raise InvalidClientError(description=error.description) from error
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
