"""Attack lessons 05-08e: each runs with its weakness on, where the attacker
really gets something, and `--defended`, where the exact refusal shows and
nothing the weakness would have given away reaches the attacker."""

from __future__ import annotations

from urllib.parse import urlsplit

import jwt
import pytest

from playground.lesson.runner import LessonResult
from playground.wire.exchange import Exchange, Party
from tests.lessons.attack_runs import body, run

IMPLICIT = "05_implicit_token_leakage.py"
PHISHING = "06_password_phishing_lookalike.py"
REFRESH = "07_refresh_token_theft.py"
ALG_NONE = "08a_jwt_alg_none.py"
KEY_CONFUSION = "08b_jwt_key_confusion.py"
NO_SIGNATURE = "08c_jwt_no_signature_check.py"
EXPIRED = "08d_jwt_expired.py"
AUDIENCE = "08e_jwt_other_audience.py"


API = "api.photos.test"
AUTH = "auth.photos.test"
ALICE = "u-1001"
ALICES_PHOTOS = ["Tea party", "Croquet lawn"]


def sent(
    result: LessonResult, sender: Party, host: str, path: str | None = None
) -> list[Exchange]:
    return [
        e
        for e in result.world.transcript.exchanges
        if e.sender == sender
        and e.request.host == host
        and (path is None or urlsplit(e.request.url).path == path)
    ]


def bearer(exchange: Exchange) -> str:
    return (exchange.request.header("Authorization") or "").removeprefix("Bearer ")


def shown(result: LessonResult, label_part: str) -> str:
    (token,) = [
        s.token for s in result.world.transcript.shown_tokens if label_part in s.label
    ]
    return token


# -- every lesson of this file ---------------------------------------------------


# -- 05: implicit token leakage and token injection ------------------------------


def test_query_token_leaks_via_referer_under_a_lax_referrer_policy(keys):
    result = run(IMPLICIT, keys, defended=False)
    gallery_token = result.run.gallery_token
    pixels = sent(result, Party.BROWSER, "attacker.test", "/pixel.gif")
    assert [p.request.header("Referer") for p in pixels] == [
        "https://photoprint.test/legacy/callback",  # the fragment stays home
        "https://photoprint.test/legacy/callback?"
        + urlsplit(
            next(u for u in result.world.browser.history if "#token_type=" in u)
        ).fragment,
    ]
    from_referer = [i for i in result.world.attacker.site.loot if i.via == "referer"]
    assert [i.value for i in from_referer if i.name == "access_token"] == [
        gallery_token
    ]
    (profile,) = sent(result, Party.ATTACKER, API, "/api/user")
    assert bearer(profile) == gallery_token
    assert profile.response.status == 200 and body(profile)["id"] == ALICE


def test_no_referrer_policy_keeps_the_query_token_home(keys):
    """RFC 9700 4.2.4: Referrer-Policy: no-referrer on the callback page."""
    result = run(IMPLICIT, keys, defended=True)
    pixels = sent(result, Party.BROWSER, "attacker.test", "/pixel.gif")
    assert len(pixels) == 2
    assert all(p.request.header("Referer") is None for p in pixels)
    assert not [i for i in result.world.attacker.site.loot if i.via == "referer"]
    # The token still went to PhotoPrint's server in the query: the policy
    # only keeps it from third parties.
    moved = [
        e
        for e in result.world.transcript.exchanges_for(4)
        if "access_token=" in e.request.url
    ]
    assert moved and moved[0].request.host == "photoprint.test"


def test_token_injection_signs_mallory_in_as_alice_only_with_weakness(keys):
    result = run(IMPLICIT, keys, defended=False)
    (injection,) = sent(result, Party.ATTACKER, "photoprint.test")
    assert injection.request.form["access_token"] == result.run.other_token
    assert jwt.decode(result.run.other_token, options={"verify_signature": False})[
        "client_id"
    ] == ("photo-uploader-native")
    assert injection.response.status == 200
    assert "Signed in as Alice Liddell." in injection.response.text
    assert "photoprint_session=" in (injection.response.header("Set-Cookie") or "")


def test_no_access_token_is_taken_as_a_sign_in(keys):
    result = run(IMPLICIT, keys, defended=True)
    (injection,) = sent(result, Party.ATTACKER, "photoprint.test")
    assert injection.response.status == 401
    assert "takes no access token as proof of who you are" in injection.response.text
    assert "Signed in as" not in injection.response.text
    assert result.world.web_client.last_error == "access_token_is_not_a_sign_in"
    assert injection.response.header("Set-Cookie") is None


# -- 06: password phishing by a look-alike ---------------------------------------

REFUSAL = {
    "error": "unauthorized_client",
    "error_description": "The client is not authorized to use 'grant_type=password'",
}


