"""Lesson 15b (OIDC Core 3.1.3.7 step 3, RFC 8725 3.9): the gallery's server
opens a session only for an ID token whose `aud` is the gallery."""

from __future__ import annotations

from playground.wire.exchange import Party
from tests.lessons.attack_runs import exchanges, run

AUDIENCE = "15b_oidc_id_token_for_another_client.py"
REFUSAL = (
    b"This ID token was issued to photo-printz, not to Photo Gallery "
    b"(photo-gallery-spa)."
)


def sessions(result, sender):
    return exchanges(result, "/spa/session", sender)


def test_the_gallery_posts_its_own_id_token_and_gets_a_session(keys):
    for defended in (False, True):
        result = run(AUDIENCE, keys, defended=defended)
        (own,) = sessions(result, Party.BROWSER)
        assert own.request.form == {"id_token": result.run.gallery_id_token}
        assert own.request.header("Origin") == "https://photoprint.test"  # a POST
        assert own.response.status == 200
        assert b"Signed in as Alice Liddell." in own.response.body


def test_id_token_for_another_client_opens_alices_account(keys):
    result = run(AUDIENCE, keys, defended=False)
    (posted,) = sessions(result, Party.ATTACKER)
    assert posted.request.form == {"id_token": result.run.printz_id_token}
    assert posted.response.status == 200
    assert b"Signed in as Alice Liddell." in posted.response.body
    assert b"Delivery address: 7 Rabbit Hole Lane, Oxford" in posted.response.body
    assert "photoprint_session=" in (posted.response.header("Set-Cookie") or "")


def test_id_token_for_another_client_is_refused(keys):
    result = run(AUDIENCE, keys, defended=True)
    (posted,) = sessions(result, Party.ATTACKER)
    assert posted.response.status == 401
    assert REFUSAL in posted.response.body
    assert posted.response.header("Set-Cookie") is None
    assert result.world.web_client.last_error == "id_token_for_another_client"
