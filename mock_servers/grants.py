"""The grants the authorization server offers, as Authlib grant classes.

Each class only answers Authlib's storage questions from the world's store,
records server events, and reads the weaknesses that concern it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import (
    InvalidGrantError,
    InvalidRequestError,
    UnauthorizedClientError,
    grants,
)
from authlib.oauth2.rfc6749.grants.base import AuthorizationEndpointMixin

from .client_auth import PRIVATE_KEY_JWT
from .dpop_binding import check_code_binding, check_refresh_binding
from .error_text import quoted
from .events import Event
from .models import (
    AuthorizationCode,
    RefreshTokenExpiry,
    SignedInUser,
    Token,
    User,
    count_tokens,
)
from .resource_indicators import requested, resolve, token_audience

if TYPE_CHECKING:
    from .settings import AuthorizationServerSettings

# RFC 6749 2.3 / OIDC Core 9: every method a registered client may use; each
# client's own registration narrows it (Client.check_endpoint_auth_method).
ALL_AUTH_METHODS = (
    "client_secret_basic",
    "client_secret_post",
    PRIVATE_KEY_JWT,
    "none",
)


class _SettingsMixin:
    server: Any
    request: Any
    # RFC 8707: the resources the access token being issued is for.
    resources: tuple[str, ...] = ()

    @property
    def settings(self) -> AuthorizationServerSettings:
        return self.server.settings

    def granted_resources(self) -> tuple[str, ...] | None:
        """What the resource owner approved, which a token request may
        narrow but not widen (RFC 8707 2.2); None: no such decision."""
        return None

    def generate_token(
        self,
        user: Any = None,
        scope: str | None = None,
        grant_type: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        # RFC 8707 2: "The authorization server SHOULD audience-restrict
        # issued access tokens to the resource(s) indicated".
        self.resources = token_audience(
            self.settings,
            self.request.client,
            requested(self.request.payload),
            self.granted_resources(),
        )
        return self.server.generate_token(
            grant_type=grant_type or self.GRANT_TYPE,  # type: ignore[attr-defined]
            client=self.request.client,
            user=user,
            scope=scope,
            expires_in=expires_in,
            include_refresh_token=include_refresh_token,
            audience=self.resources,
        )

    def save_token(self, token: dict[str, Any]) -> None:
        self.server.save_token(
            token,
            self.request,
            audience=self.resources,
            grant_resources=self.granted_resources() or self.resources,
        )

    def record(
        self, name: str, client_id: str | None, user: str | None, detail: str = ""
    ) -> None:
        self.settings.events.record(
            Event(
                time=self.settings.clock.now(),
                name=name,
                server="authorization server",
                client_id=client_id,
                user=user,
                detail=detail,
            )
        )


class _RedirectUriCheck:
    """Authlib's redirect URI check, with the refused URI quoted safely."""

    @staticmethod
    def validate_authorization_redirect_uri(request: Any, client: Any) -> str:
        requested = request.payload.redirect_uri
        if requested and not client.check_redirect_uri(requested):
            # RFC 6749 4.1.2.1: never redirect to an unverified URI; Authlib's
            # own message quotes the URI as sent, and a quote, backslash or
            # CR/LF in it made the error itself fail (a 500).
            raise InvalidRequestError(
                f"Redirect URI {quoted(requested)} is not supported by client."
            )
        return AuthorizationEndpointMixin.validate_authorization_redirect_uri(
            request, client
        )


