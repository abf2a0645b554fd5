"""Attack lessons 09-12: PKCE not enforced and plain PKCE, mix-up, scope upgrade on
refresh and clickjacking. Each runs with its weakness on, where the attacker
really gets something, and `--defended`, where the exact refusal shows and
nothing of value reaches the attacker."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

from playground.wire.exchange import Party
from tests.lessons.attack_runs import (
    body,
    exchanges,
    location_params,
    run,
    spent_by_attacker,
)

NOT_ENFORCED = "09a_pkce_not_enforced.py"
PLAIN = "09b_pkce_plain_method.py"
MIX_UP = "10_mix_up.py"
SCOPE_UPGRADE = "11_scope_upgrade_on_refresh.py"
CLICKJACKING = "12_clickjacking_consent.py"


ISSUER = "https://auth.photos.test"
ATTACKER_AS = "https://as.attacker.test"
CLIENT = "https://photoprint.test"
ATTACKER = "https://attacker.test"
ALICES_PHOTOS = ["p-1", "p-2"]


# -- every lesson ----------------------------------------------------------------


def test_defended_pkce_not_enforced_leaves_the_attacker_a_useless_code(keys):
    # The leaked code is the lesson's premise, in both runs; what PKCE denies
    # is tokens for it.
    result = run(NOT_ENFORCED, keys, defended=True)
    attacker = result.world.attacker
    assert [item.name for item in attacker.secrets_received()] == ["code"]
    assert attacker.stolen == {}
    assert spent_by_attacker(result) == []


# -- 09a: PKCE not enforced (RFC 7636 4.6, RFC 9700 2.1.1) ------------------------


def test_pkce_optional_redeems_a_leaked_code_without_verifier(keys):
    result = run(NOT_ENFORCED, keys, defended=False)
    attacker = result.world.attacker
    (code,) = attacker.loot("code")
    assert code == result.run.code
    assert result.run.verifier not in [item.value for item in attacker.site.loot]

    (redeemed,) = exchanges(result, "/token", Party.ATTACKER)
    assert redeemed.response.status == 200
    assert redeemed.request.form == {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": f"{CLIENT}/spa/callback",
        "client_id": "photo-gallery-spa",
    }
    claims = result.run.decode(attacker.stolen["access_token"]).claims
    assert claims["sub"] == "u-1001" and claims["client_id"] == "photo-gallery-spa"
    (photos,) = exchanges(result, "/api/photos", Party.ATTACKER)
    assert photos.response.status == 200
    assert [p["id"] for p in body(photos)["photos"]] == ALICES_PHOTOS


def test_challenged_code_without_verifier_is_refused_to_the_attacker(keys):
    result = run(NOT_ENFORCED, keys, defended=True)
    (refused,) = exchanges(result, "/token", Party.ATTACKER)
    assert refused.response.status == 400
    assert body(refused) == {
        "error": "invalid_request",
        "error_description": "Missing 'code_verifier'",
    }
    assert exchanges(result, "/api/photos", Party.ATTACKER) == []
    # The failed attempt did not use up the code: the real app still signs in.
    (app_redeems,) = exchanges(result, "/token", Party.BROWSER)  # the SPA's fetch
    assert app_redeems.response.status == 200
    assert app_redeems.request.form["code_verifier"] == result.run.verifier


# -- 09b: plain PKCE (RFC 7636 4.2, RFC 9700 2.1.1) -------------------------------


def test_plain_pkce_lets_the_attacker_copy_the_verifier_from_the_url(keys):
    result = run(PLAIN, keys, defended=False)
    attacker = result.world.attacker
    verifier = result.run.verifier
    assert attacker.loot("code_challenge") == [verifier]
    (redeemed,) = exchanges(result, "/token", Party.ATTACKER)
    assert redeemed.response.status == 200
    assert redeemed.request.form["code_verifier"] == verifier
    assert redeemed.request.form["code"] == attacker.loot("code")[0]
    claims = result.run.decode(attacker.stolen["access_token"]).claims
    assert claims["sub"] == "u-1001"
    (photos,) = exchanges(result, "/api/photos", Party.ATTACKER)
    assert photos.response.status == 200
    assert [p["id"] for p in body(photos)["photos"]] == ALICES_PHOTOS


def test_plain_pkce_authorization_request_is_refused(keys):
    result = run(PLAIN, keys, defended=True)
    (authorize,) = exchanges(result, "/authorize")
    assert authorize.response.status == 302
    assert location_params(authorize) == {
        "error": "invalid_request",
        "error_description": (
            "Unsupported 'code_challenge_method': this server accepts only S256 "
            "(RFC 7636 4.4.1; RFC 9700 2.1.1 asks clients to use S256)."
        ),
        "state": result.world.spa.pending.state,
        "iss": ISSUER,
    }
    assert exchanges(result, "/token") == []
    assert result.world.events.named("authorization_code.issued") == []


# -- 10: mix-up (RFC 9207, RFC 9700 4.4) ------------------------------------------


def test_mix_up_sends_alices_code_to_the_attackers_token_endpoint(keys):
    result = run(MIX_UP, keys, defended=False)
    world = result.world
    code = result.run.code
    assert world.attacker.loot("code") == [code]

    (bounce,) = exchanges(result, "/authorize", Party.BROWSER)[:1]
    assert bounce.request.url.startswith(f"{ATTACKER_AS}/authorize?")
    assert bounce.receiver == Party.ATTACKER
    assert (bounce.response.header("Location") or "").startswith(f"{ISSUER}/authorize?")

    (to_attacker,) = [
        e for e in exchanges(result, "/token") if e.request.url.startswith(ATTACKER_AS)
    ]
    assert to_attacker.sender == Party.CLIENT
    assert to_attacker.request.form["code"] == code
    basic = (to_attacker.request.header("Authorization") or "").removeprefix("Basic ")
    # PhotoPrint's secret at the honest AS never went to Mallory.
    assert base64.b64decode(basic) == b"photoprint:photoprint-secret-at-as-attacker"
    assert "photoprint-secret" not in to_attacker.request.body.decode()

    # Mallory cannot redeem it herself, but injects it into her own session.
    (direct,) = exchanges(result, "/token", Party.ATTACKER)
    assert direct.response.status == 401
    assert body(direct)["error"] == "invalid_client"
    injected = exchanges(result, "/callback", Party.ATTACKER)[-1]
    assert parse_qs(urlsplit(injected.request.url).query)["code"] == [code]
    assert injected.response.status == 200
    assert b"Hello Alice Liddell" in injected.response.body
    assert world.store.code(code).user_id == "u-1001"


def test_mix_up_callback_with_another_issuer_is_refused(keys):
    result = run(MIX_UP, keys, defended=True)
    world = result.world
    callback = exchanges(result, "/callback")[-1]
    assert callback.response.status == 400
    assert (
        b"The response names issuer https://auth.photos.test, not "
        b"https://as.attacker.test." in callback.response.body
    )
    assert world.web_client.last_error == "issuer_mismatch"
    assert exchanges(result, "/token") == []
    assert world.attacker.loot("code") == []
    assert not world.store.code(result.run.code).used


# -- 11: scope upgrade on refresh (RFC 6749 6) ------------------------------------


def test_refresh_widens_the_scope_alice_granted(keys):
    result = run(SCOPE_UPGRADE, keys, defended=False)
    world = result.world
    refresh = exchanges(result, "/token")[-1]
    assert refresh.request.form["grant_type"] == "refresh_token"
    assert refresh.request.form["scope"] == "basic email photos.read"
    assert refresh.response.status == 200
    assert body(refresh)["scope"] == "basic email photos.read"
    photos = exchanges(result, "/api/photos")[-1]
    assert photos.response.status == 200
    assert [p["id"] for p in body(photos)["photos"]] == ALICES_PHOTOS
    assert not world.store.has_consent("u-1001", "photoprint", "photos.read")


def test_refresh_cannot_widen_the_granted_scope(keys):
    result = run(SCOPE_UPGRADE, keys, defended=True)
    refresh = exchanges(result, "/token")[-1]
    assert refresh.response.status == 400
    assert body(refresh) == {
        "error": "invalid_scope",
        "error_description": "The requested scope is invalid, unknown, or malformed.",
    }
    assert [e.response.status for e in exchanges(result, "/api/photos")] == [403, 403]


# -- 12: clickjacking (RFC 6749 10.13, RFC 9700 4.16) -----------------------------


def test_framed_consent_page_is_rendered_and_approved(keys):
    result = run(CLICKJACKING, keys, defended=False)
    world = result.world
    framed = result.run.framed
    assert framed.rendered
    assert framed.reason == (
        "No X-Frame-Options and no CSP frame-ancestors: any site may frame this page."
    )
    assert world.store.has_consent("u-1001", "photo-printz", "basic photos.read")
    (code,) = world.attacker.loot("code")
    (redeemed,) = exchanges(result, "/token", Party.ATTACKER)
    assert redeemed.response.status == 200
    assert redeemed.request.form["code"] == code
    claims = result.run.decode(world.attacker.stolen["access_token"]).claims
    assert claims["sub"] == "u-1001" and claims["client_id"] == "photo-printz"
    (photos,) = exchanges(result, "/api/photos", Party.ATTACKER)
    assert photos.response.status == 200


def test_consent_page_refuses_to_be_framed(keys):
    result = run(CLICKJACKING, keys, defended=True)
    world = result.world
    framed = result.run.framed
    assert not framed.rendered
    assert framed.response.headers["x-frame-options"] == "DENY"
    assert framed.response.headers["content-security-policy"] == (
        "frame-ancestors 'none'"
    )
    assert framed.reason == (
        "Refused to frame 'https://auth.photos.test/authorize' because an "
        "ancestor violates the following Content Security Policy directive: "
        "\"frame-ancestors 'none'\"."
    )
    # Alice's click went to Mallory's own button; nothing reached the AS.
    assert [e.request.method for e in exchanges(result, "/authorize")][-1] == "GET"
    assert exchanges(result, "/win")[-1].receiver == Party.ATTACKER
    assert not world.store.has_consent("u-1001", "photo-printz", "basic")
    assert exchanges(result, "/token", Party.ATTACKER) == []
