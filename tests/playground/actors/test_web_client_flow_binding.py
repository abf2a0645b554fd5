"""The choices RFC 9700 leaves PhotoPrint for binding a flow to its browser
(`WebClient.configure`): state or PKCE against CSRF (4.7.1), PKCE or the
nonce against code injection (2.1.1). None of them is a weakness."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from playground.world import World, WorldKeys


@pytest.fixture(scope="module")
def keys() -> WorldKeys:
    return WorldKeys.generate()


def test_pkce_instead_of_state_sends_no_state_but_a_challenge(keys):
    world = World(keys=keys)
    world.web_client.configure(csrf="pkce")
    world.browser.open("https://photoprint.test/login")
    sent = world.browser.redirect_params
    assert "state" not in sent
    assert sent["code_challenge_method"] == "S256"


def test_pkce_instead_of_state_refuses_a_callback_no_sign_in_started(keys):
    """RFC 9700 4.7.1: with PKCE as the CSRF defence, a browser without a code
    verifier has nothing to prove; the client must not redeem the code."""
    world = World(keys=keys)
    world.web_client.configure(csrf="pkce")
    forged = {"code": "anything", "iss": world.issuer}
    world.browser.open(f"https://photoprint.test/callback?{urlencode(forged)}")
    assert world.browser.status == 400
    assert world.web_client.last_error == "no_flow"
    assert "no sign-in under way" in world.browser.page.text
    assert not [e for e in world.transcript.exchanges if e.label == "POST /token"]


def test_nonce_instead_of_pkce_only_for_openid_sign_ins(keys):
    world = World(keys=keys)
    world.web_client.configure(code_binding="nonce")
    world.browser.open("https://photoprint.test/login?scope=openid+basic")
    oidc = world.browser.redirect_params
    assert "code_challenge" not in oidc and oidc["nonce"]
    world.browser.open("https://photoprint.test/login?scope=basic")
    plain = world.browser.redirect_params
    assert plain["code_challenge_method"] == "S256" and "nonce" not in plain


@pytest.mark.parametrize(
    "option", [{"csrf": "cookie"}, {"code_binding": "secret"}], ids=str
)
def test_unknown_choice_is_refused(keys, option):
    with pytest.raises(ValueError):
        World(keys=keys).web_client.configure(**option)
