"""Lesson 15c (OIDC Core 5.7): PhotoPrint finds an account by the ID token's
`iss` and `sub`; an email another issuer vouches for opens a new account, not
Alice's."""

from __future__ import annotations

import jwt

from playground.wire.exchange import Party
from tests.lessons.attack_runs import body, exchanges, run

BY_EMAIL = "15c_oidc_account_by_email.py"
ISSUER = "https://auth.photos.test"
MALLORYS_AS = "https://as.attacker.test"


def mallorys_id_token_claims(result) -> dict:
    (token,) = [
        e
        for e in exchanges(result, "/token")
        if e.request.url == f"{MALLORYS_AS}/token"
    ]
    assert token.sender == Party.CLIENT and token.response.status == 200
    return jwt.decode(body(token)["id_token"], options={"verify_signature": False})


def test_mallorys_server_vouches_for_alices_email(keys):
    result = run(BY_EMAIL, keys, defended=True)
    claims = mallorys_id_token_claims(result)
    assert {k: claims[k] for k in ("iss", "sub", "aud", "email", "email_verified")} == {
        "iss": MALLORYS_AS,
        "sub": "m-666",
        "aud": "photoprint",
        "email": "alice@example.org",
        "email_verified": True,
    }


def test_account_found_by_email_is_alices(keys):
    result = run(BY_EMAIL, keys, defended=False)
    callback = exchanges(result, "/callback", Party.ATTACKER)[-1]
    assert callback.response.status == 200
    assert b"Delivery address: 7 Rabbit Hole Lane, Oxford" in callback.response.body
    account = result.world.web_client.account_for_browser(result.world.attacker.browser)
    assert account is not None and account.key == (ISSUER, "u-1001")


def test_account_is_found_by_issuer_and_subject(keys):
    result = run(BY_EMAIL, keys, defended=True)
    callback = exchanges(result, "/callback", Party.ATTACKER)[-1]
    assert callback.response.status == 200
    assert b"A new account: no address and no orders yet." in callback.response.body
    assert b"Rabbit Hole Lane" not in callback.response.body
    accounts = result.world.web_client.accounts
    assert accounts[(MALLORYS_AS, "m-666")].email == "alice@example.org"
    assert accounts[(ISSUER, "u-1001")].address == "7 Rabbit Hole Lane, Oxford"
    account = result.world.web_client.account_for_browser(result.world.attacker.browser)
    assert account is not None and account.key == (MALLORYS_AS, "m-666")


def test_no_token_goes_to_an_api_it_is_not_for(keys):
    """RFC 9700 4.9.1: PhotoPrint offers the photos API no token of Mallory's
    server; and a sign-in with no API scope calls no API at all."""
    for defended in (False, True):
        result = run(BY_EMAIL, keys, defended=defended)
        api_calls = [
            e
            for e in result.world.transcript.exchanges
            if e.receiver == Party.RESOURCE_SERVER
        ]
        assert api_calls == []
