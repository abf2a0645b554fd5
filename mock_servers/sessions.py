"""Flask's signed session cookie, timestamped by the world's clock.

itsdangerous stamps each cookie with the machine's time, so replaying a
lesson step would produce a different Set-Cookie each second; with the
world's (frozen) clock, a replay is byte-for-byte the same exchange.
"""

from __future__ import annotations

from typing import Any

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from .clock import Clock


class ClockedSessionInterface(SecureCookieSessionInterface):
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def get_signing_serializer(self, app: Any) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        clock = self.clock

        class ClockedSigner(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(clock.now())

        return URLSafeTimedSerializer(
            app.secret_key,
            salt=self.salt,
            serializer=self.serializer,
            signer=ClockedSigner,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )
