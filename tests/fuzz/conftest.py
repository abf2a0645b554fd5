"""The servers the fuzzer attacks, and the real values it starts from.

Each deployment is built once per module: the fuzzer's requests change its
state (codes used, tokens revoked), which is part of what it explores.
Run time scales with FUZZ_SCALE (default 1; `FUZZ_SCALE=20 pytest tests/fuzz`
for a long run); the examples are derandomized, so a run is repeatable.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
import pytest
from hypothesis import HealthCheck, settings

from mock_servers.keys import SigningKey
from mock_servers.weaknesses import REGISTRY
from tests.fuzz.hostile import Material, basic
from tests.mock_servers.loopback import Served, served
from tests.mock_servers.servers import (
    PKCE,
    WEB_CLIENT,
    WEB_REDIRECT,
    Servers,
    form_value,
    make_servers,
)

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
ALL_WEAKNESSES = tuple(w.name for w in REGISTRY)
SECRETS = (
    ("photoprint", "photoprint-secret"),
    ("print-shop-service", "print-shop-secret"),
    ("photoprint-mobile", "photoprint-mobile-secret"),
    ("photos-api", "photos-api-secret"),
)
CLIENT_IDS = (
    "photoprint",
    "photo-gallery-spa",
    "photo-uploader-native",
    "print-shop-service",
    "photoprint-mobile",
    "legacy-gallery",
    "photos-api",
    "nobody",
)
REDIRECT_URIS = (
    "https://photoprint.test/callback",
    "https://photoprint.test/spa/callback",
    "http://127.0.0.1/callback",
    "http://127.0.0.1:4000/callback",
    "https://photoprint.test/legacy/callback",
)

AUTHORIZATION_SERVER_PATHS = (
    "/",
    "/authorize",
    "/authorize/resume",
    "/login",
    "/consent",
    "/logout",
    "/token",
    "/revoke",
    "/introspect",
    "/userinfo",
    "/.well-known/oauth-authorization-server",
    "/.well-known/openid-configuration",
    "/jwks.json",
    "/register",
    "/par",
    "/device_authorization",
    "/device",
    "/device/login",
    "/device/consent",
    "/account",
    "/account/login",
    "/account/tokens",
    "/account/tokens/x/revoke",
    "/account/apps/photoprint/revoke",
    "/no-such-page",
)
RESOURCE_SERVER_PATHS = (
    "/",
    "/api/user",
    "/api/photos",
    "/.well-known/oauth-protected-resource",
    "/no-such-page",
)


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        derandomize=True,  # the same examples every run: a failure reproduces
        database=None,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.large_base_example,
        ],
    )


def _cookie_header(client: httpx.Client) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def _authorize_query() -> str:
    return urlencode(
        {
            "response_type": "code",
            "client_id": WEB_CLIENT[0],
            "redirect_uri": WEB_REDIRECT,
            "scope": "openid basic photos.read offline_access",
            "state": "s",
            # A nonce bound to a code is refused after (OIDC Core 15.5.2).
            "nonce": secrets.token_urlsafe(8),
            # The consent page even if a hostile request approved this before.
            "prompt": "consent",
            **PKCE,
        }
    )


def _sign_in_material(browser: httpx.Client) -> dict[str, list[str]]:
    """A browser with a pending request at the sign-in page, and one at the
    consent page: their cookies, interaction ids and CSRF tokens."""
    found: dict[str, list[str]] = {"cookies": [], "interactions": [], "csrf": []}
    page = browser.get("/authorize?" + _authorize_query())
    found["cookies"].append(_cookie_header(browser))
    found["interactions"].append(form_value(page.text, "interaction"))
    found["csrf"].append(form_value(page.text, "csrf_token"))
    signed_in = browser.post(
        "/login",
        data={
            "username": "bob",
            "password": "builder",
            "interaction": found["interactions"][0],
            "csrf_token": found["csrf"][0],
        },
    )
    consent = browser.get(signed_in.headers["location"])
    found["cookies"].append(_cookie_header(browser))
    found["interactions"].append(form_value(consent.text, "interaction"))
    found["csrf"].append(form_value(consent.text, "csrf_token"))
    return found


def _tokens(client: httpx.Client) -> tuple[list[str], list[str]]:
    """Access tokens and a refresh token, from the client credentials and
    the password grants."""
    found = []
    issued = client.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": "photos.read"},
        headers={"Authorization": basic("print-shop-service", "print-shop-secret")},
    ).json()
    found.append(issued["access_token"])
    issued = client.post(
        "/token",
        data={
            "grant_type": "password",
            "username": "alice",
            "password": "wonderland",
            "scope": "basic photos.read",
        },
        headers={
            "Authorization": basic("photoprint-mobile", "photoprint-mobile-secret")
        },
    ).json()
    found.append(issued["access_token"])
    return found, [issued["refresh_token"]]


def signer(key: SigningKey) -> Callable[[dict[str, Any], dict[str, Any]], str]:
    """Sign a JWT's claims with `key`, whatever the header says (alg aside)."""

    def sign(header: dict[str, Any], claims: dict[str, Any]) -> str:
        extra = {k: v for k, v in header.items() if k != "alg"}
        return jwt.encode(
            claims,
            key.private_key,
            algorithm="RS256",
            headers={"kid": key.kid, **extra},
        )

    return sign