def test_lookalike_reads_alices_photos_with_the_password_grant_only_with_weakness(
    keys,
):
    result = run(PHISHING, keys, defended=False)
    (grant,) = password_grants(result)
    assert grant.request.form["password"] == "wonderland"
    assert grant.response.status == 200
    claims = jwt.decode(
        body(grant)["access_token"], options={"verify_signature": False}
    )
    assert claims["client_id"] == "photo-printz" and claims["sub"] == ALICE
    photos, _ = sent(result, Party.ATTACKER, API, "/api/photos")  # steps 4, 5
    assert photos.request.header("Authorization") == (
        f"Bearer {body(grant)['access_token']}"
    )
    assert photos.response.status == 200
    assert [p["title"] for p in body(photos)["photos"]] == ALICES_PHOTOS


def test_password_grant_refused_to_the_lookalike_by_default(keys):
    result = run(PHISHING, keys, defended=True)
    (grant,) = password_grants(result)
    assert grant.response.status == 400
    assert body(grant) == REFUSAL
    # No token came from the password grant: the first one photo-printz gets
    # is from the code flow Mallory runs herself in step 5.
    step_five = {e.index for e in result.world.transcript.exchanges_for(5)}
    issued = [
        e
        for e in sent(result, Party.ATTACKER, AUTH, "/token")
        if e.response.status == 200
    ]
    assert issued and all(e.index in step_five for e in issued)


def password_grants(result):
    return [
        e
        for e in sent(result, Party.ATTACKER, AUTH, "/token")
        if e.request.form.get("grant_type") == "password"
    ]


@pytest.mark.parametrize("defended", [False, True], ids=["attack", "defended"])
def test_a_phished_password_opens_the_real_sign_in_page_either_way(keys, defended):
    """Refusing the password grant does not undo the phishing: Mallory types
    Alice's password into the real sign-in page and approves her own app."""
    result = run(PHISHING, keys, defended=defended)
    step = result.world.transcript.exchanges_for(5)
    login = [e for e in step if e.request.target == "/login"]
    assert login and login[0].sender == Party.ATTACKER
    assert login[0].request.form["password"] == "wonderland"
    (token,) = [e for e in step if e.request.target == "/token"]
    assert token.response.status == 200
    assert token.request.form["grant_type"] == "authorization_code"
    (photos,) = [e for e in step if e.request.target == "/api/photos"]
    assert body(photos)["owner"] == ALICE


@pytest.mark.parametrize("defended", [False, True], ids=["attack", "defended"])
def test_lookalike_has_the_password_either_way_and_the_code_flow_keeps_it_at_the_as(
    keys, defended
):
    result = run(PHISHING, keys, defended=defended)
    # The honest part: the password is stolen before any server setting runs.
    assert result.world.attacker.loot("password") == ["wonderland"]
    last_step = len(result.lesson.steps)
    carrying = [
        e
        for e in result.world.transcript.exchanges_for(last_step)
        if b"wonderland" in e.request.body
    ]
    assert [(e.request.host, e.request.target) for e in carrying] == [(AUTH, "/login")]


# -- 07: refresh token theft -----------------------------------------------------

REUSED = "The refresh token was already used; every token of this grant is now revoked."
REVOKED = "The refresh token has been revoked."


def refreshes(result: LessonResult, sender: Party) -> list[Exchange]:
    return [
        e
        for e in sent(result, sender, AUTH, "/token")
        if e.request.form.get("grant_type") == "refresh_token"
    ]


def test_stolen_refresh_token_keeps_working_for_both_without_rotation(keys):
    result = run(REFRESH, keys, defended=False)
    stolen = result.world.attacker.loot("refresh_token")
    assert stolen == [result.run.app_refresh_token]
    mallory = refreshes(result, Party.ATTACKER)
    app = refreshes(result, Party.BROWSER)  # the SPA's fetch()
    assert [e.response.status for e in mallory] == [200, 200, 200]
    assert [e.response.status for e in app] == [200, 200]
    # One refresh token, two holders, all along: never rotated.
    assert {e.request.form["refresh_token"] for e in mallory + app} == set(stolen)
    assert all("refresh_token" not in body(e) for e in mallory + app)
    assert not result.world.events.named("refresh_token.reused")
    photos = sent(result, Party.ATTACKER, API, "/api/photos")
    assert [e.response.status for e in photos] == [200, 200]
    assert all(body(e)["owner"] == ALICE for e in photos)


def test_rotation_detects_the_reuse_and_revokes_mallorys_tokens(keys):
    result = run(REFRESH, keys, defended=True)
    first, *later = refreshes(result, Party.ATTACKER)
    (app,) = refreshes(result, Party.BROWSER)  # the SPA's fetch()
    # Mallory got there first: one rotated refresh, and an hour of access.
    assert first.response.status == 200
    newest = body(first)["refresh_token"]
    assert newest != first.request.form["refresh_token"]
    # The app presents the used token: reuse detected, family revoked.
    assert app.request.form["refresh_token"] == result.run.app_refresh_token
    assert app.response.status == 400
    assert body(app) == {"error": "invalid_grant", "error_description": REUSED}
    (reused,) = result.world.events.named("refresh_token.reused")
    assert reused.client_id == "photo-gallery-spa" and reused.user == ALICE
    # Mallory's newest refresh token went with the family.
    assert [e.request.form["refresh_token"] for e in later] == [newest, newest]
    for refused in later:
        assert refused.response.status == 400
        assert body(refused) == {"error": "invalid_grant", "error_description": REVOKED}
    record = result.world.store.token_by_refresh_token(newest)
    assert record is not None and record.refresh_token_revoked
    # After the first hour, nothing the attacker sends succeeds.
    step_of_first = first.step or 0
    after = [
        e
        for e in result.world.transcript.exchanges
        if e.sender == Party.ATTACKER and (e.step or 0) > step_of_first
    ]
    assert after and all(e.response.status >= 400 for e in after)


