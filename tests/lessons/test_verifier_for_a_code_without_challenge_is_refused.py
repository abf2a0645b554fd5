"""Lesson 09c, the PKCE downgrade (RFC 9700 4.8): a code issued for an
authorization request without a code_challenge is redeemed in the victim's
session with the victim's code verifier. The authorization server must refuse
that verifier (RFC 9700 4.8.2)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from playground.wire.exchange import Party
from tests.lessons.attack_runs import body, exchanges, location_params, run

DOWNGRADE = "09c_pkce_downgrade.py"
CLIENT = "https://photoprint.test"
ISSUER = "https://auth.photos.test"
REFUSAL = (
    "A code_verifier was sent, but the authorization request had no "
    "code_challenge (RFC 9700 4.8.2)."
)


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_mallory_strips_the_challenge_from_her_own_request(keys):
    for defended in (False, True):
        result = run(DOWNGRADE, keys, defended=defended)
        mallorys = [
            e
            for e in exchanges(result, "/authorize", Party.ATTACKER)
            if e.request.host == "auth.photos.test"
        ]
        # Her first request is the stripped one; it is answered with a sign-in page.
        stripped = mallorys[0]
        assert stripped.response.status == 200
        sent = query(stripped.request.url)
        assert "code_challenge" not in sent and "code_challenge_method" not in sent
        assert "state" not in sent  # PhotoPrint relies on PKCE for CSRF
        code = result.run.mallorys_code
        stored = result.world.store.code(code)
        assert stored.user_id == "u-1002"
        assert stored.code_challenge is None and stored.code_challenge_method is None


def test_pkce_downgrade_puts_alice_in_mallorys_account(keys):
    result = run(DOWNGRADE, keys, defended=False)
    (redeemed,) = [e for e in exchanges(result, "/token") if e.sender == Party.CLIENT]
    form = redeemed.request.form
    assert form["code"] == result.run.mallorys_code
    assert set(form) == {"grant_type", "code", "redirect_uri", "code_verifier"}
    assert redeemed.response.status == 200
    tokens = result.world.web_client.tokens_for_browser(result.world.browser)
    assert result.run.decode(tokens["access_token"]).claims["sub"] == "u-1002"
    (callback,) = exchanges(result, "/callback", Party.BROWSER)
    assert callback.response.status == 200
    assert b"Hello Bob Builder from Bristol!" in callback.response.body


def test_verifier_for_a_code_without_challenge_is_refused(keys):
    result = run(DOWNGRADE, keys, defended=True)
    (refused,) = [e for e in exchanges(result, "/token") if e.sender == Party.CLIENT]
    assert refused.request.form["code"] == result.run.mallorys_code
    assert refused.request.form["code_verifier"]
    assert refused.response.status == 400
    assert body(refused) == {"error": "invalid_grant", "error_description": REFUSAL}
    (callback,) = exchanges(result, "/callback", Party.BROWSER)
    assert callback.response.status == 400
    assert result.world.web_client.last_error == "invalid_grant"
    assert result.world.web_client.tokens_for_browser(result.world.browser) == {}
    assert not result.world.store.code(result.run.mallorys_code).used
    assert result.world.events.named("access_token.issued") == []


def test_pkce_required_of_every_client_refuses_the_stripped_request(keys):
    for defended in (False, True):
        result = run(DOWNGRADE, keys, defended=defended)
        last = exchanges(result, "/authorize", Party.ATTACKER)[-1]
        assert "code_challenge" not in query(last.request.url)
        assert last.response.status == 302
        location = last.response.header("Location") or ""
        assert location.startswith(f"{CLIENT}/callback?")
        assert location_params(last) == {
            "error": "invalid_request",
            "error_description": (
                "Missing 'code_challenge': this server requires PKCE of every client "
                "(RFC 9700 2.1.1 requires it of public clients and recommends it "
                "for confidential ones)."
            ),
            "iss": ISSUER,
        }
