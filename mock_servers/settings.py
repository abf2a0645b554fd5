"""Everything one authorization server and one resource server are built from.

A world (or `serve`) makes these; the app factories only read them, so two
apps made in one process share nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import httpx

from .clock import Clock
from .dpop import DPoPChecker, DPoPProofCheck
from .events import EventLog
from .keys import SigningKey
from .models import Client
from .par import REQUEST_URI_LIFETIME, PushedRequests
from .personal_access_tokens import LIFETIME_CHOICES_DAYS, PersonalAccessTokens
from .randomness import Randomness
from .store import Store
from .token_exchange import ExchangedTokens, TokenExchangePolicy
from .weaknesses import Weaknesses

if TYPE_CHECKING:
    from .resource_indicators import ProtectedResource
    from .token_validation import AccessToken

TokenFormat = Literal["jwt", "opaque"]
TokenValidation = Literal["jwt", "introspection"]

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


@dataclass(frozen=True)
class Lifetime:
    """One row of the lifetimes table (the README's is generated from it)."""

    name: str
    seconds: int
    applies_to: str
    spec: str


@dataclass(frozen=True)
class TokenLifetimes:
    """Every lifetime the authorization server enforces, in seconds, in one place.

    Each is judged by the world's clock (`AuthorizationServerSettings.clock`),
    so a lesson advances the clock to show a code, a token or a grant expire.
    """

    # RFC 6749 4.1.2: "A maximum authorization code lifetime of 10 minutes is
    # RECOMMENDED"; one minute is plenty for a browser to bring it back.
    authorization_code: int = MINUTE
    # RFC 6750 5.3 / RFC 6819 5.1.5.3: short-lived bearer tokens limit what a
    # leaked one is worth; an hour is a common default.
    access_token: int = HOUR
    id_token: int = HOUR
    # RFC 9700 4.14.2: "refresh tokens SHOULD expire if the client has been
    # inactive for some time"; the idle lifetime counts from the refresh
    # token's issuance (or, when tokens are not rotated, its last use). The
    # absolute lifetime counts from the start of the grant and is carried
    # across rotations: OAuth 2.0 for Browser-Based Applications ("Refresh
    # Tokens") says a rotated refresh token MUST NOT outlive the first one.
    # A confidential client proves who it is at every refresh, so its refresh
    # tokens may live a month idle and a quarter in all.
    refresh_token_idle: int = 30 * DAY
    refresh_token_absolute: int = 90 * DAY
    # A public client (a single-page or native app) has no secret: whoever
    # copies its refresh token can use it (RFC 9700 4.14.2), so its tokens end
    # after a day unused and a week in all; then the user signs in again.
    public_refresh_token_idle: int = DAY
    public_refresh_token_absolute: int = 7 * DAY
    # RFC 8628 5.4: the user code must live long enough for the user to reach
    # a second device and sign in, "but should be sufficiently short to limit
    # the usability of a code obtained for phishing".
    device_code: int = 10 * MINUTE
    # RFC 8693 2.2.1 / RFC 9700 2.3: a token made by token exchange for one
    # call to another API needs minutes, not an hour; it never outlives the
    # token it came from either.
    exchanged_access_token: int = 5 * MINUTE
    # A personal access token lives as long as its owner chose, at most a
    # year (GitHub's fine-grained tokens: 366 days unless an organisation
    # allows more); there is no "never".
    personal_access_token_max: int = max(LIFETIME_CHOICES_DAYS) * DAY

    def refresh_token_idle_for(self, client: Client) -> int:
        if client.is_public:
            return self.public_refresh_token_idle
        return self.refresh_token_idle

    def refresh_token_absolute_for(self, client: Client) -> int:
        if client.is_public:
            return self.public_refresh_token_absolute
        return self.refresh_token_absolute

    def table(self) -> tuple[Lifetime, ...]:
        return (
            Lifetime(
                "authorization code",
                self.authorization_code,
                "every client",
                "RFC 6749 4.1.2",
            ),
            Lifetime(
                "access token",
                self.access_token,
                "every client",
                "RFC 6750 5.3, RFC 6819 5.1.5.3",
            ),
            Lifetime("ID token", self.id_token, "every client", "OIDC Core 2"),
            Lifetime(
                "refresh token, idle",
                self.refresh_token_idle,
                "confidential clients",
                "RFC 9700 4.14.2",
            ),
            Lifetime(
                "refresh token, absolute (from the start of the grant)",
                self.refresh_token_absolute,
                "confidential clients",
                "RFC 9700 4.14.2",
            ),
            Lifetime(
                "refresh token, idle",
                self.public_refresh_token_idle,
                "public clients",
                "RFC 9700 4.14.2, OAuth for Browser-Based Apps",
            ),
            Lifetime(
                "refresh token, absolute (from the start of the grant)",
                self.public_refresh_token_absolute,
                "public clients",
                "RFC 9700 4.14.2, OAuth for Browser-Based Apps",
            ),
            Lifetime(
                "device code and user code",
                self.device_code,
                "device clients",
                "RFC 8628 3.2, 5.4",
            ),
            Lifetime(
                "access token from a token exchange (at most; never past the "
                "subject token's exp)",
                self.exchanged_access_token,
                "the photos API calling the print lab",
                "RFC 8693 2.2.1, RFC 9700 2.3",
            ),
            Lifetime(
                "personal access token (at most; the user picks "
                + ", ".join(str(days) for days in LIFETIME_CHOICES_DAYS)
                + " days)",
                self.personal_access_token_max,
                "tokens made on the account page",
                "GitHub and Laravel Sanctum practice",
            ),
        )


def token_lifetimes(lifetimes: TokenLifetimes | None = None) -> tuple[Lifetime, ...]:
    """The lifetimes a new world's authorization server enforces, as table rows
    (name, seconds, applies to, spec): what the README's table shows."""
    return (lifetimes or TokenLifetimes()).table()


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
    lifetimes: TokenLifetimes = field(default_factory=TokenLifetimes)
    # RFC 9700 2.1.1: PKCE is required of public clients and recommended for
    # confidential ones; this AS requires it (with S256) of every client, as
    # OAuth 2.1 and FAPI 2.0 do, unless the as.pkce_optional weakness is on.
    require_pkce_for_all_clients: bool = True
    # RFC 8707: resources besides the photos API that this AS issues tokens for.
    extra_resources: dict[str, ProtectedResource] = field(default_factory=dict)
    # RFC 9126 5: PAR for every client (each may also require it for itself,
    # client metadata require_pushed_authorization_requests, RFC 9126 6).
    require_pushed_authorization_requests: bool = False
    pushed_request_lifetime: int = REQUEST_URI_LIFETIME
    pushed_requests: PushedRequests = field(default_factory=PushedRequests)
    # RFC 9449: DPoP proofs at the token and PAR endpoints (jti memory, nonces).
    dpop: DPoPChecker = field(init=False)

    def __post_init__(self) -> None:
        self.dpop = DPoPChecker(self.clock, self.randomness)

    # The account page's personal access tokens (only their hashes).
    personal_access_tokens: PersonalAccessTokens = field(
        default_factory=PersonalAccessTokens
    )
    # RFC 8693: who may exchange which tokens for which audience, and what
    # the server remembers of the tokens it issued that way.
    token_exchange: TokenExchangePolicy = field(default_factory=TokenExchangePolicy)
    exchanged_tokens: ExchangedTokens = field(default_factory=ExchangedTokens)
    # A second key, EC P-256, for the clients held to the FAPI 2.0 Security
    # Profile: its 5.4.1 allows JWTs signed with PS256, ES256 or EdDSA only,
    # never RS256. A client asks for it in its metadata (`signing_key_for`).
    ec_signing_key: SigningKey | None = None

    def signing_key_for(self, client: Client | None, metadata_name: str) -> SigningKey:
        """The key that signs a JWT for `client`: the EC key (ES256) when the
        client's metadata `metadata_name` says ES256 (OIDC Dynamic Client
        Registration 2's `id_token_signed_response_alg` for ID tokens; for
        access tokens no registered metadata exists, so this server reads
        `access_token_signed_response_alg`), else the RSA key (RS256)."""
        wanted = client.client_metadata.get(metadata_name) if client else None
        ec_key = self.ec_signing_key
        if ec_key is not None and wanted == ec_key.alg:
            return ec_key
        return self.signing_key

    def public_jwks(self) -> dict:
        """The JWK Set at /jwks.json (RFC 7517 5): every key this server signs
        with, each with its own kid and alg."""
        keys = [self.signing_key.public_jwk()]
        if self.ec_signing_key is not None:
            keys.append(self.ec_signing_key.public_jwk())
        return {"keys": keys}

    @property
    def signing_algorithms(self) -> list[str]:
        return [key.alg for key in (self.signing_key, self.ec_signing_key) if key]

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
    # The AS signs RS256, and ES256 for its FAPI 2.0 clients (keys.py).
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    introspection_client_id: str = "photos-api"
    introspection_client_secret: str = "photos-api-secret"
    jwks_cache: dict[str, dict] = field(default_factory=dict)
    # The origins whose pages may call the API (CORS), asked per request.
    browser_origins: Callable[[], Collection[str]] = frozenset
    # A validator the world may install in place of JWT validation and
    # introspection (an exercise's student code): token -> AccessToken, or
    # raise token_validation.TokenRejected. Read per request.
    token_check: Callable[[str], AccessToken] | None = None
    # RFC 9449 7: DPoP proofs with DPoP-bound access tokens (jti memory, nonces).
    dpop: DPoPChecker | None = None
    # A proof check the world may install in place of `dpop.check`'s RFC 9449
    # 4.3 checks (an exercise's student code): (the request's DPoP header
    # values, method, URL, access token) -> the RFC 7638 thumbprint of the
    # proof's key, None without a proof; raises dpop.ProofRejected. The API
    # still compares the thumbprint with the token's cnf.jkt (RFC 9449 7.1).
    # Read per request (`dpop_resource.proof_key`).
    dpop_proof_check: DPoPProofCheck | None = None
    # The print lab's API, which the photos API calls to print an order
    # (with a token from a token exchange, RFC 8693), and its URL (its `aud`).
    print_lab: httpx.Client | None = None
    print_lab_url: str = ""
