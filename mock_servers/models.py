"""What the authorization server stores: users, clients, codes and tokens.

Each class answers the questions Authlib's mixins ask in named methods, so the
one place a weakness changes an answer is easy to find (see
`Client.check_redirect_uri`).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import ClientMixin, InvalidScopeError, TokenMixin
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oidc.core import AuthorizationCodeMixin

from .clock import Clock
from .error_text import quoted
from .weaknesses import Weaknesses

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "[::1]", "::1"})
# RFC 3986 2.2 and 2.3 (reserved, unreserved) and "%" of a pct-encoded octet.
URI_CHARACTERS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    "-._~:/?#[]@!$&'()*+,;=%"
)


@dataclass(frozen=True)
class User:
    """A resource owner."""

    id: str
    username: str
    password: str
    name: str
    email: str
    city: str

    def get_user_id(self) -> str:
        return self.id

    def check_password(self, password: str) -> bool:
        return hmac.compare_digest(self.password.encode(), password.encode())


@dataclass(frozen=True)
class SignedInUser(User):
    """A resource owner as one browser session at this AS knows them: the
    user, and when they last actively signed in (OIDC Core 2, `auth_time`)."""

    auth_time: int

    @classmethod
    def of(cls, user: User, auth_time: int) -> SignedInUser:
        fields = {name: getattr(user, name) for name in User.__dataclass_fields__}
        return cls(**fields, auth_time=auth_time)


@dataclass
class PendingAuthorization:
    """An authorization request waiting for its resource owner (sign-in or
    consent), kept by the AS under a random id that only the browser which
    sent the request may use (the id is in that browser's session).

    `params` are the request's parameters as sent, in the query (GET) or in
    the form (POST, OIDC Core 3.1.2.1); `signed_in` says the sign-in this
    request asked for (prompt=login, max_age) has happened.
    """

    id: str
    params: tuple[tuple[str, str], ...]
    created_at: int
    signed_in: bool = False


@dataclass
class Client(ClientMixin):
    """A registered client (RFC 6749 2), with RFC 7591 metadata names."""

    client_id: str
    client_name: str
    client_type: str  # "confidential" or "public" (RFC 6749 2.1)
    redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    response_types: tuple[str, ...]
    scope: str
    token_endpoint_auth_methods: tuple[str, ...]
    description: str = ""
    default_scope: str = ""
    client_secret: str | None = None
    jwks: dict[str, Any] | None = None
    can_introspect: bool = False
    first_party: bool = False
    # Reviewed by the AS's operators: its redirect URIs are trusted for
    # automatic redirects. A client from open (dynamic) registration is not
    # (RFC 9700 4.11.2: redirect automatically only to URIs the AS trusts).
    verified: bool = True
    weaknesses: Weaknesses = field(default_factory=Weaknesses, repr=False)
    client_metadata: dict[str, Any] = field(default_factory=dict)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope: str | None) -> str:
        """May this client ask for this scope? RFC 6749 3.3: refuse, don't trim."""
        if not scope:
            # RFC 6749 3.3: "If the client omits the scope parameter ..., the
            # authorization server MUST either process the request using a
            # pre-defined default value or fail the request indicating an
            # invalid scope." The token response then names the scope (5.1).
            if not self.default_scope:
                raise InvalidScopeError(
                    f"The client {self.client_id} has no default scope: "
                    "send the scope parameter."
                )
            return self.default_scope
        allowed = set(scope_to_list(self.scope))
        refused = [s for s in scope_to_list(scope) if s not in allowed]
        if refused:
            raise InvalidScopeError(
                f"The client {self.client_id} may not ask for: "
                + quoted(" ".join(refused))
            )
        return " ".join(scope_to_list(scope))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Is this redirect URI registered for this client?

        RFC 9700 4.1.3: compare with simple string comparison (exact match).
        RFC 8252 7.3: for a loopback redirect URI, allow any port.
        """
        if not is_uri(redirect_uri):
            # Not a URI at all (RFC 3986 2): never redirect to it. A CR or LF
            # in it would end the Location header line (response splitting).
            return False
        if redirect_uri in self.redirect_uris:
            return True
        if any(_same_loopback_uri(redirect_uri, uri) for uri in self.redirect_uris):
            return True
        if "as.loose_redirect_uri" in self.weaknesses:
            return any(redirect_uri.startswith(uri) for uri in self.redirect_uris)
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        if self.client_secret is None:
            return False
        return hmac.compare_digest(self.client_secret.encode(), client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in self.token_endpoint_auth_methods

    def check_response_type(self, response_type: str) -> bool:
        return response_type in self.response_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types

    @property
    def is_public(self) -> bool:
        return self.client_type == "public"


def is_uri(text: str) -> bool:
    """Only the characters RFC 3986 2 allows in a URI (ASCII, no space, no
    control character, none of `"<>\\^`{|}`)."""
    return all(ch in URI_CHARACTERS for ch in text)


def _same_loopback_uri(requested: str, registered: str) -> bool:
    """RFC 8252 7.3: the AS MUST allow any port for loopback IP redirect URIs."""
    try:
        req, reg = urlsplit(requested), urlsplit(registered)
        if reg.scheme != "http" or reg.hostname not in LOOPBACK_HOSTS or reg.port:
            return False
        req.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError:  # "[::1" or a port out of range: not a URI we issued
        return False
    return (
        req.scheme == reg.scheme
        and req.hostname == reg.hostname
        and req.path == reg.path
        and req.query == reg.query
        and not req.fragment
    )


@dataclass
class AuthorizationCode(AuthorizationCodeMixin):
    """An authorization code and what it was issued for (RFC 6749 4.1.2)."""

    code: str
    client_id: str
    user_id: str
    redirect_uri: str | None
    scope: str
    issued_at: int
    expires_at: int
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    nonce: str | None = None
    auth_time: int | None = None
    # RFC 9449 10: the thumbprint of the DPoP key the code is bound to.
    dpop_jkt: str | None = None
    used: bool = False
    token_ids: list[str] = field(default_factory=list)
    # RFC 8707 2.1: the resources named in the authorization request, which
    # the whole grant is for; empty: none named (the photos API).
    resources: tuple[str, ...] = ()

    def get_redirect_uri(self) -> str | None:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int | None:
        return self.auth_time

    def get_acr(self) -> str | None:
        return None

    def get_amr(self) -> list[str] | None:
        return None


# Slots: `serve` may hold tens of thousands of these (see store.StoreLimits).
@dataclass(slots=True)
class Token(TokenMixin):
    """An issued access token and, if any, its refresh token.

    `family_id` links every token descended from one grant, so replaying a
    rotated refresh token can revoke them all (RFC 9700 4.14.2). A refresh
    token ends at whichever comes first: `refresh_token_idle_until` (its idle
    lifetime, counted from its issuance or last use) or `grant_expires_at`
    (the grant's absolute lifetime, carried across rotations).
    """

    id: str
    client: Client
    user: User | None
    scope: str
    access_token: str
    issued_at: int
    expires_in: int
    family_id: str
    grant_type: str
    refresh_token: str | None = None
    access_token_jti: str | None = None
    access_token_revoked: bool = False
    refresh_token_revoked: bool = False
    refresh_token_used: bool = False
    refresh_token_idle_until: int | None = None
    grant_expires_at: int | None = None
    # RFC 9449 6: the DPoP key (thumbprint) the access token is bound to, and
    # (public clients only, RFC 9449 5) the one the refresh token is bound to.
    dpop_jkt: str | None = None
    refresh_token_jkt: str | None = None
    clock: Clock = field(default_factory=Clock, repr=False)
    # RFC 8707: the access token's audience, and the resources the whole
    # grant is for (a refresh may ask for these or fewer, 2.2).
    audience: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()

    def check_client(self, client: ClientMixin) -> bool:
        return self.client.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    @property
    def expires_at(self) -> int:
        return self.issued_at + self.expires_in

    def is_expired(self) -> bool:
        return self.clock.now() >= self.expires_at

    def is_revoked(self) -> bool:
        return self.access_token_revoked

    def refresh_token_expiry(self) -> RefreshTokenExpiry | None:
        """Which lifetime of the refresh token has run out, if any."""
        now = self.clock.now()
        if self.grant_expires_at is not None and now >= self.grant_expires_at:
            return RefreshTokenExpiry("absolute", self.grant_expires_at)
        if self.refresh_token_idle_until is not None and (
            now >= self.refresh_token_idle_until
        ):
            return RefreshTokenExpiry("idle", self.refresh_token_idle_until)
        return None

    @property
    def refresh_token_expires_at(self) -> int | None:
        deadlines = [
            t for t in (self.refresh_token_idle_until, self.grant_expires_at) if t
        ]
        return min(deadlines) if deadlines else None

    def get_user(self) -> User | None:
        return self.user

    def get_client(self) -> Client:
        return self.client


def count_tokens(records: list[Token]) -> str:
    """The access and refresh tokens of some grant records, counted in words
    ("1 access token and 1 refresh token"): a record holds one of each at most,
    so counting records would undercount what a revocation reaches."""
    access = len(records)
    refresh = sum(1 for record in records if record.refresh_token)
    return f"{_count(access, 'access token')} and {_count(refresh, 'refresh token')}"


def _count(number: int, noun: str) -> str:
    if number == 0:
        return f"no {noun}"
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


@dataclass(frozen=True)
class RefreshTokenExpiry:
    """The refresh token lifetime that ran out ("idle" or "absolute"), and when."""

    lifetime: str
    at: int


@dataclass(frozen=True)
class PresentedToken:
    """A token string the AS looked up: the grant's record, and which of its
    two tokens (access or refresh) the string was."""

    token: Token
    kind: str  # "access_token" or "refresh_token"

    def check_client(self, client: ClientMixin) -> bool:
        return self.token.check_client(client)

    def is_expired(self) -> bool:
        if self.kind == "access_token":
            return self.token.is_expired()
        return self.token.refresh_token_expiry() is not None

    def is_revoked(self) -> bool:
        if self.kind == "access_token":
            return self.token.access_token_revoked
        return self.token.refresh_token_revoked or self.token.refresh_token_used