# -- 08: forged and misused JWTs at the resource server -------------------------


def assert_alices_data_served(result: LessonResult, forged: str) -> None:
    calls = [e for e in sent(result, Party.ATTACKER, API) if bearer(e) == forged]
    assert [urlsplit(e.request.url).path for e in calls] == ["/api/user", "/api/photos"]
    user, photos = calls
    assert user.response.status == 200
    assert body(user) == {"id": ALICE, "name": "Alice Liddell", "city": "Oxford"}
    assert photos.response.status == 200
    assert [p["title"] for p in body(photos)["photos"]] == ALICES_PHOTOS
    assert not result.world.events.named("access_token.rejected")


def assert_refused(result: LessonResult, forged: str, description: str) -> None:
    calls = [e for e in sent(result, Party.ATTACKER, API) if bearer(e) == forged]
    assert len(calls) == 2
    for call in calls:
        assert call.response.status == 401
        assert body(call) == {
            "error": "invalid_token",
            "error_description": description,
        }
        challenge = call.response.header("WWW-Authenticate") or ""
        assert 'error="invalid_token"' in challenge
    rejected = result.world.events.named("access_token.rejected")
    assert [e.detail for e in rejected] == [description, description]
    # Nothing of Alice's reached the attacker.
    assert not [
        e
        for e in sent(result, Party.ATTACKER, API)
        if e.response.status == 200 and ALICE.encode() in e.response.body
    ]


def header_of(token: str) -> dict:
    return jwt.get_unverified_header(token)


def test_alg_none_token_accepted_only_with_weakness(keys):
    attack = run(ALG_NONE, keys, defended=False)
    forged = shown(attack, "forged")
    assert header_of(forged)["alg"] == "none" and forged.endswith(".")
    assert_alices_data_served(attack, forged)

    defended = run(ALG_NONE, keys, defended=True)
    assert_refused(
        defended,
        shown(defended, "forged"),
        "The token is unsigned (alg: none); accepted algorithms: RS256, ES256",
    )


def test_hs256_key_confusion_token_accepted_only_with_weakness(keys):
    attack = run(KEY_CONFUSION, keys, defended=False)
    (jwks,) = sent(attack, Party.ATTACKER, AUTH, "/jwks.json")
    assert jwks.response.status == 200  # the public key, fetched over the network
    forged = shown(attack, "forged")
    assert header_of(forged)["alg"] == "HS256"
    assert_alices_data_served(attack, forged)

    defended = run(KEY_CONFUSION, keys, defended=True)
    assert_refused(
        defended,
        shown(defended, "forged"),
        "InvalidAlgorithmError: The specified alg value is not allowed",
    )


def test_tampered_token_accepted_only_without_signature_check(keys):
    attack = run(NO_SIGNATURE, keys, defended=False)
    forged = shown(attack, "tampered")
    own = attack.run.own_token
    assert forged.split(".")[::2] == own.split(".")[::2]  # header and signature kept
    assert_alices_data_served(attack, forged)

    defended = run(NO_SIGNATURE, keys, defended=True)
    assert_refused(
        defended,
        shown(defended, "tampered"),
        "InvalidSignatureError: Signature verification failed",
    )


def test_expired_token_accepted_only_without_expiry_check(keys):
    attack = run(EXPIRED, keys, defended=False)
    leaked = attack.world.attacker.loot("access_token")
    assert leaked == [attack.run.alices_token]
    assert_alices_data_served(attack, leaked[0])

    defended = run(EXPIRED, keys, defended=True)
    token = defended.run.stolen_token
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    now = defended.world.clock.now()
    assert now - exp == 23 * 3600
    assert_refused(
        defended,
        token,
        f"ExpiredSignatureError: the token expired at exp {exp} (now {now})",
    )


def test_other_audience_token_accepted_only_without_audience_check(keys):
    attack = run(AUDIENCE, keys, defended=False)
    token = attack.run.stolen_token
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["aud"] == "https://quotes.attacker.test"
    (to_quotes,) = sent(attack, Party.CLIENT, "quotes.attacker.test")
    assert bearer(to_quotes) == token  # sent to Mallory's API by Alice's app
    assert_alices_data_served(attack, token)

    defended = run(AUDIENCE, keys, defended=True)
    assert_refused(
        defended,
        defended.run.stolen_token,
        "InvalidAudienceError: Audience doesn't match",
    )