def in_process_material(servers: Servers) -> Material:
    deployment = servers.deployment
    client = servers.new_browser()
    access_tokens, refresh_tokens = _tokens(client)
    code = servers.code_for(scope="openid basic photos.read offline_access")
    redeemed = servers.redeem(code).json()
    access_tokens.append(redeemed["access_token"])
    refresh_tokens.append(redeemed["refresh_token"])
    unused_code = servers.code_for(scope="basic")
    signed = _sign_in_material(servers.new_browser())

    return Material(
        issuer=deployment.as_settings.issuer,
        api=deployment.rs_settings.url,
        client_ids=CLIENT_IDS,
        secrets=SECRETS,
        redirect_uris=REDIRECT_URIS,
        access_tokens=access_tokens,
        refresh_tokens=refresh_tokens,
        # The used code is only a value to try: as a template it would be a
        # replay, which revokes the tokens it gave (RFC 6749 4.1.2).
        extra={"id_token_hint": [redeemed["id_token"]], "code": [code]},
        codes=[unused_code],
        cookies=signed["cookies"],
        interactions=signed["interactions"],
        csrf_tokens=signed["csrf"],
        sign=signer(deployment.as_settings.signing_key),
        sign_assertion=signer(deployment.client_keys["print-shop-service"]),
    )


def loopback_material(running: Served) -> Material:
    with httpx.Client(base_url=running.issuer, timeout=10) as client:
        access_tokens, refresh_tokens = _tokens(client)
    with httpx.Client(base_url=running.issuer, timeout=10) as browser:
        signed = _sign_in_material(browser)
    return Material(
        issuer=running.issuer,
        api=running.api,
        client_ids=CLIENT_IDS,
        secrets=SECRETS,
        redirect_uris=REDIRECT_URIS,
        access_tokens=access_tokens,
        refresh_tokens=refresh_tokens,
        cookies=signed["cookies"],
        interactions=signed["interactions"],
        csrf_tokens=signed["csrf"],
    )


DEPLOYMENTS = {
    "secure, JWT": {},
    "every weakness on, JWT": {"weaknesses": ALL_WEAKNESSES},
    "opaque tokens": {"token_format": "opaque"},
}


@pytest.fixture(scope="module", params=list(DEPLOYMENTS))
def deployment(request: pytest.FixtureRequest) -> Servers:
    return make_servers(**DEPLOYMENTS[request.param])


@pytest.fixture
def in_process(deployment: Servers) -> tuple[Servers, Material]:
    """A module's deployment, with real values made fresh for each test (the
    previous test's hostile requests revoked and used up the last ones)."""
    return deployment, in_process_material(deployment)


SERVED = {
    "every weakness on, JWT": {"weaknesses": ALL_WEAKNESSES},
    "secure, opaque tokens": {"token_format": "opaque"},
}


@pytest.fixture(scope="module", params=list(SERVED))
def running(request: pytest.FixtureRequest) -> Iterator[Served]:
    with served(**SERVED[request.param]) as running:
        yield running


@pytest.fixture
def on_loopback(running: Served) -> tuple[Served, Material]:
    return running, loopback_material(running)
