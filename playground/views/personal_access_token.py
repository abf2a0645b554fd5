"""A personal access token, taken apart for the learner.

It is not a JWT: nothing in it can be decoded, and that is the point. The raw
HTTP shows it whole (the account page's answer, the script's `Authorization`
header); this view says what its three parts are (GitHub's format, see
`mock_servers.personal_access_tokens`) and what the server keeps of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from mock_servers.personal_access_tokens import (
    CHECKSUM_LENGTH,
    ENTROPY_LENGTH,
    PREFIX,
    checksum,
    sha256_hex,
)
from playground.wire.exchange import Exchange

PATTERN = re.compile(
    re.escape(PREFIX) + f"[0-9A-Za-z]{{{ENTROPY_LENGTH + CHECKSUM_LENGTH}}}"
)


@dataclass(frozen=True)
class PersonalTokenExplanation:
    """Where a personal access token crossed the wire, and its parts."""

    where: str
    token: str

    @property
    def prefix(self) -> str:
        return PREFIX

    @property
    def entropy(self) -> str:
        return self.token[len(PREFIX) : len(PREFIX) + ENTROPY_LENGTH]

    @property
    def checksum(self) -> str:
        return self.token[len(PREFIX) + ENTROPY_LENGTH :]

    @property
    def checksum_valid(self) -> bool:
        return checksum(self.entropy) == self.checksum

    @property
    def stored_as(self) -> str:
        return sha256_hex(self.token)

    def rows(self) -> list[tuple[str, str, str]]:
        """(part, value, what it is for), in the token's order."""
        verdict = "matches" if self.checksum_valid else "does NOT match"
        return [
            (
                "prefix",
                self.prefix,
                "Who issued it and what it is, so secret scanners can spot a "
                "leaked one in a repository or a log (GitHub: ghp_).",
            ),
            (
                "random part",
                self.entropy,
                f"{ENTROPY_LENGTH} random base62 characters (about 178 bits): the "
                "secret itself.",
            ),
            (
                "checksum",
                self.checksum,
                f"CRC32 of the random part in base62; it {verdict}, so a scanner "
                "tells a real token from a look-alike string without asking the "
                "server. Not a signature: anyone can compute it.",
            ),
            (
                "what the server keeps",
                self.stored_as,
                "SHA-256 of the whole token (as Laravel Sanctum stores its "
                "tokens): enough to recognise it, useless to whoever copies the "
                "database. There are no claims to read: the API must ask the "
                "server (introspection, RFC 7662).",
            ),
        ]


def personal_tokens_in(exchanges: Sequence[Exchange]) -> list[PersonalTokenExplanation]:
    """Each personal access token that appeared in a request's Authorization
    header or in a response body, once, where it first appeared."""
    found: dict[str, PersonalTokenExplanation] = {}
    for exchange in exchanges:
        label = f"{exchange.request.method} {urlsplit(exchange.request.url).path}"
        places = (
            (exchange.response.text, f"the response to {label}"),
            (exchange.request.header("Authorization") or "", f"the request {label}"),
        )
        for text, where in places:
            for token in PATTERN.findall(text):
                found.setdefault(token, PersonalTokenExplanation(where, token))
    return list(found.values())
