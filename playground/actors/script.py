"""Alice's own script: a few lines of curl with a personal access token.

No OAuth client at all: nothing registered at the authorization server, no
redirect, no consent. The script sends the token Alice pasted into it, as
`Authorization: Bearer` (RFC 6750 2.1), and reads the answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx


@dataclass
class ApiScript:
    """A script calling the photos API with a token it was given."""

    http: httpx.Client
    api_url: str

    def call_api(self, path: str, token: str) -> httpx.Response:
        return self.http.get(
            f"{self.api_url}{path}", headers={"Authorization": f"Bearer {token}"}
        )
