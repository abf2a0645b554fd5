"""One learner's world: keys, stores, servers, clock, randomness, actors and
the transcript of everything that crossed the virtual network.

Every UI session, every test and every lesson replay builds its own; nothing
is shared at module level (DESIGN decision 7). A replay of the same lesson in
the same session passes the session's `WorldKeys`, so tokens come out the
same and Back is a faithful replay.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import httpx
from flask import Flask

from mock_servers.clock import Clock
from mock_servers.demo import PHOTOS_WEB_HOST
from mock_servers.deployment import (
    API_URL,
    FAPI_CLIENT,
    ISSUER,
    PRINT_LAB_URL,
    build_deployment,
    generate_client_keys,
)
from mock_servers.events import EventLog
from mock_servers.keys import (
    SigningKey,
    generate_ec_signing_key,
    generate_signing_key,
)
from mock_servers.print_orders import TokenExchangeClient, exchange_client
from mock_servers.settings import TokenFormat, TokenValidation
from mock_servers.store import Store
from playground.actors.attacker import ATTACKER_AS_URL, ATTACKER_URL, Attacker
from playground.actors.browser import Browser, ScriptTransport
from playground.actors.device_app import DeviceApp
from playground.actors.discovering_client import DiscoveringClient
from playground.actors.oauth_client import OAuthClient, registration
from playground.actors.print_lab import PrintLab
from playground.actors.script import ApiScript
from playground.actors.sites import origin_of
from playground.actors.web_client import WebClient
from playground.wire.exchange import Party
from playground.wire.network import Host, Network
from playground.wire.transcript import Transcript

CLIENT_URL = "https://photoprint.test"
# A fixed start for the world's clock, so replays and tests are repeatable.
DEFAULT_START = 1_798_761_600  # 2027-01-01T00:00:00Z
NATIVE_PORT = 51004
PHOTOBOOK_PORT = 51005
# What Mallory's authorization server issued PhotoPrint when it registered
# there (as `photoprint` too): a secret of that server, not of ours.
PHOTOPRINT_SECRET_AT_ATTACKER_AS = "photoprint-secret-at-as-attacker"
# Network addresses the servers see (RFC 5737 documentation ranges): Alice's
# home, where her TV is, and Mallory's machine.
HOME_ADDRESS = "198.51.100.7"
ATTACKER_ADDRESS = "203.0.113.66"
TV_CLIENT = "photoframe-tv"
# The name of Mallory's own DPoP key among the world's DPoP keys.
ATTACKER_DPOP_KEY = "mallory"


def loopback_listener(app_name: str = "Photo Uploader") -> Flask:
    """A native app's one-shot loopback server that receives the redirect."""
    app = Flask(f"{app_name.lower().replace(' ', '_')}_loopback")

    @app.get("/callback")
    def callback() -> str:
        return (
            f"<!doctype html><title>{app_name}</title>"
            f"<p>{app_name} received the answer. You can close this tab.</p>"
        )

    return app


def photos_web_app() -> Flask:
    """The landing page of the photo service's own web app (`photos.test`):
    the browser arrives there with the code, which the app's server redeems."""
    app = Flask("photos_web")

    @app.get("/callback")
    def callback() -> str:
        return (
            "<!doctype html><title>Photos</title>"
            "<p>Photos: signing you in. You can go on to your photos.</p>"
        )

    return app


@dataclass(frozen=True)
class WorldKeys:
    """The keys of one learner's session, reused by every replay."""

    authorization_server: SigningKey
    clients: dict[str, SigningKey] = field(default_factory=dict)
    # What Mallory's own authorization server signs its ID tokens with.
    attacker_authorization_server: SigningKey | None = None
    # The DPoP keys (RFC 9449) of the clients that use DPoP, and Mallory's own.
    dpop: dict[str, SigningKey] = field(default_factory=dict)

    @classmethod
    def generate(cls) -> WorldKeys:
        return cls(
            authorization_server=generate_signing_key(),
            clients=generate_client_keys(),
            attacker_authorization_server=generate_signing_key(),
            dpop={
                FAPI_CLIENT: generate_ec_signing_key(),
                ATTACKER_DPOP_KEY: generate_ec_signing_key(),
            },
        )


