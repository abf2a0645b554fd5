"""Lesson 13, authorization code injection (RFC 9700 4.5): Alice's leaked code,
sent to PhotoPrint with Mallory's own valid state, passes the state check and
PhotoPrint's client authentication; only PKCE (4.5.3.1) or the OpenID Connect
nonce (4.5.3.2) binds it to the browser that asked for it."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

from playground.wire.exchange import Party
from tests.lessons.attack_runs import body, exchanges, run

INJECTION = "13_code_injection.py"
ALREADY_USED = "The code was already used; the tokens issued from it are revoked."


def token_requests(result):
    return [e for e in exchanges(result, "/token") if e.sender == Party.CLIENT]


def test_injected_code_passes_state_and_client_authentication(keys):
    result = run(INJECTION, keys, defended=False)
    code = result.run.alices_code
    injected = exchanges(result, "/callback", Party.ATTACKER)[0]
    sent = parse_qs(urlsplit(injected.request.url).query)
    assert sent == {
        "code": [code],
        "state": [result.run.mallorys_state],
        "iss": ["https://auth.photos.test"],
    }
    redeemed = token_requests(result)[0]
    assert redeemed.request.form == {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "https://photoprint.test/callback",
    }
    basic = (redeemed.request.header("Authorization") or "").removeprefix("Basic ")
    assert base64.b64decode(basic) == b"photoprint:photoprint-secret"
    assert redeemed.response.status == 200
    assert injected.response.status == 200
    assert b"Hello Alice Liddell from Oxford!" in injected.response.body


def test_code_replayed_by_the_real_client_revokes_mallorys_tokens(keys):
    result = run(INJECTION, keys, defended=False)
    second = token_requests(result)[1]
    assert second.request.form["code"] == result.run.alices_code
    assert second.response.status == 400
    assert body(second) == {"error": "invalid_grant", "error_description": ALREADY_USED}
    (reused,) = result.world.events.named("authorization_code.reused")
    assert reused.detail == (
        "1 access token and 1 refresh token issued from this code revoked"
    )


def test_injected_code_fails_the_code_challenge(keys):
    result = run(INJECTION, keys, defended=True)
    injected, alices = token_requests(result)[:2]
    assert injected.request.form["code"] == result.run.alices_code
    assert injected.request.form["code_verifier"]
    assert injected.response.status == 400
    assert body(injected) == {
        "error": "invalid_grant",
        "error_description": "Code challenge failed.",
    }
    # The refused attempt left the code unused: Alice's own redemption works.
    assert alices.request.form["code"] == result.run.alices_code
    assert (
        alices.request.form["code_verifier"] != injected.request.form["code_verifier"]
    )
    assert alices.response.status == 200
    assert result.world.events.named("authorization_code.reused") == []


def test_injected_openid_code_fails_the_nonce_check_without_pkce(keys):
    result = run(INJECTION, keys, defended=False)
    last = exchanges(result, "/callback", Party.ATTACKER)[-1]
    redeemed = token_requests(result)[-1]
    assert "code_verifier" not in redeemed.request.form
    assert redeemed.response.status == 200
    assert "id_token" in body(redeemed)
    assert last.response.status == 400
    assert (
        b"The ID token&#39;s nonce is not the one this browser&#39;s request sent."
        in last.response.body
    )
    assert result.world.web_client.last_error == "invalid_id_token"
    api_after = [
        e
        for e in result.world.transcript.exchanges[
            result.world.transcript.exchanges.index(redeemed) :
        ]
        if e.request.host == "api.photos.test"
    ]
    assert api_after == []
