"""Lesson 15a (OIDC Core 3.1.3.7 step 11, RFC 9700 4.5.3.2): with the nonce as
the only binding of an OpenID Connect sign-in to its browser, an injected code
is refused by the nonce check, and no token is used before it."""

from __future__ import annotations

import jwt

from playground.wire.exchange import Party
from tests.lessons.attack_runs import body, exchanges, run

NONCE = "15a_oidc_nonce_not_checked.py"
ALREADY_USED = "The code was already used; the tokens issued from it are revoked."


def injected_callback(result):
    return exchanges(result, "/callback", Party.ATTACKER)[-1]


def redeemed_for_mallory(result):
    return next(e for e in exchanges(result, "/token") if e.sender == Party.CLIENT)


def test_photoprint_sends_a_nonce_and_no_code_challenge(keys):
    result = run(NONCE, keys, defended=True)
    login = exchanges(result, "/login", Party.BROWSER)[0]
    location = login.response.header("Location") or ""
    assert "nonce=" in location and "state=" in location
    assert "code_challenge" not in location


def test_skipped_nonce_check_signs_mallory_in_as_alice(keys):
    result = run(NONCE, keys, defended=False)
    redeemed = redeemed_for_mallory(result)
    assert redeemed.request.form["code"] == result.run.alices_code
    assert "code_verifier" not in redeemed.request.form
    assert redeemed.response.status == 200
    callback = injected_callback(result)
    assert callback.response.status == 200
    assert b"Hello Alice Liddell from Oxford!" in callback.response.body
    assert b"Delivery address: 7 Rabbit Hole Lane, Oxford" in callback.response.body


def test_id_token_with_another_sessions_nonce_is_refused_unused(keys):
    result = run(NONCE, keys, defended=True)
    redeemed = redeemed_for_mallory(result)
    assert redeemed.response.status == 200  # the code is spent by now
    id_token = body(redeemed)["id_token"]
    claims = jwt.decode(id_token, options={"verify_signature": False})
    callback = injected_callback(result)
    assert callback.response.status == 400
    assert (
        b"The ID token&#39;s nonce is not the one this browser&#39;s request sent."
        in callback.response.body
    )
    assert claims["sub"] == "u-1001"
    assert f"nonce={claims['nonce']}" not in callback.request.url
    # RFC 9700 4.5.3.2: the tokens are disregarded; nothing calls the API.
    hosts = {e.request.host for e in result.world.transcript.exchanges}
    assert "api.photos.test" not in hosts


def test_the_spent_code_fails_alices_own_sign_in_both_ways(keys):
    for defended in (False, True):
        result = run(NONCE, keys, defended=defended)
        alices = [e for e in exchanges(result, "/token") if e.sender == Party.CLIENT][1]
        assert alices.response.status == 400
        assert body(alices) == {
            "error": "invalid_grant",
            "error_description": ALREADY_USED,
        }