class AuthorizationCodeGrant(
    _RedirectUriCheck, _SettingsMixin, grants.AuthorizationCodeGrant
):
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_AUTH_METHODS

    def generate_authorization_code(self) -> str:
        return self.settings.randomness.token(32)

    def save_authorization_code(self, code: str, request: Any) -> None:
        now = self.settings.clock.now()
        data = request.payload.data
        # The grant user the authorization endpoint passed: who signed in, and
        # when (OIDC Core 2: auth_time, the time of the authentication).
        user: SignedInUser = request.user
        self.settings.store.save_code(
            AuthorizationCode(
                code=code,
                client_id=request.client.client_id,
                user_id=request.user.id,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope,
                issued_at=now,
                # RFC 6749 4.1.2: a maximum lifetime of 10 minutes is RECOMMENDED.
                expires_at=now + self.settings.lifetimes.authorization_code,
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                nonce=data.get("nonce"),
                auth_time=user.auth_time,
                resources=resolve(
                    self.settings, request.client, requested(request.payload)
                ),
                dpop_jkt=data.get("dpop_jkt"),
            )
        )
        self.record(
            "authorization_code.issued", request.client.client_id, request.user.id
        )

    def query_authorization_code(self, code: str, client: Any) -> AuthorizationCode:
        store = self.settings.store
        found = store.code(code)
        if found is None:
            raise InvalidGrantError("Invalid 'code' in request.")
        if found.client_id != client.client_id:
            # RFC 6749 4.1.3: ensure the code was issued to this client.
            raise InvalidGrantError("The code was issued to another client.")
        if found.used and not self.code_reuse_allowed():
            raise self.code_reused(found, client.client_id)
        if self.settings.clock.now() >= found.expires_at:
            self.record("authorization_code.expired", client.client_id, found.user_id)
            raise InvalidGrantError("The code has expired.")
        check_code_binding(found.dpop_jkt)
        return found

    def granted_resources(self) -> tuple[str, ...]:
        code: AuthorizationCode = self.request.authorization_code
        return code.resources or (self.settings.resource_server_url,)

    def code_reuse_allowed(self) -> bool:
        return "as.allow_code_reuse" in self.settings.weaknesses

    def code_reused(self, code: AuthorizationCode, client_id: str) -> InvalidGrantError:
        """RFC 6749 4.1.2: a code used twice MUST be denied, and the AS SHOULD
        revoke all tokens previously issued based on it."""
        store = self.settings.store
        revoked: list[Token] = []
        for token_id in list(code.token_ids):
            token = store.token(token_id)
            if token:
                revoked.extend(store.revoke_family(token.family_id))
        self.record(
            "authorization_code.reused",
            client_id,
            code.user_id,
            f"{count_tokens(revoked)} issued from this code revoked",
        )
        return InvalidGrantError(
            "The code was already used; the tokens issued from it are revoked."
        )

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        # Kept, marked used, so a replay can be detected and answered. Two
        # redemptions may have passed the check above at once (two threads of
        # `serve`); marking is one step under the store's lock, and the one
        # that finds the code used already is the replay: both token sets
        # were saved against the code by now, and both are revoked.
        if self.settings.store.use_code(authorization_code):
            return
        if not self.code_reuse_allowed():
            raise self.code_reused(authorization_code, self.request.client.client_id)

    def authenticate_user(self, authorization_code: AuthorizationCode) -> User | None:
        return self.settings.store.user(authorization_code.user_id)


class ImplicitGrant(_RedirectUriCheck, _SettingsMixin, grants.ImplicitGrant):
    """Deprecated by RFC 9700 2.1.2; kept to show why (token in the fragment)."""

    def validate_authorization_request(self) -> str:
        # Authlib first authenticates the client as public ("none"), so a
        # registered confidential client would get invalid_client; RFC 6749
        # 4.2.2.1 says a client not allowed this response type is told
        # unauthorized_client at its (verified) redirect URI.
        client = self.server.query_client(self.request.payload.client_id)
        if client is not None and not client.check_response_type("token"):
            redirect_uri = self.validate_authorization_redirect_uri(
                self.request, client
            )
            raise UnauthorizedClientError(
                "The client is not authorized to use 'response_type=token'",
                redirect_uri=redirect_uri,
                redirect_fragment=True,
            )
        return super().validate_authorization_request()


