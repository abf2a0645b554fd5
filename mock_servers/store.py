"""One world's in-memory storage, asked the questions the protocol asks.

Like oauthlib's RequestValidator, every storage decision is a named method, so
a reader can find where "was this code already used?" is answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .cors import origin_of
from .models import (
    AuthorizationCode,
    Client,
    PendingAuthorization,
    PresentedToken,
    Token,
    User,
)


@dataclass
class Store:
    users: dict[str, User] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    consents: set[tuple[str, str, str]] = field(default_factory=set)
    used_assertion_ids: set[tuple[str, str]] = field(default_factory=set)
    pending_authorizations: dict[str, PendingAuthorization] = field(
        default_factory=dict
    )

    # users and clients
    def add_user(self, user: User) -> None:
        self.users[user.id] = user

    def add_client(self, client: Client) -> None:
        self.clients[client.client_id] = client

    def client(self, client_id: str | None) -> Client | None:
        return self.clients.get(client_id or "")

    def user(self, user_id: str | None) -> User | None:
        return self.users.get(user_id or "")

    def user_by_username(self, username: str) -> User | None:
        return next((u for u in self.users.values() if u.username == username), None)

    def browser_origins(self) -> frozenset[str]:
        """The web origins of every registered redirect URI: where the clients'
        pages live, so where their cross-origin requests come from (like
        Keycloak's "web origins" of "+"). Asked per request, so a client
        registered or changed later counts at once."""
        return frozenset(
            origin
            for client in self.clients.values()
            for uri in client.redirect_uris
            if (origin := origin_of(uri)) is not None
        )

    # consent (remembered per user + client + scopes)
    def remember_consent(self, user_id: str, client_id: str, scope: str) -> None:
        for item in scope.split():
            self.consents.add((user_id, client_id, item))

    def has_consent(self, user_id: str, client_id: str, scope: str) -> bool:
        return all((user_id, client_id, s) in self.consents for s in scope.split())

    def consents_of(self, user_id: str) -> dict[str, frozenset[str]]:
        """Which clients this user approved, and for which scopes."""
        approved: dict[str, set[str]] = {}
        for user, client_id, scope in list(self.consents):
            if user == user_id:
                approved.setdefault(client_id, set()).add(scope)
        return {client_id: frozenset(s) for client_id, s in approved.items()}

    def forget_consent(self, user_id: str, client_id: str) -> frozenset[str]:
        """Forget a user's approval of a client; the scopes it was for."""
        forgotten = {c for c in self.consents if c[0] == user_id and c[1] == client_id}
        self.consents -= forgotten
        return frozenset(scope for _, _, scope in forgotten)

    # authorization requests waiting for the resource owner
    def save_pending_authorization(self, pending: PendingAuthorization) -> None:
        self.pending_authorizations[pending.id] = pending

    def pending_authorization(self, pending_id: str) -> PendingAuthorization | None:
        return self.pending_authorizations.get(pending_id)

    def finish_pending_authorization(self, pending_id: str) -> None:
        self.pending_authorizations.pop(pending_id, None)

    # authorization codes
    def save_code(self, code: AuthorizationCode) -> None:
        self.codes[code.code] = code

    def code(self, code: str) -> AuthorizationCode | None:
        return self.codes.get(code)

    # tokens
    def save_token(self, token: Token) -> None:
        self.tokens[token.id] = token

    def token_by_access_token(self, access_token: str) -> Token | None:
        return next(
            (t for t in self.tokens.values() if t.access_token == access_token), None
        )

    def token_by_refresh_token(self, refresh_token: str) -> Token | None:
        return next(
            (t for t in self.tokens.values() if t.refresh_token == refresh_token), None
        )

    def find_token(
        self, token_string: str, hint: str | None = None
    ) -> PresentedToken | None:
        """Look a presented token up as an access token or a refresh token,
        trying the hinted kind first (RFC 7009 2.1, RFC 7662 2.1)."""
        lookups = [
            ("access_token", self.token_by_access_token),
            ("refresh_token", self.token_by_refresh_token),
        ]
        if hint == "refresh_token":
            lookups.reverse()
        for kind, lookup in lookups:
            token = lookup(token_string)
            if token is not None:
                return PresentedToken(token, kind)
        return None

    def tokens_in_family(self, family_id: str) -> list[Token]:
        return [t for t in self.tokens.values() if t.family_id == family_id]

    def revoke_family(self, family_id: str) -> list[Token]:
        """Revoke every access and refresh token descended from one grant."""
        family = self.tokens_in_family(family_id)
        for token in family:
            token.access_token_revoked = True
            if token.refresh_token:
                token.refresh_token_revoked = True
        return family

    # private_key_jwt replay protection (RFC 7523 3, item 7)
    def use_assertion_id(self, client_id: str, jti: str) -> bool:
        """Record a client assertion's jti; False if it was seen before."""
        key = (client_id, jti)
        if key in self.used_assertion_ids:
            return False
        self.used_assertion_ids.add(key)
        return True

    # OpenID Connect nonces
    def code_with_nonce(self, client_id: str, nonce: str) -> bool:
        """Was a code already issued to this client for this nonce?"""
        return any(
            code.client_id == client_id and code.nonce == nonce
            for code in self.codes.values()
        )
