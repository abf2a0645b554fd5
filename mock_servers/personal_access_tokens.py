"""Personal access tokens: a token a user makes for herself on her account page.

No client, no redirect, no consent screen: Alice names a token, picks its
scopes and its lifetime, and pastes it into a script. Laravel Sanctum and
GitHub issue them so; this module follows both:

- **The format is GitHub's** ("Behind GitHub's new authentication token
  formats", 2021): a prefix naming who issued it and what it is, so secret
  scanners recognise a leaked one (`ghp_` there, `photos_pat_` here; the
  underscores keep a double-click selecting the whole token), then 30 random
  base62 characters, then a CRC32 checksum of the random part in 6 base62
  characters, so a scanner (or this API) tells a real token from a lookalike
  string without asking the database. Laravel Sanctum adds the same kind of
  checksum (`crc32b` of its 40 random characters) after an optional prefix.
- **Only a hash is kept**, as Sanctum keeps `hash('sha256', $plainTextToken)`:
  the token is shown once, when it is made, and never again. A copy of the
  database is not a copy of the tokens. (Sanctum also writes the row's id and
  `|` in front, `id|token`, to find the row before comparing hashes; a
  SHA-256 index finds it as well.)

The tokens are opaque to everyone but this server, so the photos API checks
one by asking the authorization server (introspection, RFC 7662), as a
resource server checks any token it cannot read itself. That is also where
`last_used_at` comes from: the issuer sees each use because the API asks.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, replace

from .randomness import Randomness

PREFIX = "photos_pat_"
ENTROPY_LENGTH = 30
CHECKSUM_LENGTH = 6
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
TOKEN_LENGTH = len(PREFIX) + ENTROPY_LENGTH + CHECKSUM_LENGTH

DAY = 24 * 60 * 60
# The lifetimes a user may pick. There is no "never": GitHub's fine-grained
# tokens must expire (within a year unless an organisation allows longer), and
# a token nobody remembers should not work forever.
LIFETIME_CHOICES_DAYS = (7, 30, 90, 365)
# Scopes a personal access token may carry: the photos API's. `openid`,
# `profile` and `offline_access` are about signing a user in to a client and
# keeping its access; a personal token has no client to sign in or refresh.
PAT_SCOPES = ("basic", "email", "photos.read", "prints.order")
NAME_MAX_LENGTH = 80
# Per user, as GitHub limits them: enough for every script a person keeps.
MAX_TOKENS_PER_USER = 50


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, digit = divmod(number, 62)
        digits.append(BASE62[digit])
    # "using leading zeros for padding as needed" (GitHub's post).
    return "".join(reversed(digits)).rjust(width, BASE62[0])


def checksum(entropy: str) -> str:
    """CRC32 of the random part, in base62, 6 characters (62^6 > 2^32)."""
    return _base62(zlib.crc32(entropy.encode("ascii")), CHECKSUM_LENGTH)


def random_base62(randomness: Randomness, length: int) -> str:
    """`length` uniform base62 characters (rejection sampling: no modulo bias)."""
    chars: list[str] = []
    while len(chars) < length:
        for byte in randomness.token_bytes(length):
            if byte < 62 * 4:  # 248: the largest multiple of 62 below 256
                chars.append(BASE62[byte % 62])
                if len(chars) == length:
                    break
    return "".join(chars)


def looks_like_personal_access_token(token: str) -> bool:
    """Has the shape of one of ours: prefix, length, base62 (no database).

    A resource server reads the prefix to know the token is opaque and must
    be checked with its issuer; a secret scanner reads it to know whom to
    tell about a leak.
    """
    if not token.startswith(PREFIX) or len(token) != TOKEN_LENGTH:
        return False
    return all(ch in BASE62 for ch in token[len(PREFIX) :])


def checksum_is_valid(token: str) -> bool:
    """The last 6 characters are the CRC32 of the 30 before them."""
    if not looks_like_personal_access_token(token):
        return False
    body = token[len(PREFIX) :]
    entropy, sent = body[:ENTROPY_LENGTH], body[ENTROPY_LENGTH:]
    return hmac.compare_digest(checksum(entropy), sent)


def sha256_hex(token: str) -> str:
    """What the server keeps instead of the token (Sanctum: `hash('sha256', ...)`)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PersonalAccessToken:
    """One token as the server remembers it: everything but the token."""

    id: str
    user_id: str
    name: str
    scope: str
    token_sha256: str
    created_at: int
    expires_at: int
    last_used_at: int | None = None
    revoked_at: int | None = None

    def is_expired(self, now: int) -> bool:
        return now >= self.expires_at

    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_active(self, now: int) -> bool:
        return not self.is_revoked() and not self.is_expired(now)

    def status(self, now: int) -> str:
        if self.is_revoked():
            return "revoked"
        if self.is_expired(now):
            return "expired"
        return "active"


class PersonalAccessTokenError(ValueError):
    """A token request the account page refuses, with the reason to show."""


@dataclass(frozen=True)
class NewPersonalAccessToken:
    """What `issue` returns: the record, and the token itself, to show once."""

    record: PersonalAccessToken
    token: str