class ClientCredentialsGrant(_SettingsMixin, grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = (
        "client_secret_basic",
        "client_secret_post",
        PRIVATE_KEY_JWT,
    )


class PasswordGrant(_SettingsMixin, grants.ResourceOwnerPasswordCredentialsGrant):
    """Deprecated by RFC 9700 2.4; only for clients registered for it."""

    TOKEN_ENDPOINT_AUTH_METHODS = ("client_secret_basic", "client_secret_post")

    def authenticate_token_endpoint_client(self) -> Any:
        client = super().authenticate_token_endpoint_client()
        if "as.password_grant_any_client" in self.settings.weaknesses:
            # The weakness: whoever holds a client secret may collect passwords.
            return _PasswordAllowed(client)
        return client

    def authenticate_user(self, username: str, password: str) -> User:
        user = self.settings.store.user_by_username(username)
        if user is None or not user.check_password(password):
            self.record(
                "user.authentication.failed",
                self.request.payload.client_id or None,
                username,
                "password grant",
            )
            # RFC 6749 5.2: invalid resource owner credentials are invalid_grant.
            raise InvalidGrantError("Invalid username or password.")
        return user


class RefreshTokenGrant(_SettingsMixin, grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_AUTH_METHODS

    @property
    def INCLUDE_NEW_REFRESH_TOKEN(self) -> bool:
        # RFC 9700 4.14.2: rotate refresh tokens of public clients (we rotate all).
        return "as.refresh_no_rotation" not in self.settings.weaknesses

    def _validate_token_scope(self, token: Token) -> None:
        self.check_requested_scope(token)

    def check_requested_scope(self, token: Token) -> None:
        """RFC 6749 6: the requested scope MUST NOT include any scope not
        originally granted by the resource owner."""
        if "as.refresh_scope_upgrade" in self.settings.weaknesses:
            return  # the weakness: any scope the client is registered for
        super()._validate_token_scope(token)

    def authenticate_refresh_token(self, refresh_token: str) -> Token:
        store = self.settings.store
        token = store.token_by_refresh_token(refresh_token)
        client = self.request.client
        if token is None:
            raise InvalidGrantError("Invalid 'refresh_token' in request.")
        if not token.check_client(client):
            # RFC 6749 10.4: the refresh token is bound to its client.
            raise InvalidGrantError("The refresh token was issued to another client.")
        if token.refresh_token_used:
            raise self.refresh_token_reused(token)
        if token.refresh_token_revoked:
            raise InvalidGrantError("The refresh token has been revoked.")
        check_refresh_binding(token.refresh_token_jkt)
        self.check_not_expired(token, client)
        return token

    def check_not_expired(self, token: Token, client: Any) -> None:
        """RFC 9700 4.14.2: refresh tokens expire (idle and absolute lifetimes)."""
        expiry = token.refresh_token_expiry()
        if expiry is not None:
            description = self._expiry_description(expiry, client)
            self.record(
                "refresh_token.expired",
                client.client_id,
                token.user.id if token.user else None,
                description,
            )
            raise InvalidGrantError(description)

    def refresh_token_reused(self, token: Token) -> InvalidGrantError:
        """RFC 9700 4.14.2: a rotated refresh token presented again means one
        of two parties is an attacker; revoke the whole family."""
        family = self.settings.store.revoke_family(token.family_id)
        self.record(
            "refresh_token.reused",
            token.client.client_id,
            token.user.id if token.user else None,
            f"{count_tokens(family)} of this grant revoked",
        )
        return InvalidGrantError(
            "The refresh token was already used; every token of this grant "
            "is now revoked."
        )

    def _expiry_description(self, expiry: RefreshTokenExpiry, client: Any) -> str:
        lifetimes = self.settings.lifetimes
        kind = "public" if client.is_public else "confidential"
        if expiry.lifetime == "absolute":
            seconds = lifetimes.refresh_token_absolute_for(client)
            return (
                "The refresh token has expired: its absolute lifetime "
                f"({seconds} s from the start of the grant, for a {kind} client) "
                "ran out. Sign in again."
            )
        seconds = lifetimes.refresh_token_idle_for(client)
        return (
            "The refresh token has expired: its idle lifetime "
            f"({seconds} s without use, for a {kind} client) ran out. Sign in again."
        )

    def authenticate_user(self, refresh_token: Token) -> User | None:
        return refresh_token.user

    def granted_resources(self) -> tuple[str, ...]:
        # RFC 8707 2.2: "any refresh token that is returned is bound to the
        # full original grant".
        token: Token = self.request.refresh_token
        return token.resources or (self.settings.resource_server_url,)

    def revoke_old_credential(self, refresh_token: Token) -> None:
        if self.INCLUDE_NEW_REFRESH_TOKEN:
            # Two refreshes with one token may both have passed the checks
            # above (two threads of `serve`): the second to mark it used is
            # its replay, and the new token saved in the family is revoked too.
            if not self.settings.store.use_refresh_token(refresh_token):
                raise self.refresh_token_reused(refresh_token)
            return
        # Not rotated: the same refresh token stays in use, and its idle
        # lifetime counts from this use (RFC 9700 4.14.2: "has not been used
        # to obtain new access tokens for some time").
        refresh_token.refresh_token_idle_until = (
            self.settings.clock.now()
            + self.settings.lifetimes.refresh_token_idle_for(refresh_token.client)
        )


class _PasswordAllowed:
    """A registered client, seen by a careless AS as allowed the password grant."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "password" or self._client.check_grant_type(grant_type)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)
