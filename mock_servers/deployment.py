"""One authorization server and the resource servers that trust it.

`build_deployment` makes the keys, store, clock, events and the apps for one
world (a learner's session, a test, or `serve`): the authorization server,
the photos API, and the print lab's API, which the photos API calls with
tokens from a token exchange (RFC 8693). The playground's World wraps it and
routes the apps by host name; `serve` puts them on loopback ports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx
from flask import Flask

from . import authorization_server, print_lab, resource_server
from .clock import Clock
from .demo import populate
from .dpop import DPoPChecker
from .events import EventLog
from .keys import SigningKey, generate_ec_signing_key, generate_signing_key
from .randomness import Randomness
from .settings import (
    AuthorizationServerSettings,
    ResourceServerSettings,
    TokenFormat,
    TokenValidation,
)
from .store import Store
from .token_exchange import ExchangeRule, TokenExchangePolicy
from .weaknesses import Weaknesses

ISSUER = "https://auth.photos.test"
API_URL = "https://api.photos.test"
# Another company's API, on its own site: it prints the photo service's orders.
PRINT_LAB_URL = "https://api.printlab.test"
# The photos API's own client at the authorization server.
PHOTOS_API_CLIENT = "photos-api"

ClientFactory = Callable[[Flask, str], httpx.Client]

# The client whose key signs its private_key_jwt assertions (RFC 7523).
PRIVATE_KEY_JWT_CLIENT = "print-shop-service"
# The FAPI 2.0 client: private_key_jwt with an ES256 key.
FAPI_CLIENT = "photoprint-fapi"


def generate_client_keys() -> dict[str, SigningKey]:
    """The keys of the clients that authenticate with private_key_jwt."""
    return {
        PRIVATE_KEY_JWT_CLIENT: generate_signing_key(),
        FAPI_CLIENT: generate_ec_signing_key(),
    }


@dataclass
class Deployment:
    as_settings: AuthorizationServerSettings
    rs_settings: ResourceServerSettings
    authorization_server: Flask
    resource_server: Flask
    client_keys: dict[str, SigningKey]
    print_lab_settings: print_lab.PrintLabSettings
    print_lab: Flask

    @property
    def store(self) -> Store:
        return self.as_settings.store

    @property
    def events(self) -> EventLog:
        return self.as_settings.events

    @property
    def weaknesses(self) -> Weaknesses:
        return self.as_settings.weaknesses

    @property
    def clock(self) -> Clock:
        return self.as_settings.clock


def in_process_client(app: Flask, base_url: str) -> httpx.Client:
    """An httpx client that calls a WSGI app directly, no socket."""
    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url=base_url)


def token_exchange_policy(api_url: str, print_lab_url: str) -> TokenExchangePolicy:
    """RFC 8693 policy: the photos API (client `photos-api`) may exchange
    tokens sent to it for a token for the print lab, with `prints.order`."""
    return TokenExchangePolicy(
        rules=(
            ExchangeRule(
                client_id=PHOTOS_API_CLIENT,
                acts_for=api_url,
                targets={print_lab_url: ("prints.order",)},
            ),
        )
    )


def build_deployment(
    *,
    issuer: str = ISSUER,
    api_url: str = API_URL,
    print_lab_url: str = PRINT_LAB_URL,
    weaknesses: Iterable[str] = (),
    token_format: TokenFormat = "jwt",
    validation: TokenValidation | None = None,
    clock: Clock | None = None,
    seed: int | str | None = None,
    authorization_server_client: ClientFactory | None = None,
    print_lab_to_authorization_server: ClientFactory | None = None,
    resource_server_to_print_lab: ClientFactory | None = None,
    signing_key: SigningKey | None = None,
    client_keys: dict[str, SigningKey] | None = None,
) -> Deployment:
    """A fresh pair of servers; nothing is shared with any other deployment.

    `authorization_server_client` makes the HTTP client the resource server
    uses to reach the AS (JWKS, introspection, token exchange); by default it
    calls the AS app in process. `print_lab_to_authorization_server` and
    `resource_server_to_print_lab` do the same for the print lab's key
    download and for the photos API's calls to the print lab. Opaque tokens
    can only be checked by introspection. Keys may be passed in so a replay of
    one learner's lesson reuses that learner's keys (RSA key generation is the
    slow part of a world).
    """
    clock = clock or Clock()
    events = EventLog()
    switches = Weaknesses(weaknesses)
    randomness = Randomness(seed)
    store = Store(clock=clock)
    client_keys = client_keys or generate_client_keys()
    populate(store, switches, client_keys)
    as_settings = AuthorizationServerSettings(
        issuer=issuer,
        resource_server_url=api_url,
        signing_key=signing_key or generate_signing_key(),
        store=store,
        weaknesses=switches,
        clock=clock,
        events=events,
        randomness=randomness,
        secret_key=randomness.token_bytes(32),
        token_format=token_format,
        token_exchange=token_exchange_policy(api_url, print_lab_url),
    )
    as_app = authorization_server.create_app(as_settings)
    make_client = authorization_server_client or in_process_client
    lab_settings = print_lab.PrintLabSettings(
        url=print_lab_url,
        issuer=issuer,
        weaknesses=switches,
        clock=clock,
        events=events,
        authorization_server=(print_lab_to_authorization_server or in_process_client)(
            as_app, issuer
        ),
    )
    lab_app = print_lab.create_app(lab_settings)
    rs_settings = ResourceServerSettings(
        url=api_url,
        issuer=issuer,
        weaknesses=switches,
        clock=clock,
        events=events,
        authorization_server=make_client(as_app, issuer),
        validation=validation
        or ("introspection" if token_format == "opaque" else "jwt"),
        browser_origins=store.browser_origins,
        dpop=DPoPChecker(clock, randomness),
        print_lab=(resource_server_to_print_lab or in_process_client)(
            lab_app, print_lab_url
        ),
        print_lab_url=print_lab_url,
    )
    rs_app = resource_server.create_app(rs_settings)
    return Deployment(
        as_settings, rs_settings, as_app, rs_app, client_keys, lab_settings, lab_app
    )
