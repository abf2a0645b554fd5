"""Revocation (RFC 7009) and introspection (RFC 7662)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc7009 import RevocationEndpoint as _RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint as _IntrospectionEndpoint

from .client_auth import PRIVATE_KEY_JWT
from .events import Event
from .models import PresentedToken, count_tokens
from .personal_access_tokens import PresentedPersonalToken
from .token_exchange import actor_of, audience_of

if TYPE_CHECKING:
    from .settings import AuthorizationServerSettings

_CONFIDENTIAL_AUTH = ("client_secret_basic", "client_secret_post", PRIVATE_KEY_JWT)


class _TokenLookup:
    """How revocation and introspection read the presented token."""

    settings: AuthorizationServerSettings
    SUPPORTED_TOKEN_TYPES: tuple[str, ...]

    def check_params(self, request: Any, client: Any) -> None:
        if "token" not in request.form:
            raise InvalidRequestError("Missing 'token' in request.")
        # RFC 7009 2.1 / RFC 7662 2.1: token_type_hint is only a hint. "If the
        # server is unable to locate the token using the given hint, it MUST
        # extend its search across all of its supported token types." An
        # unknown hint is ignored, never an error (Authlib answers 401
        # unsupported_token_type, which is for client authentication only).

    def query_token(
        self, token_string: str, token_type_hint: str | None
    ) -> PresentedToken | None:
        if token_type_hint not in self.SUPPORTED_TOKEN_TYPES:
            token_type_hint = None
        return self.settings.store.find_token(token_string, token_type_hint)


class RevocationEndpoint(_TokenLookup, _RevocationEndpoint):
    # RFC 7009 2.1: public clients may revoke their own tokens too.
    CLIENT_AUTH_METHODS = (*_CONFIDENTIAL_AUTH, "none")

    def __init__(self, settings: AuthorizationServerSettings) -> None:
        super().__init__()
        self.settings = settings

    def revoke_token(self, token: PresentedToken, request: Any) -> None:
        if token.kind == "refresh_token":
            # RFC 7009 2.1: revoking a refresh token SHOULD also invalidate the
            # access tokens based on the same authorization grant.
            revoked = self.settings.store.revoke_family(token.token.family_id)
            detail = f"refresh token; with it, its grant's {count_tokens(revoked)}"
        else:
            self.settings.store.revoke_access_token(token.token)
            detail = "access token"
        self.settings.events.record(
            Event(
                time=self.settings.clock.now(),
                name="token.revoked",
                server="authorization server",
                client_id=token.token.client.client_id,
                user=token.token.user.id if token.token.user else None,
                detail=detail,
            )
        )


class IntrospectionEndpoint(_TokenLookup, _IntrospectionEndpoint):
    # RFC 7662 2.1: the caller MUST authenticate; public clients cannot.
    CLIENT_AUTH_METHODS = _CONFIDENTIAL_AUTH

    def __init__(self, settings: AuthorizationServerSettings) -> None:
        super().__init__()
        self.settings = settings

    def query_token(
        self, token_string: str, token_type_hint: str | None
    ) -> PresentedToken | PresentedPersonalToken | None:
        found = super().query_token(token_string, token_type_hint)
        if found is not None:
            return found
        # A personal access token (the account page's): found by its hash.
        personal = self.settings.personal_access_tokens.find(token_string)
        if personal is None:
            return None
        return PresentedPersonalToken(personal, self.settings.clock.now())

    def check_permission(
        self, token: PresentedToken | PresentedPersonalToken, client: Any, request: Any
    ) -> bool:
        # The resource server may introspect any token; a client only its own.
        return client.can_introspect or token.check_client(client)

    def introspect_token(
        self, token: PresentedToken | PresentedPersonalToken
    ) -> dict[str, Any]:
        if isinstance(token, PresentedPersonalToken):
            return self._personal_token(token)
        record = token.token
        payload: dict[str, Any] = {
            "active": True,
            "token_type": "Bearer" if token.kind == "access_token" else "refresh_token",
            "client_id": record.client.client_id,
            "scope": record.scope,
            "sub": record.user.id if record.user else record.client.client_id,
            "iss": self.settings.issuer,
            "iat": record.issued_at,
        }
        if token.kind == "access_token" and record.dpop_jkt:
            # RFC 9449 6.2: a DPoP-bound token's key, and its token_type.
            payload["token_type"] = "DPoP"
            payload["cnf"] = {"jkt": record.dpop_jkt}
        if token.kind == "access_token":
            # RFC 8707 2: introspection's aud names the resource(s) the
            # token is for (RFC 8693: an exchanged token's, its target).
            audience = record.audience or (audience_of(self.settings, record),)
            payload["aud"] = audience[0] if len(audience) == 1 else list(audience)
            payload["exp"] = record.expires_at
            if record.access_token_jti:
                payload["jti"] = record.access_token_jti
            # RFC 8693 4.1: who acts for the subject, for an exchanged token.
            act = actor_of(self.settings, record)
            if act is not None:
                payload["act"] = act
        elif record.refresh_token_expires_at is not None:
            payload["exp"] = record.refresh_token_expires_at
        if record.user:
            payload["username"] = record.user.username
        return payload

    def _personal_token(self, token: PresentedPersonalToken) -> dict[str, Any]:
        """RFC 7662 2.2 for a personal access token: active (expired and
        revoked ones were answered `active: false` before this), its scopes,
        its owner, and no client: nobody but the owner was given it. Asking
        is a use, so the account page can show when it was last used."""
        record = token.record
        settings = self.settings
        settings.personal_access_tokens.record_use(record, token.now)
        user = settings.store.user(record.user_id)
        payload: dict[str, Any] = {
            "active": True,
            "token_type": "Bearer",
            "scope": record.scope,
            "sub": record.user_id,
            "iss": settings.issuer,
            "aud": settings.resource_server_url,
            "iat": record.created_at,
            "exp": record.expires_at,
        }
        if user is not None:
            payload["username"] = user.username
        return payload
