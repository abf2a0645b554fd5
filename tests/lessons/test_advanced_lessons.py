"""What lessons 06-09 teach, pinned one rule at a time."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs

from tests.lessons.expected_core import (
    BACK,
    CLIENT,
    CLIENT_AUTH,
    INTROSPECTION,
    OPENID,
    PASSWORD,
    run,
)


def form(body: bytes) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(body.decode()).items()}


def test_password_grant_sends_the_password_from_the_client(keys):
    result = run(PASSWORD, keys)
    first = result.world.transcript.exchanges[0]
    assert (first.sender, first.channel, first.step) == (CLIENT, BACK, 1)
    assert form(first.request.body) == {
        "grant_type": "password",
        "username": "alice",
        "password": "wonderland",
        "scope": "basic photos.read",
    }
    [failed] = result.world.events.named("user.authentication.failed")
    assert failed.user == "alice"
    refused = result.world.transcript.exchanges_for(4)[0]
    assert json.loads(refused.response.body)["error"] == "unauthorized_client"


def test_revoked_jwt_is_accepted_locally_until_the_api_introspects(keys):
    result = run(INTROSPECTION, keys)
    transcript = result.world.transcript
    # Step 4: local validation, no call to the authorization server.
    assert [e.label for e in transcript.exchanges_for(4)] == ["GET /api/photos"]
    assert transcript.exchanges_for(4)[0].response.status == 200
    # Step 5: the same token, now introspected, is inactive.
    [refused, introspection] = transcript.exchanges_for(5)
    assert refused.response.status == 401
    assert json.loads(introspection.response.body) == {"active": False}
    assert result.world.deployment.rs_settings.validation == "introspection"
    revoked = result.world.events.named("token.revoked")
    assert [event.detail for event in revoked] == [
        "access token",
        "refresh token; with it, its grant's 2 access tokens and 2 refresh tokens",
    ]


def test_id_token_is_for_the_client_and_carries_the_nonce(keys):
    result = run(OPENID, keys)
    tokens = result.world.spa.tokens
    id_token = result.run.decode(tokens["id_token"])
    access_token = result.run.decode(tokens["access_token"])
    assert id_token.claims["aud"] == ["photo-gallery-spa"]
    assert id_token.claims["nonce"] == result.run.nonce
    assert access_token.header["typ"] == "at+jwt"
    assert access_token.claims["aud"] == result.world.api_url
    [preflight, refused, _accepted, _jwks] = result.world.transcript.exchanges_for(7)
    assert preflight.request.method == "OPTIONS"  # the SPA's CORS preflight
    assert refused.request.header("Authorization") == f"Bearer {tokens['id_token']}"
    assert "at+jwt" in (refused.response.header("WWW-Authenticate") or "")


def test_client_authentication_methods_put_credentials_where_the_rfcs_say(keys):
    result = run(CLIENT_AUTH, keys)
    basic, post, wrong, signed, replay, public = result.world.transcript.exchanges
    expected = base64.b64encode(b"print-shop-service:print-shop-secret").decode()
    assert basic.request.header("Authorization") == f"Basic {expected}"
    assert form(post.request.body)["client_secret"] == "print-shop-secret"
    assert (wrong.response.header("WWW-Authenticate") or "").startswith("Basic ")
    assertion = form(signed.request.body)["client_assertion"]
    assert "client_secret" not in form(signed.request.body)
    # RFC 7523 3: the same jti a second time is refused.
    assert form(replay.request.body)["client_assertion"] == assertion
    assert json.loads(replay.response.body) == {
        "error": "invalid_client",
        "error_description": "JWT ID is used before.",
    }
    assert form(public.request.body)["client_id"] == "photo-gallery-spa"
