"""OpenID Connect on top of the authorization code grant (OIDC Core 3.1).

Authlib builds and signs the id_token; we supply the key (with its `kid`, which
Authlib leaves out unless asked), the world's clock for `iat`/`exp`, and the
user's claims for the scopes granted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oidc.core import OpenIDCode as _OpenIDCode
from authlib.oidc.core import UserInfo
from authlib.oidc.core import UserInfoEndpoint as _UserInfoEndpoint
from authlib.oidc.core.grants.util import is_openid_scope
from joserfc.jwk import KeySet

from .keys import SigningKey
from .models import User

# OIDC Dynamic Client Registration 2: the client metadata naming the ID
# token's signing algorithm (ES256 for a FAPI 2.0 client).
ID_TOKEN_SIGNING_ALG = "id_token_signed_response_alg"

if TYPE_CHECKING:
    from .settings import AuthorizationServerSettings


def user_info(user: User, scope: str) -> UserInfo:
    """Claims released for a scope (OIDC Core 5.4): profile -> name, email -> email."""
    scopes = set(scope_to_list(scope))
    info = UserInfo(sub=user.id)
    if "profile" in scopes:
        info["name"] = user.name
        info["preferred_username"] = user.username
    if "email" in scopes:
        info["email"] = user.email
        info["email_verified"] = True
    return info


class OpenIDCode(_OpenIDCode):
    def __init__(self, settings: AuthorizationServerSettings) -> None:
        super().__init__(require_nonce=False)
        self.settings = settings

    def __call__(self, grant: Any) -> None:
        # Authlib's hooks, but prompt, which mock_servers.interaction handles
        # for every authorization request (and with more of OIDC Core 3.1.2.1).
        grant.register_hook("after_create_token_response", self.process_token)
        if is_openid_scope(grant.request.payload.scope):
            grant.register_hook(
                "after_validate_authorization_request_payload",
                self.validate_openid_authorization_request,
            )

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        # OIDC Core 15.5.2: a nonce already bound to a code is a replay. Asked
        # again on the consent POST, so it must look, not record.
        return self.settings.store.code_with_nonce(request.payload.client_id, nonce)

    def _id_token_key(self, client: Any) -> SigningKey:
        # OIDC Dynamic Client Registration 2: id_token_signed_response_alg,
        # "JWS alg algorithm ... REQUIRED for signing the ID Token issued to
        # this Client"; RS256 when absent.
        return self.settings.signing_key_for(client, ID_TOKEN_SIGNING_ALG)

    def resolve_client_private_key(self, client: Any) -> KeySet:
        return self._id_token_key(client).key_set()

    def get_client_algorithm(self, client: Any) -> str:
        return self._id_token_key(client).alg

    def get_encode_header(self, client: Any) -> dict[str, str]:
        key = self._id_token_key(client)
        return {"alg": key.alg, "kid": key.kid}

    def get_client_claims(self, client: Any) -> dict[str, Any]:
        now = self.settings.clock.now()
        return {
            "iss": self.settings.issuer,
            # OIDC Core 2: the id_token's audience is the client, never the API.
            "aud": [client.get_client_id()],
            "iat": now,
            "exp": now + self.settings.lifetimes.id_token,
            # auth_time comes from the authorization code: when the user
            # really signed in (OIDC Core 2), not when the token was made.
        }

    def generate_user_info(self, user: User, scope: str) -> UserInfo:
        return user_info(user, scope)


class UserInfoEndpoint(_UserInfoEndpoint):
    def __init__(self, settings: AuthorizationServerSettings, resource_protector: Any):
        super().__init__(resource_protector=resource_protector)
        self.settings = settings

    def get_issuer(self) -> str:
        return self.settings.issuer

    def generate_user_info(self, user: User, scope: str) -> UserInfo:
        return user_info(user, scope)

    def resolve_private_key(self) -> KeySet:
        return self.settings.signing_key.key_set()
