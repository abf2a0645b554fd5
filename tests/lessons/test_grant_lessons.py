"""What the grant lessons (01, 02, 04, 05) teach, pinned one rule at a time."""

from __future__ import annotations

import json

from tests.lessons.expected_core import (
    AUTHORIZATION_CODE,
    BACK,
    BROWSER,
    CLIENT,
    CLIENT_CREDENTIALS,
    IMPLICIT,
    REFRESH_TOKEN,
    run,
)


def test_client_credentials_token_is_about_the_client_not_a_user(keys):
    result = run(CLIENT_CREDENTIALS, keys)
    claims = result.run.decode(result.world.service.tokens["access_token"]).claims
    assert claims["sub"] == claims["client_id"] == "print-shop-service"
    user_call = result.world.transcript.exchanges[3]
    assert user_call.response.header("WWW-Authenticate") == (
        'Bearer realm="photos-api", error="insufficient_scope", scope="basic"'
    )


def test_web_client_token_request_is_authenticated_on_the_back_channel(keys):
    result = run(AUTHORIZATION_CODE, keys)
    [token_request] = [
        e for e in result.world.transcript.exchanges if e.label == "POST /token"
    ]
    assert token_request.step == 5
    assert (token_request.sender, token_request.channel) == (CLIENT, BACK)
    assert (token_request.request.header("Authorization") or "").startswith("Basic ")
    access_token = json.loads(token_request.response.body)["access_token"]
    [session] = result.world.web_client.sessions.values()
    assert session["tokens"]["access_token"] == access_token
    for exchange in result.world.transcript.exchanges:
        if exchange.sender == BROWSER:
            assert access_token not in exchange.request.url
            assert access_token not in exchange.response.text


def test_reused_refresh_token_revokes_the_whole_family(keys):
    result = run(REFRESH_TOKEN, keys)
    [reused] = result.world.events.named("refresh_token.reused")
    assert reused.client_id == "photo-gallery-spa"
    assert [e.name for e in result.world.transcript.events_for(5)] == [
        "refresh_token.reused"
    ]


def test_implicit_token_stays_in_the_fragment(keys):
    result = run(IMPLICIT, keys)
    [redirect] = result.world.transcript.exchanges_for(3)
    [callback] = result.world.transcript.exchanges_for(4)
    location = redirect.response.header("Location") or ""
    assert location.startswith(
        "https://photoprint.test/legacy/callback#token_type=Bearer&access_token="
    )
    # The browser drops the fragment: the client's server never receives it.
    assert callback.request.url == "https://photoprint.test/legacy/callback"
    assert any("access_token=" in url for url in result.world.browser.history)
