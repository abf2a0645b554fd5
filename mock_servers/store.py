"""One world's in-memory storage, asked the questions the protocol asks.

Like oauthlib's RequestValidator, every storage decision is a named method, so
a reader can find where "was this code already used?" is answered.

`serve` answers many requests at once, so every method holds the store's lock,
and every lookup a request makes is one dictionary read (by code, access
token, refresh token, jti, grant family or nonce), never a scan. Nothing is
kept forever: each record is forgotten once the world's clock says it can no
longer matter (`keep_until`), and each kind has a ceiling (`StoreLimits`).
A forgotten credential is unknown, so it is refused: forgetting never lets
anything in.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from .clock import Clock
from .cors import origin_of
from .device_authorization import DeviceAuthorizations
from .models import (
    AuthorizationCode,
    Client,
    PendingAuthorization,
    PresentedToken,
    Token,
    User,
)

MINUTE = 60
HOUR = 60 * MINUTE

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True)
class StoreLimits:
    """How long and how much one world's store keeps.

    `explain_expired_for`: an expired code or token is kept this long after it
    ends, so the learner is told "expired" (and the lesson's event is
    recorded) rather than "unknown". The ceilings bound memory whatever
    arrives (a token is ~1.5 KB as a JWT); past one, the records nearest their
    end are forgotten first.
    """

    explain_expired_for: int = HOUR
    # A person signs in and decides within this; then the browser starts again.
    pending_authorization_lifetime: int = 30 * MINUTE
    tokens: int = 50_000
    codes: int = 10_000
    pending_authorizations: int = 10_000
    assertion_ids: int = 10_000


class _Expiring(Generic[K, V]):
    """A dictionary whose entries leave when `keep_until(value)` has passed or
    when there are more than `capacity` (soonest-ending first).

    Deadlines wait in a heap and are asked again when they come up, so a
    record whose end moved later (a refresh token's idle lifetime restarted)
    goes back in line instead of out.
    """

    def __init__(self, keep_until: Callable[[V], int], capacity: int) -> None:
        self.items: dict[K, V] = {}
        self._keep_until = keep_until
        self._capacity = capacity
        self._heap: list[tuple[int, int, K]] = []
        self._order = itertools.count()

    def add(self, key: K, value: V, now: int) -> list[V]:
        """Keep `value`; return the values forgotten to make room or expired."""
        self.items[key] = value
        heapq.heappush(self._heap, (self._keep_until(value), next(self._order), key))
        return self.sweep(now)

    def sweep(self, now: int) -> list[V]:
        forgotten = []
        while self._heap:
            deadline, _, key = self._heap[0]
            over_capacity = len(self.items) > self._capacity
            if deadline > now and not over_capacity:
                break
            heapq.heappop(self._heap)
            value = self.items.get(key)
            if value is None:
                continue  # removed already
            current = self._keep_until(value)
            if current > deadline and (current > now and not over_capacity):
                heapq.heappush(self._heap, (current, next(self._order), key))
                continue
            del self.items[key]
            forgotten.append(value)
        if len(self._heap) > 2 * len(self.items) + 64:
            # Entries removed early (an answered authorization request) leave
            # their deadlines behind; rebuild so the heap stays the dict's size.
            self._heap = [
                (self._keep_until(value), next(self._order), key)
                for key, value in self.items.items()
            ]
            heapq.heapify(self._heap)
        return forgotten

    def remove(self, key: K) -> V | None:
        return self.items.pop(key, None)


@dataclass
class Store:
    """Users, clients, consents, authorization requests, codes and tokens."""

    users: dict[str, User] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    consents: set[tuple[str, str, str]] = field(default_factory=set)
    clock: Clock = field(default_factory=Clock, repr=False)
    limits: StoreLimits = field(default_factory=StoreLimits)
    # RFC 8628: devices waiting for a person to enter their user code (their
    # own lock and cap).
    device_authorizations: DeviceAuthorizations = field(
        default_factory=DeviceAuthorizations
    )

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        limits = self.limits
        grace = limits.explain_expired_for
        self._codes: _Expiring[str, AuthorizationCode] = _Expiring(
            # RFC 6749 4.1.2: a used code stays known until it expires, so a
            # replay is recognised and the tokens issued from it are revoked.
            lambda code: code.expires_at + grace,
            limits.codes,
        )
        self._tokens: _Expiring[str, Token] = _Expiring(
            lambda token: _token_keep_until(token) + grace, limits.tokens
        )
        self._pending: _Expiring[str, PendingAuthorization] = _Expiring(
            lambda p: p.created_at + limits.pending_authorization_lifetime,
            limits.pending_authorizations,
        )
        # (client_id, jti) -> when the assertion expires
        self._assertion_ids: _Expiring[tuple[str, str], int] = _Expiring(
            lambda expires_at: expires_at, limits.assertion_ids
        )
        self._by_access_token: dict[str, Token] = {}
        self._by_refresh_token: dict[str, Token] = {}
        self._by_jti: dict[str, Token] = {}
        # family id -> the tokens issued after its first (rotations); the
        # first token's id is the family id, and most families hold only it.
        self._descendants: dict[str, list[Token]] = {}
        self._code_nonces: dict[tuple[str, str], str] = {}

    # The records themselves, for lessons and tests that look (read only).
    @property
    def codes(self) -> dict[str, AuthorizationCode]:
        return self._codes.items

    @property
    def tokens(self) -> dict[str, Token]:
        return self._tokens.items

    @property
    def pending_authorizations(self) -> dict[str, PendingAuthorization]:
        return self._pending.items

    # users and clients
    def add_user(self, user: User) -> None:
        with self._lock:
            self.users[user.id] = user

    def add_client(self, client: Client) -> None:
        with self._lock:
            self.clients[client.client_id] = client

    def client(self, client_id: object) -> Client | None:
        # Asked with whatever a request carried: a JSON claim may be a list.
        return self.clients.get(client_id) if isinstance(client_id, str) else None

    def user(self, user_id: object) -> User | None:
        return self.users.get(user_id) if isinstance(user_id, str) else None

    def user_by_username(self, username: str) -> User | None:
        with self._lock:
            users = list(self.users.values())
        return next((u for u in users if u.username == username), None)

    def browser_origins(self) -> frozenset[str]:
        """The web origins of every registered redirect URI: where the clients'
        pages live, so where their cross-origin requests come from (like
        Keycloak's "web origins" of "+"). Asked per request, so a client
        registered or changed later counts at once."""
        with self._lock:
            clients = list(self.clients.values())
        return frozenset(
            origin
            for client in clients
            for uri in client.redirect_uris
            if (origin := origin_of(uri)) is not None
        )

    # consent (remembered per user + client + scopes). Not swept: a consent
    # only names a registered user, a registered client and scopes that client
    # may ask for (checked before it is recorded), so there are at most
    # users x clients x scopes of them.
    def remember_consent(self, user_id: str, client_id: str, scope: str) -> None:
        with self._lock:
            for item in scope.split():
                self.consents.add((user_id, client_id, item))

    def has_consent(self, user_id: str, client_id: str, scope: str) -> bool:
        with self._lock:
            return all((user_id, client_id, s) in self.consents for s in scope.split())

    def consents_of(self, user_id: str) -> dict[str, frozenset[str]]:
        """Which clients this user approved, and for which scopes."""
        approved: dict[str, set[str]] = {}
        with self._lock:
            for user, client_id, scope in self.consents:
                if user == user_id:
                    approved.setdefault(client_id, set()).add(scope)
        return {client_id: frozenset(s) for client_id, s in approved.items()}

    def forget_consent(self, user_id: str, client_id: str) -> frozenset[str]:
        """Forget a user's approval of a client; the scopes it was for."""
        with self._lock:
            forgotten = {
                c for c in self.consents if c[0] == user_id and c[1] == client_id
            }
            self.consents -= forgotten
        return frozenset(scope for _, _, scope in forgotten)

    # authorization requests waiting for the resource owner
    def save_pending_authorization(self, pending: PendingAuthorization) -> None:
        with self._lock:
            self._pending.add(pending.id, pending, self.clock.now())

    def pending_authorization(self, pending_id: str) -> PendingAuthorization | None:
        with self._lock:
            pending = self._pending.items.get(pending_id)
            if pending is None or self._pending_expired(pending):
                return None
            return pending

    def _pending_expired(self, pending: PendingAuthorization) -> bool:
        lifetime = self.limits.pending_authorization_lifetime
        return self.clock.now() >= pending.created_at + lifetime

    def finish_pending_authorization(self, pending_id: str) -> None:
        with self._lock:
            self._pending.remove(pending_id)

    # authorization codes
    def save_code(self, code: AuthorizationCode) -> None:
        with self._lock:
            forgotten = self._codes.add(code.code, code, self.clock.now())
            if code.nonce is not None:
                self._code_nonces[(code.client_id, code.nonce)] = code.code
            self._forget_codes(forgotten)

    def code(self, code: str) -> AuthorizationCode | None:
        with self._lock:
            return self._codes.items.get(code)

    def use_code(self, code: AuthorizationCode) -> bool:
        """Mark a code used; False if it already was (RFC 6749 4.1.2: "The
        client MUST NOT use the authorization code more than once"). One step
        under the lock, so of two redemptions racing, exactly one wins."""
        with self._lock:
            if code.used:
                return False
            code.used = True
            return True

    def _forget_codes(self, codes: list[AuthorizationCode]) -> None:
        for code in codes:
            if code.nonce is not None:
                key = (code.client_id, code.nonce)
                if self._code_nonces.get(key) == code.code:
                    del self._code_nonces[key]

    # tokens
    def save_token(self, token: Token) -> None:
        with self._lock:
            forgotten = self._tokens.add(token.id, token, self.clock.now())
            self._by_access_token[token.access_token] = token
            if token.refresh_token:
                self._by_refresh_token[token.refresh_token] = token
            if token.access_token_jti:
                self._by_jti[token.access_token_jti] = token
            if token.family_id != token.id:
                self._descendants.setdefault(token.family_id, []).append(token)
            self._forget_tokens(forgotten)
            # Codes and requests left waiting are swept as time goes by too.
            now = self.clock.now()
            self._forget_codes(self._codes.sweep(now))
            self._pending.sweep(now)
            self._assertion_ids.sweep(now)

    def _forget_tokens(self, tokens: list[Token]) -> None:
        for token in tokens:
            if self._by_access_token.get(token.access_token) is token:
                del self._by_access_token[token.access_token]
            if token.refresh_token and (
                self._by_refresh_token.get(token.refresh_token) is token
            ):
                del self._by_refresh_token[token.refresh_token]
            if token.access_token_jti and self._by_jti.get(token.access_token_jti) is (
                token
            ):
                del self._by_jti[token.access_token_jti]
            family = self._descendants.get(token.family_id)
            if family is not None:
                family[:] = [member for member in family if member is not token]
                if not family:
                    del self._descendants[token.family_id]

    def token(self, token_id: str) -> Token | None:
        with self._lock:
            return self._tokens.items.get(token_id)

    def token_by_access_token(self, access_token: str) -> Token | None:
        with self._lock:
            return self._by_access_token.get(access_token)

    def token_by_refresh_token(self, refresh_token: str) -> Token | None:
        with self._lock:
            return self._by_refresh_token.get(refresh_token)

    def token_by_jti(self, jti: str) -> Token | None:
        """The grant record of a JWT access token, by its `jti` claim."""
        with self._lock:
            return self._by_jti.get(jti)

    def find_token(
        self, token_string: str, hint: str | None = None
    ) -> PresentedToken | None:
        """Look a presented token up as an access token or a refresh token,
        trying the hinted kind first (RFC 7009 2.1, RFC 7662 2.1)."""
        lookups = [
            ("access_token", self._by_access_token),
            ("refresh_token", self._by_refresh_token),
        ]
        if hint == "refresh_token":
            lookups.reverse()
        with self._lock:
            for kind, index in lookups:
                token = index.get(token_string)
                if token is not None:
                    return PresentedToken(token, kind)
        return None

    def tokens_in_family(self, family_id: str) -> list[Token]:
        with self._lock:
            return self._family(family_id)

    def _family(self, family_id: str) -> list[Token]:
        first = self._tokens.items.get(family_id)
        descendants = self._descendants.get(family_id, [])
        return ([first] if first is not None else []) + descendants

    def revoke_access_token(self, token: Token) -> None:
        with self._lock:
            token.access_token_revoked = True

    def revoke_family(self, family_id: str) -> list[Token]:
        """Revoke every access and refresh token descended from one grant."""
        with self._lock:
            family = self._family(family_id)
            for token in family:
                token.access_token_revoked = True
                if token.refresh_token:
                    token.refresh_token_revoked = True
            return family

    def use_refresh_token(self, token: Token) -> bool:
        """Mark a rotated refresh token used; False if it already was, so of
        two refreshes racing with one token, one is seen as its replay
        (RFC 9700 4.14.2)."""
        with self._lock:
            if token.refresh_token_used:
                return False
            token.refresh_token_used = True
            return True

    # private_key_jwt replay protection (RFC 7523 3, item 7)
    def use_assertion_id(
        self, client_id: str, jti: str, expires_at: int | None = None
    ) -> bool:
        """Record a client assertion's jti; False if it was seen before.

        RFC 7523 3: the jti may be remembered only until the assertion
        expires; after `exp` the assertion is refused for that reason anyway.
        """
        key = (client_id, jti)
        with self._lock:
            now = self.clock.now()
            self._assertion_ids.sweep(now)
            if key in self._assertion_ids.items:
                return False
            keep_until = expires_at if expires_at is not None else now + HOUR
            self._assertion_ids.add(key, max(keep_until, now), now)
            return True

    @property
    def used_assertion_ids(self) -> set[tuple[str, str]]:
        with self._lock:
            return set(self._assertion_ids.items)

    # OpenID Connect nonces
    def code_with_nonce(self, client_id: str, nonce: str) -> bool:
        """Was a code already issued to this client for this nonce?"""
        with self._lock:
            return (client_id, nonce) in self._code_nonces


def _token_keep_until(token: Token) -> int:
    """When nothing more can be learned from this record.

    The access token ends at its expiry; a refresh token at the end of its
    lifetimes. A rotated (used) one must stay known until its grant's absolute
    lifetime ends, so that a replay still revokes the family (RFC 9700 4.14.2).
    """
    ends = [token.expires_at]
    if token.refresh_token:
        if token.refresh_token_used and token.grant_expires_at is not None:
            ends.append(token.grant_expires_at)
        elif token.refresh_token_expires_at is not None:
            ends.append(token.refresh_token_expires_at)
    return max(ends)