@dataclass(frozen=True)
class TokenTrust:
    """What this world's JWTs are judged against: the authorization server's
    published keys, its issuer identifier and the photos API's audience.
    The views' `verify_jwt` takes it; nothing else reaches into the servers."""

    jwks: dict[str, Any]
    issuer: str
    api_audience: str
    # The public keys clients registered for private_key_jwt (RFC 7523), by
    # client_id: what their client assertions are verified with.
    client_jwks: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Every resource server of the world: the photos API, then the print
    # lab (whose tokens come from a token exchange).
    api_audiences: tuple[str, ...] = ()


class World:
    """Every party is made here, in the constructor: reading an attribute
    never creates or registers anything."""

    def __init__(
        self,
        *,
        weaknesses: Iterable[str] = (),
        token_format: TokenFormat = "jwt",
        validation: TokenValidation | None = None,
        seed: int | str = 0,
        start_time: float | None = DEFAULT_START,
        keys: WorldKeys | None = None,
    ) -> None:
        self.keys = keys or WorldKeys.generate()
        self.transcript = Transcript()
        self.network = Network(self.transcript)
        self.clock = Clock(frozen_at=start_time)
        self.deployment = build_deployment(
            issuer=ISSUER,
            api_url=API_URL,
            weaknesses=weaknesses,
            token_format=token_format,
            validation=validation,
            clock=self.clock,
            seed=seed,
            authorization_server_client=lambda _app, issuer: self.network.client(
                Party.RESOURCE_SERVER, base_url=issuer
            ),
            print_lab_to_authorization_server=lambda _app, issuer: self.network.client(
                Party.PRINT_LAB, base_url=issuer
            ),
            resource_server_to_print_lab=lambda _app, url: self.network.client(
                Party.RESOURCE_SERVER, base_url=url
            ),
            signing_key=self.keys.authorization_server,
            client_keys=dict(self.keys.clients),
        )
        self.transcript.events = self.deployment.events
        self.randomness = self.deployment.as_settings.randomness
        self.weaknesses = self.deployment.weaknesses
        self.issuer = ISSUER
        self.api_url = API_URL
        self.print_lab_url = PRINT_LAB_URL
        self.client_url = CLIENT_URL
        self.attacker_url = ATTACKER_URL
        # The photo service's site: its authorization server and its API.
        self.network.add_host(
            Host(
                urlsplit(ISSUER).netloc,
                Party.AUTHORIZATION_SERVER,
                self.deployment.authorization_server,
            )
        )
        self.network.add_host(
            Host(
                urlsplit(API_URL).netloc,
                Party.RESOURCE_SERVER,
                self.deployment.resource_server,
            )
        )
        # The print lab's site: its API, which the photos API calls.
        self.network.add_host(
            Host(
                urlsplit(PRINT_LAB_URL).netloc,
                Party.PRINT_LAB,
                self.deployment.print_lab,
            )
        )
        # The photo service's own web app (first-party), on its own site.
        self.network.add_host(
            Host(urlsplit(PHOTOS_WEB_HOST).netloc, Party.CLIENT, photos_web_app())
        )
        # PhotoPrint's site: the web app (and the pages of its other apps).
        self.web_client = self._make_web_client()
        self.network.add_host(
            Host(urlsplit(CLIENT_URL).netloc, Party.CLIENT, self.web_client.app)
        )
        # RFC 8252 7.3: the native app listens on a loopback port for the redirect.
        self.network.add_host(
            Host(f"127.0.0.1:{NATIVE_PORT}", Party.CLIENT, loopback_listener())
        )
        self.network.add_host(
            Host(
                f"127.0.0.1:{PHOTOBOOK_PORT}",
                Party.CLIENT,
                loopback_listener("PhotoBook"),
            )
        )
        # Mallory's site, her own authorization server (the mix-up attack,
        # RFC 9700 4.4) and every other name under her domain.
        self.attacker = Attacker(
            self.network,
            self.issuer,
            self.api_url,
            self.clock,
            signing_key=self.keys.attacker_authorization_server,
            dpop_key=self.keys.dpop.get(ATTACKER_DPOP_KEY),
        )
        attacker_domain = urlsplit(ATTACKER_URL).netloc
        for name in (attacker_domain, f"*.{attacker_domain}"):
            self.network.add_host(Host(name, Party.ATTACKER, self.attacker.site.app))
        self.network.add_host(
            Host(
                urlsplit(ATTACKER_AS_URL).netloc,
                Party.ATTACKER,
                self.attacker.authorization_server.app,
            )
        )
        # The people and the apps of the lessons.
        self.browser = Browser(self.network, clock=self.clock)
        # The single-page app and the legacy app run in Alice's browser: their
        # requests are fetch() calls from their pages' origin, with CORS.
        self.spa = self.browser_app("photo-gallery-spa")
        self.native_app = self.oauth_client(
            "photo-uploader-native",
            redirect_uri=f"http://127.0.0.1:{NATIVE_PORT}/callback",
        )
        self.service = self.oauth_client("print-shop-service")
        self.first_party_app = self.oauth_client("photoprint-mobile")
        self.legacy_app = self.browser_app("legacy-gallery")
        # RFC 8628: Alice's PhotoFrame TV at home, and the same app run by
        # Mallory on her own machine (a public client: anyone may).
        self.tv = DeviceApp(
            self.oauth_client(TV_CLIENT, remote_addr=HOME_ADDRESS), self.clock
        )
        # RFC 9728 + RFC 8707: PhotoBook, a desktop app that knows only the
        # photos API's URL, and registers itself at whatever server it finds.
        self.photobook = DiscoveringClient(
            api_url=API_URL,
            http=self.network.client(Party.CLIENT, user_agent="PhotoBook/1.0"),
            randomness=self.randomness,
            clock=self.clock,
            client_name="PhotoBook",
            redirect_uri=f"http://127.0.0.1:{PHOTOBOOK_PORT}/callback",
        )
        self.attacker_tv = DeviceApp(
            self.oauth_client(
                TV_CLIENT, sender=Party.ATTACKER, remote_addr=ATTACKER_ADDRESS
            ),
            self.clock,
        )
        # PhotoPrint Business, the FAPI 2.0 client: private_key_jwt, PAR,
        # PKCE and DPoP; its server talks to the AS on the back channel.
        self.fapi_client = self.oauth_client(FAPI_CLIENT)
        self.fapi_client.dpop_key = self.keys.dpop.get(FAPI_CLIENT)
        # The photo service's own web app: first-party, asked no consent.
        self.photos_web = self.oauth_client("photos-web")
        # Alice's own script, calling the API with a personal access token.
        self.script = ApiScript(
            self.network.client(Party.CLIENT, user_agent="curl/8.11.1"),
            self.api_url,
        )
        # The print lab's side (its records, its own outgoing requests), and
        # the photos API's own client at the authorization server.
        self.print_lab = PrintLab(
            self.network.client(Party.PRINT_LAB),
            self.print_lab_url,
            self.deployment.print_lab_settings.jobs,
        )
        self.photos_api: TokenExchangeClient = exchange_client(
            self.deployment.rs_settings
        )

    def _make_web_client(self) -> WebClient:
        oauth = self.oauth_client("photoprint", sender=Party.CLIENT)
        # PhotoPrint also works with Mallory's authorization server, where it
        # is registered as `photoprint` with a secret of that server's
        # (`/login?as=attacker`): the setting of the mix-up attack.
        at_attacker = replace(
            oauth,
            issuer=ATTACKER_AS_URL,
            client_secret=PHOTOPRINT_SECRET_AT_ATTACKER_AS,
            tokens={},
            pending=None,
        )
        return WebClient(
            oauth,
            self.weaknesses,
            self.randomness.token_bytes(32),
            other_servers={"attacker": at_attacker},
        )

    def new_browser(self) -> Browser:
        """Another person's browser (an attacker's, or a second user's)."""
        return Browser(self.network, clock=self.clock)

    def oauth_client(
        self,
        client_id: str,
        *,
        sender: Party = Party.CLIENT,
        auth_method: str | None = None,
        redirect_uri: str | None = None,
        remote_addr: str = "127.0.0.1",
    ) -> OAuthClient:
        """A client as registered in the demo data, talking through this network."""
        demo = registration(client_id)
        return OAuthClient(
            client_id=client_id,
            http=self.network.client(
                sender,
                user_agent=f"{demo.client_name} (client {client_id})",
                remote_addr=remote_addr,
            ),
            issuer=self.issuer,
            api_url=self.api_url,
            randomness=self.randomness,
            clock=self.clock,
            auth_method=auth_method or demo.token_endpoint_auth_methods[0],
            client_secret=demo.client_secret,
            redirect_uri=redirect_uri
            or (demo.redirect_uris[0] if demo.redirect_uris else None),
            key=self.keys.clients.get(client_id),
        )

    def browser_app(
        self, client_id: str, browser: Browser | None = None
    ) -> OAuthClient:
        """A client whose code runs in a browser (Alice's unless another is
        given), served from the origin of its redirect URI: its requests leave
        from that browser."""
        demo = registration(client_id)
        origin = origin_of(demo.redirect_uris[0])
        return OAuthClient(
            client_id=client_id,
            http=httpx.Client(
                transport=ScriptTransport(browser or self.browser, origin)
            ),
            issuer=self.issuer,
            api_url=self.api_url,
            randomness=self.randomness,
            clock=self.clock,
            auth_method="none",
            redirect_uri=demo.redirect_uris[0],
        )

    def token_trust(self) -> TokenTrust:
        """The one way views learn the authorization server's keys and names."""
        return TokenTrust(
            jwks=self.deployment.as_settings.signing_key.public_jwks(),
            issuer=self.issuer,
            api_audience=self.api_url,
            client_jwks={
                client.client_id: client.jwks
                for client in self.store.clients.values()
                if client.jwks
            },
            api_audiences=(self.api_url, self.print_lab_url),
        )

    def require_dpop_nonces(
        self, *, authorization_server: bool = True, resource_server: bool = False
    ) -> None:
        """Make the servers ask for their own nonce in every DPoP proof (RFC
        9449 8 at the authorization server, 9 at the photos API); read per
        request."""
        self.deployment.as_settings.dpop.nonce_required = authorization_server
        rs_checker = self.deployment.rs_settings.dpop
        if rs_checker is not None:
            rs_checker.nonce_required = resource_server

    def use_introspection(self, on: bool = True) -> None:
        """Make the photos API ask the AS about every token (RFC 7662) instead
        of validating JWTs locally; it reads this per request."""
        self.deployment.rs_settings.validation = "introspection" if on else "jwt"

    def introspect(self, token: str, hint: str = "access_token") -> httpx.Response:
        """The photos API's own introspection call, with its own credentials."""
        settings = self.deployment.rs_settings
        return settings.authorization_server.post(
            "/introspect",
            data={"token": token, "token_type_hint": hint},
            auth=(
                settings.introspection_client_id,
                settings.introspection_client_secret,
            ),
        )

    @property
    def store(self) -> Store:
        return self.deployment.store

    @property
    def events(self) -> EventLog:
        return self.deployment.events
