"""A device with a screen and no keyboard: PhotoFrame TV (RFC 8628).

It asks the authorization server for a device code, shows the person a user
code and where to enter it, then polls the token endpoint, waiting the
interval between polls on the world's clock. Every request is real HTTP,
recorded like any client's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from mock_servers.clock import Clock
from playground.actors.oauth_client import OAuthClient

DEVICE_CODE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
# RFC 8628 3.2: "If no value is provided, clients MUST use 5 as the default."
DEFAULT_INTERVAL = 5
# RFC 8628 3.5: on slow_down "the interval MUST be increased by 5 seconds".
SLOW_DOWN_STEP = 5


@dataclass
class DeviceApp:
    oauth: OAuthClient
    clock: Clock
    # The device authorization response (RFC 8628 3.2), once asked for.
    authorization: dict[str, Any] = field(default_factory=dict)
    interval: int = DEFAULT_INTERVAL

    @property
    def client_id(self) -> str:
        return self.oauth.client_id

    @property
    def tokens(self) -> dict[str, Any]:
        return self.oauth.tokens

    @property
    def user_code(self) -> str:
        return str(self.authorization.get("user_code", ""))

    @property
    def device_code(self) -> str:
        return str(self.authorization.get("device_code", ""))

    @property
    def verification_uri(self) -> str:
        return str(self.authorization.get("verification_uri", ""))

    @property
    def verification_uri_complete(self) -> str:
        return str(self.authorization.get("verification_uri_complete", ""))

    @property
    def screen(self) -> str:
        """What the TV shows (RFC 8628 3.3): where to go, and the code."""
        if not self.authorization:
            return ""
        return f"Go to {self.verification_uri} and enter {self.user_code}"

    def start(self, scope: str, *, resource: str | None = None) -> httpx.Response:
        """RFC 8628 3.1: the device authorization request."""
        form = {"scope": scope}
        if resource:
            form["resource"] = resource
        response = self.oauth.post_authenticated(
            f"{self.oauth.issuer}/device_authorization", form
        )
        if response.status_code == 200:
            self.authorization = response.json()
            self.interval = int(self.authorization.get("interval", DEFAULT_INTERVAL))
        return response

    def wait(self, seconds: int | None = None) -> int:
        """Let time pass on the world's clock: the polling interval by default."""
        waited = self.interval if seconds is None else seconds
        self.clock.advance(waited)
        return waited

    def poll(self) -> httpx.Response:
        """RFC 8628 3.4: one access token request with the device code."""
        response = self.oauth.token_request(
            {"grant_type": DEVICE_CODE_GRANT_TYPE, "device_code": self.device_code}
        )
        if response.status_code == 400 and _error(response) == "slow_down":
            self.interval += SLOW_DOWN_STEP  # for this and all later requests
        return response

    def call_api(self, path: str = "/api/photos") -> httpx.Response:
        return self.oauth.call_api(path)


def _error(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None
