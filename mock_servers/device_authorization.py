"""Device authorization requests (RFC 8628) and where the AS keeps them.

A device authorization is the AS's record of one device asking to be
connected: the `device_code` the device polls with, the `user_code` a person
types on another device, who asked (the client, from which network address,
with which user agent), how often the device may poll, and what the person
decided. The store is per world, bounded and safe to use from several server
threads (`serve` answers requests in parallel).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from .randomness import Randomness

# RFC 8628 6.1: a base-20 character set of consonants, no vowels (no words)
# and no digits (nothing to confuse with letters); 8 characters give about
# 34.5 bits of entropy.
USER_CODE_CHARSET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
# RFC 8628 3.2: "If no value is provided, clients MUST use 5 as the default";
# we send it anyway.
DEFAULT_INTERVAL = 5
# RFC 8628 3.5: slow_down means "the interval MUST be increased by 5 seconds
# for this and all subsequent requests".
SLOW_DOWN_STEP = 5
# How many device authorizations one world keeps (the oldest go first).
MAX_DEVICE_AUTHORIZATIONS = 500


class Status:
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    REDEEMED = "redeemed"


@dataclass
class DeviceAuthorization:
    """One device authorization request and what became of it."""

    device_code: str
    user_code: str
    client_id: str
    scope: str
    resources: tuple[str, ...]
    issued_at: int
    expires_at: int
    # Where the device authorization request came from, as the AS saw it:
    # what the verification page shows the person approving (RFC 8628 5.4).
    requested_from: str
    user_agent: str
    interval: int = DEFAULT_INTERVAL
    last_polled_at: int | None = None
    status: str = Status.PENDING
    user_id: str | None = None

    def is_expired(self, now: int) -> bool:
        return now >= self.expires_at

    # What Authlib's DeviceCodeGrant asks of a device credential.
    def get_client_id(self) -> str:
        return self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_user_code(self) -> str:
        return self.user_code

    @property
    def display_code(self) -> str:
        """The user code as a person reads it: two groups of four (WDJB-MJHT)."""
        half = len(self.user_code) // 2
        return f"{self.user_code[:half]}-{self.user_code[half:]}"


def normalize_user_code(typed: str) -> str:
    """RFC 8628 6.1: compare case-insensitively and ignore characters that are
    not in the user-code character set (the dash, spaces)."""
    return "".join(ch for ch in typed.upper() if ch in USER_CODE_CHARSET)


def new_user_code(randomness: Randomness) -> str:
    """8 characters drawn uniformly from the base-20 set (rejection sampling:
    a byte of 240 or more would favour the first 16 characters)."""
    code: list[str] = []
    while len(code) < USER_CODE_LENGTH:
        for byte in randomness.token_bytes(USER_CODE_LENGTH):
            if byte < 240 and len(code) < USER_CODE_LENGTH:
                code.append(USER_CODE_CHARSET[byte % len(USER_CODE_CHARSET)])
    return "".join(code)


class DeviceAuthorizations:
    """The device authorizations of one world, by device code and user code."""

    def __init__(self, limit: int = MAX_DEVICE_AUTHORIZATIONS) -> None:
        self._by_device_code: OrderedDict[str, DeviceAuthorization] = OrderedDict()
        # Reentrant: a decision (a poll, an approval) holds it while it reads
        # and changes one authorization, and the lookups take it too.
        self.lock = threading.RLock()
        self._limit = limit

    def add(self, authorization: DeviceAuthorization) -> None:
        with self.lock:
            self._by_device_code[authorization.device_code] = authorization
            while len(self._by_device_code) > self._limit:
                self._by_device_code.popitem(last=False)

    def by_device_code(self, device_code: str) -> DeviceAuthorization | None:
        with self.lock:
            return self._by_device_code.get(device_code)

    def by_user_code(self, typed: str) -> DeviceAuthorization | None:
        """The authorization a person means by the code they typed."""
        code = normalize_user_code(typed)
        if len(code) != USER_CODE_LENGTH:
            return None
        with self.lock:
            newest_first = reversed(self._by_device_code.values())
            return next((a for a in newest_first if a.user_code == code), None)

    def user_code_in_use(self, code: str, now: int) -> bool:
        """Is this user code held by an authorization still waiting?"""
        with self.lock:
            return any(
                a.user_code == code and not a.is_expired(now)
                for a in self._by_device_code.values()
            )

    def __len__(self) -> int:
        with self.lock:
            return len(self._by_device_code)

    def all(self) -> list[DeviceAuthorization]:
        with self.lock:
            return list(self._by_device_code.values())
