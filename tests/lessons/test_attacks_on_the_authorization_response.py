"""Attack lessons 01-04 (RFC 9700 section 4): each runs with its weakness on,
where the attacker really gets something, and `--defended`, where the exact
refusal shows and nothing of value reaches the attacker."""

from __future__ import annotations

from playground.wire.exchange import Party
from tests.lessons.attack_runs import body, exchanges, location_params, run

CSRF = "01_csrf_missing_state.py"
INTERCEPTION = "02_code_interception_native_app.py"
REDIRECT = "03_redirect_uri_prefix_and_open_redirect.py"
REPLAY = "04_authorization_code_replay.py"


CLIENT = "https://photoprint.test"
ATTACKER = "https://attacker.test"
CRAFTED = f"{CLIENT}/legacy/callback/../../go?to=https://attacker.test/landing"
REUSED = {
    "error": "invalid_grant",
    "error_description": (
        "The code was already used; the tokens issued from it are revoked."
    ),
}


# -- every attack lesson ---------------------------------------------------------


# -- 01: CSRF against the redirect URI (RFC 6749 10.12, RFC 9700 4.7) ------------


def test_csrf_without_state_check_links_victim_to_attacker_account(keys):
    result = run(CSRF, keys, defended=False)
    world = result.world
    alice = world.browser
    assert alice.status == 200
    assert "Hello Bob Builder from Bristol!" in alice.page.text
    tokens = world.web_client.tokens_for_browser(alice)
    assert result.run.decode(tokens["access_token"]).claims["sub"] == "u-1002"
    # PhotoPrint itself redeemed the code Mallory got for Bob.
    (token_request,) = exchanges(result, "/token")
    assert token_request.sender == Party.CLIENT
    assert token_request.request.form["code"] == result.run.mallorys_code
    assert token_request.response.status == 200
    assert world.store.code(result.run.mallorys_code).user_id == "u-1002"


def test_csrf_callback_with_foreign_state_is_refused(keys):
    result = run(CSRF, keys, defended=True)
    world = result.world
    callback = exchanges(result, "/callback")[-1]
    assert callback.response.status == 400
    assert b"does not match" in callback.response.body
    assert world.web_client.last_error == "state_mismatch"
    assert exchanges(result, "/token") == []
    assert world.web_client.tokens_for_browser(world.browser) == {}
    assert not world.store.code(result.run.mallorys_code).used


# -- 02: code interception on a device (RFC 7636 1, RFC 8252 8.1) ----------------


def test_code_interception_without_pkce_lets_malicious_app_redeem_code(keys):
    result = run(INTERCEPTION, keys, defended=False)
    attacker = result.world.attacker
    (code,) = attacker.loot("code")
    (callback,) = exchanges(result, "/callback")
    assert callback.sender == Party.BROWSER and callback.receiver == Party.ATTACKER
    assert callback.request.host == "127.0.0.1:51004"

    (redeemed,) = exchanges(result, "/token", Party.ATTACKER)
    assert redeemed.response.status == 200
    assert redeemed.request.form == {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "http://127.0.0.1:51004/callback",
        "client_id": "photo-uploader-native",
    }
    assert redeemed.request.header("Authorization") is None
    claims = result.run.decode(attacker.stolen["access_token"]).claims
    assert claims["sub"] == "u-1001"
    assert claims["client_id"] == "photo-uploader-native"

    (photos,) = exchanges(result, "/api/photos", Party.ATTACKER)
    assert photos.response.status == 200
    assert [p["id"] for p in body(photos)["photos"]] == ["p-1", "p-2"]


def test_authorization_request_without_code_challenge_is_refused(keys):
    result = run(INTERCEPTION, keys, defended=True)
    (authorize,) = exchanges(result, "/authorize")
    assert authorize.response.status == 302
    assert (authorize.response.header("Location") or "").startswith(
        "http://127.0.0.1:51004/callback?"
    )
    params = location_params(authorize)
    assert params == {
        "error": "invalid_request",
        "error_description": (
            "Missing 'code_challenge': public clients must use PKCE (RFC 9700 2.1.1)."
        ),
        "state": params["state"],
        "iss": result.world.issuer,
    }
    # The redirect the malicious app receives carries only the error.
    attacker = result.world.attacker
    assert {item.name for item in attacker.site.loot} == {
        "error",
        "error_description",
        "state",
        "iss",
    }
    assert result.world.events.named("authorization_code.issued") == []
    assert exchanges(result, "/login") == []  # Alice was never asked to sign in