class PersonalAccessTokens:
    """One world's personal access tokens, found by the hash of the token.

    Bounded (a number of tokens per user) and safe to use from `serve`'s
    request threads: one lock around every read and write.
    """

    def __init__(self, max_per_user: int = MAX_TOKENS_PER_USER) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, PersonalAccessToken] = {}
        self._by_hash: dict[str, str] = {}
        self._count = 0
        self.max_per_user = max_per_user

    def issue(
        self,
        *,
        user_id: str,
        name: str,
        scope: Iterable[str],
        lifetime_days: int,
        now: int,
        randomness: Randomness,
    ) -> NewPersonalAccessToken:
        """Make a token; raise `PersonalAccessTokenError` saying what is wrong."""
        name = " ".join(name.split())
        if not name:
            raise PersonalAccessTokenError("Give the token a name, to know it later.")
        if len(name) > NAME_MAX_LENGTH:
            raise PersonalAccessTokenError(
                f"A token name has at most {NAME_MAX_LENGTH} characters."
            )
        scopes = list(dict.fromkeys(scope))
        if not scopes:
            raise PersonalAccessTokenError("Pick at least one scope.")
        unknown = [s for s in scopes if s not in PAT_SCOPES]
        if unknown:
            raise PersonalAccessTokenError(
                f"Not a scope a personal access token can have: {' '.join(unknown)}"
                f" (choose from {', '.join(PAT_SCOPES)})."
            )
        if lifetime_days not in LIFETIME_CHOICES_DAYS:
            raise PersonalAccessTokenError(
                "Choose an expiry of "
                + ", ".join(str(days) for days in LIFETIME_CHOICES_DAYS)
                + " days: every token expires."
            )
        entropy = random_base62(randomness, ENTROPY_LENGTH)
        token = PREFIX + entropy + checksum(entropy)
        with self._lock:
            mine = [t for t in self._by_id.values() if t.user_id == user_id]
            if sum(t.is_active(now) for t in mine) >= self.max_per_user:
                raise PersonalAccessTokenError(
                    f"You have {self.max_per_user} active tokens: revoke one first."
                )
            self._forget_stale(mine, now)
            self._count += 1
            record = PersonalAccessToken(
                id=f"pat-{self._count}",
                user_id=user_id,
                name=name,
                scope=" ".join(s for s in PAT_SCOPES if s in scopes),
                token_sha256=sha256_hex(token),
                created_at=now,
                expires_at=now + lifetime_days * DAY,
            )
            self._by_id[record.id] = record
            self._by_hash[record.token_sha256] = record.id
        return NewPersonalAccessToken(record, token)

    def _forget_stale(self, mine: list[PersonalAccessToken], now: int) -> None:
        """Keep a user's list bounded (twice the active limit): the oldest
        revoked or expired tokens are forgotten first. A forgotten token is
        unknown, so it is refused all the same."""
        stale = sorted(
            (t for t in mine if not t.is_active(now)), key=lambda t: t.created_at
        )
        excess = len(mine) + 1 - 2 * self.max_per_user
        for old in stale[: max(0, excess)]:
            self._by_id.pop(old.id, None)
            self._by_hash.pop(old.token_sha256, None)

    def find(self, token: str) -> PersonalAccessToken | None:
        """The record of a presented token, active or not; None if unknown.

        A string whose checksum is wrong is refused before any lookup, as a
        scanner would discard it.
        """
        if not checksum_is_valid(token):
            return None
        with self._lock:
            token_id = self._by_hash.get(sha256_hex(token))
            return self._by_id.get(token_id) if token_id else None

    def of_user(self, user_id: str) -> list[PersonalAccessToken]:
        """A user's tokens, newest first."""
        with self._lock:
            mine = [t for t in self._by_id.values() if t.user_id == user_id]
        return sorted(mine, key=lambda t: (t.created_at, t.id), reverse=True)

    def revoke(self, user_id: str, token_id: str, now: int) -> PersonalAccessToken:
        """Revoke one of the user's own tokens (another user's is not found)."""
        with self._lock:
            record = self._by_id.get(token_id)
            if record is None or record.user_id != user_id:
                raise PersonalAccessTokenError("No such token of yours.")
            if record.revoked_at is None:
                record = replace(record, revoked_at=now)
                self._by_id[token_id] = record
            return record

    def record_use(self, record: PersonalAccessToken, now: int) -> None:
        """The API asked about this token: it was used now."""
        with self._lock:
            current = self._by_id.get(record.id)
            if current is not None:
                self._by_id[record.id] = replace(current, last_used_at=now)


@dataclass(frozen=True)
class PresentedPersonalToken:
    """A personal access token presented for introspection, as Authlib's
    introspection endpoint asks about it (`is_expired`, `is_revoked`)."""

    record: PersonalAccessToken
    now: int

    def check_client(self, client: object) -> bool:
        # No client was ever issued this token: only a resource server allowed
        # to introspect may ask about it (RFC 7662 2.1 leaves who to the AS).
        return False

    def is_expired(self) -> bool:
        return self.record.is_expired(self.now)

    def is_revoked(self) -> bool:
        return self.record.is_revoked()
