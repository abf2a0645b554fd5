"""Everything one authorization server and one resource server are built from.

A world (or `serve`) makes these; the app factories only read them, so two
apps made in one process share nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import httpx

from .clock import Clock
from .events import EventLog
from .keys import SigningKey
from .randomness import Randomness
from .store import Store
from .weaknesses import Weaknesses

TokenFormat = Literal["jwt", "opaque"]
TokenValidation = Literal["jwt", "introspection"]


@dataclass
class AuthorizationServerSettings:
    issuer: str
    resource_server_url: str
    signing_key: SigningKey
    store: Store
    weaknesses: Weaknesses
    clock: Clock
    events: EventLog
    randomness: Randomness
    secret_key: bytes
    token_format: TokenFormat = "jwt"
    access_token_lifetime: int = 3600
    authorization_code_lifetime: int = 60
    id_token_lifetime: int = 3600
    # RFC 9700 2.1.1: PKCE is required of public clients and recommended for
    # confidential ones; this AS requires it (with S256) of every client, as
    # OAuth 2.1 and FAPI 2.0 do, unless the as.pkce_optional weakness is on.
    require_pkce_for_all_clients: bool = True

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/token"


@dataclass
class ResourceServerSettings:
    url: str
    issuer: str
    weaknesses: Weaknesses
    clock: Clock
    events: EventLog
    # How the resource server reaches the authorization server (JWKS,
    # introspection): a real HTTP client, so these calls are exchanges too.
    authorization_server: httpx.Client
    validation: TokenValidation = "jwt"
    algorithms: tuple[str, ...] = ("RS256",)
    introspection_client_id: str = "photos-api"
    introspection_client_secret: str = "photos-api-secret"
    jwks_cache: dict[str, dict] = field(default_factory=dict)