# -- 03: redirect URI prefix match + open redirector (RFC 9700 4.1.2, 4.11) -------


def test_prefix_redirect_uri_and_open_redirect_leak_implicit_token(keys):
    result = run(REDIRECT, keys, defended=False)
    attacker = result.world.attacker
    (token,) = attacker.loot("access_token")
    assert attacker.stolen["access_token"] == token

    crafted = exchanges(result, "/authorize")[-1]
    assert crafted.response.status == 302
    location = crafted.response.header("Location") or ""
    assert location.startswith(f"{CRAFTED}#") and f"access_token={token}" in location

    (go,) = exchanges(result, "/go")
    assert go.request.target == "/go?to=https://attacker.test/landing"
    assert go.response.status == 302
    assert go.response.header("Location") == f"{ATTACKER}/landing"
    # The fragment never crossed the wire in a request line...
    assert all(token not in e.request.url for e in result.world.transcript.exchanges)
    # ...until Mallory's script posted it home.
    (collect,) = exchanges(result, "/collect")
    assert collect.request.form["access_token"] == token

    (photos,) = exchanges(result, "/api/photos", Party.ATTACKER)
    assert photos.response.status == 200
    assert [p["id"] for p in body(photos)["photos"]] == ["p-1", "p-2"]
    claims = result.run.decode(token).claims
    assert (claims["sub"], claims["client_id"]) == ("u-1001", "legacy-gallery")


def test_unregistered_redirect_uri_gets_an_error_page_not_a_redirect(keys):
    result = run(REDIRECT, keys, defended=True)
    crafted = exchanges(result, "/authorize")[-1]
    assert crafted.response.status == 400
    assert crafted.response.header("Location") is None
    page = crafted.response.text
    assert "<code>invalid_request</code>" in page
    assert f"Redirect URI {CRAFTED} is not supported by client." in page
    (refused,) = result.world.events.named("authorization_request.refused")
    assert refused.client_id == "legacy-gallery"
    # And the client's /go no longer forwards to other sites.
    (go,) = exchanges(result, "/go")
    assert go.response.status == 400 and go.response.header("Location") is None
    # Alice's browser reached Mallory's site only to read her page.
    visits = [
        e.request.target
        for e in result.world.transcript.exchanges
        if e.receiver == Party.ATTACKER
    ]
    assert visits == ["/free-prints"]


# -- 04: authorization code replay (RFC 6749 4.1.2, RFC 9700 4.5) ----------------


def test_replayed_code_and_verifier_give_the_attacker_tokens_for_alice(keys):
    result = run(REPLAY, keys, defended=False)
    world = result.world
    first, replay = exchanges(result, "/token")[:2]  # then the app's refresh
    assert replay.sender == Party.ATTACKER
    assert first.request.form == replay.request.form  # the very same request
    assert first.response.status == 200 and replay.response.status == 200
    assert body(first)["access_token"] != body(replay)["access_token"]
    claims = result.run.decode(body(replay)["access_token"]).claims
    assert claims["sub"] == "u-1001" and claims["client_id"] == "photo-uploader-native"
    # The first tokens stay valid: nobody noticed.
    assert world.introspect(body(first)["access_token"]).json()["active"] is True
    assert world.events.named("authorization_code.reused") == []


def test_replayed_code_is_refused_and_revokes_the_first_tokens(keys):
    result = run(REPLAY, keys, defended=True)
    world = result.world
    first, replay = exchanges(result, "/token")[:2]
    assert replay.sender == Party.ATTACKER
    assert replay.request.form["code"] == first.request.form["code"]
    assert replay.response.status == 400
    assert body(replay) == REUSED
    assert world.attacker.stolen == {}
    (reused,) = world.events.named("authorization_code.reused")
    assert reused.detail == (
        "1 access token and 1 refresh token issued from this code revoked"
    )
    assert world.introspect(body(first)["access_token"]).json() == {"active": False}
    refreshed = world.native_app.refresh(body(first)["refresh_token"])
    assert refreshed.json()["error"] == "invalid_grant"
