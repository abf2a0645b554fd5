"""Remembered consent, first-party apps and the account page's list of apps
with access, and what removing one revokes."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from mock_servers.approved_apps import consent_implied
from mock_servers.clock import Clock
from tests.mock_servers.servers import PKCE, VERIFIER, WEB_CLIENT, Servers, form_value

PHOTOS_WEB = ("photos-web", "photos-web-secret")
PHOTOS_WEB_REDIRECT = "https://photos.test/callback"
PHOTOS_API = ("photos-api", "photos-api-secret")


@pytest.fixture
def servers(make) -> Servers:
    return make(clock=Clock(frozen_at=1_798_761_600))


def test_a_confidential_first_party_app_is_answered_without_consent(servers):
    page = servers.auth.get(
        "/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": "photos-web",
                "redirect_uri": PHOTOS_WEB_REDIRECT,
                "scope": "basic photos.read",
                "state": "s",
                **PKCE,
            }
        )
    )
    answer = servers.sign_in(page)
    # Straight from the sign-in POST to the app: 303, no consent page.
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith(PHOTOS_WEB_REDIRECT + "?")
    code = parse_qs(urlsplit(location).query)["code"][0]
    tokens = servers.token(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": PHOTOS_WEB_REDIRECT,
            "code_verifier": VERIFIER,
        },
        auth=PHOTOS_WEB,
    )
    assert tokens.status_code == 200
    assert not servers.deployment.store.consents_of("u-1001")


def test_prompt_consent_still_asks_a_first_party_app(servers):
    page = servers.auth.get(
        "/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": "photos-web",
                "redirect_uri": PHOTOS_WEB_REDIRECT,
                "scope": "basic",
                "prompt": "consent",
                **PKCE,
            }
        )
    )
    answer = servers.sign_in(page)
    consent = servers.auth.get(answer.headers["location"])
    assert 'id="consent"' in consent.text


def test_consent_is_implied_only_for_a_confidential_first_party_client(servers):
    store = servers.deployment.store
    photos_web = store.client("photos-web")
    assert consent_implied(photos_web)
    assert not consent_implied(store.client("photoprint"))
    # RFC 6749 10.2: a client that cannot authenticate is asked like any other.
    assert not consent_implied(replace(photos_web, client_type="public"))


def account(servers: Servers):
    page = servers.auth.get("/account")
    if 'id="login-form"' in page.text:
        servers.auth.post(
            "/account/login",
            data={
                "username": "alice",
                "password": "wonderland",
                "csrf_token": form_value(page.text, "csrf_token"),
            },
        )
        page = servers.auth.get("/account")
    return page


def photoprint_tokens(servers: Servers) -> dict:
    return servers.redeem(servers.code_for()).json()


def test_account_page_lists_approved_and_first_party_apps(servers):
    photoprint_tokens(servers)
    page = account(servers)
    assert 'id="app-photoprint"' in page.text
    assert "you approved basic photos.read" in page.text
    assert 'id="app-photos-web"' not in page.text  # never signed in there
    code = servers.code_for(
        client_id="photos-web", redirect_uri=PHOTOS_WEB_REDIRECT, scope="basic"
    )
    servers.token(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": PHOTOS_WEB_REDIRECT,
            "code_verifier": VERIFIER,
        },
        auth=PHOTOS_WEB,
    )
    page = account(servers)
    assert 'id="app-photos-web"' in page.text
    assert "first-party app of the photo service" in page.text


def test_removing_an_app_forgets_consent_and_revokes_its_tokens(servers):
    tokens = photoprint_tokens(servers)
    page = account(servers)
    response = servers.auth.post(
        "/account/apps/photoprint/revoke",
        data={"csrf_token": form_value(page.text, "csrf_token")},
    )
    assert response.status_code == 303
    store = servers.deployment.store
    assert not store.has_consent("u-1001", "photoprint", "basic")
    refresh = servers.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=WEB_CLIENT,
    )
    assert refresh.status_code == 400
    assert refresh.json()["error"] == "invalid_grant"
    # At the authorization server the access token is revoked too ...
    answer = servers.auth.post(
        "/introspect", data={"token": tokens["access_token"]}, auth=PHOTOS_API
    )
    assert answer.json() == {"active": False}
    # ... but a JWT checked locally by the API still verifies until it expires.
    assert servers.call_api(tokens["access_token"]).status_code == 200
    [event] = servers.deployment.events.named("app.access_revoked")
    assert event.client_id == "photoprint"
    assert event.detail == (
        "approval of basic photos.read forgotten; 1 token(s) revoked"
    )
    assert 'id="app-photoprint"' not in account(servers).text


def test_removing_an_app_needs_the_csrf_token(servers):
    photoprint_tokens(servers)
    account(servers)
    response = servers.auth.post("/account/apps/photoprint/revoke", data={})
    assert response.status_code == 400
    assert servers.deployment.store.has_consent("u-1001", "photoprint", "basic")


def test_removing_an_app_without_access_is_404(servers):
    page = account(servers)
    response = servers.auth.post(
        "/account/apps/photoprint/revoke",
        data={"csrf_token": form_value(page.text, "csrf_token")},
    )
    assert response.status_code == 404
    assert "No such app has access" in response.text


def authorize_again(servers: Servers, client_id: str, redirect_uri: str):
    """A repeated request from a browser already signed in, after consent."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "basic photos.read",
        "state": "s",
        **PKCE,
    }
    first = servers.authorize(client_id=client_id, redirect_uri=redirect_uri)
    assert first.status_code in (302, 303), first.text
    return servers.auth.get("/authorize?" + urlencode(params))


@pytest.mark.parametrize(
    ("client_id", "redirect_uri"),
    [
        (WEB_CLIENT[0], "https://photoprint.test/callback"),  # its secret
        ("photo-gallery-spa", "https://photoprint.test/spa/callback"),  # its origin
    ],
)
def test_remembered_consent_answers_a_client_whose_identity_is_assured(
    servers, client_id, redirect_uri
):
    again = authorize_again(servers, client_id, redirect_uri)
    assert again.status_code == 302
    assert again.headers["location"].startswith(redirect_uri + "?code=")


def test_a_native_apps_repeated_request_asks_again(servers):
    """RFC 8252 8.6: any app on the device can listen on a loopback port, so
    a native app's request is "processed as if no previous request had been
    approved"."""
    again = authorize_again(
        servers, "photo-uploader-native", "http://127.0.0.1:51004/callback"
    )
    assert again.status_code == 200
    assert 'id="consent"' in again.text


def test_a_single_page_app_on_plain_http_loopback_asks_again(servers):
    """Served on a loopback port (as `serve --redirect-uri` does), the SPA's
    redirect proves nothing: any program on the machine could bind it."""
    redirect = "http://127.0.0.1:5173/callback"
    store = servers.deployment.store
    spa = store.clients["photo-gallery-spa"]
    store.clients[spa.client_id] = replace(spa, redirect_uris=(redirect,))
    again = authorize_again(servers, "photo-gallery-spa", redirect)
    assert again.status_code == 200
    assert 'id="consent"' in again.text
