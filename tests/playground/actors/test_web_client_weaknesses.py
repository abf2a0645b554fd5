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


NO_STATE_CHECK = ["client.skip_state_check"]
NO_PKCE = ["client.no_pkce", "as.pkce_optional"]


@pytest.mark.parametrize(
    ("weaknesses", "outcome"),
    [
        (NO_STATE_CHECK + NO_PKCE, "signed in as Bob"),
        (NO_STATE_CHECK, "code challenge failed"),  # PKCE alone stops it
        (NO_PKCE, "state mismatch"),  # state alone stops it
        ([], "state mismatch"),
    ],
)
def test_csrf_needs_both_state_and_pkce_off(keys, weaknesses, outcome):
    """RFC 9700 4.7.1: state or PKCE binds the response to the browser's session."""
    world = World(keys=keys, weaknesses=weaknesses)
    code = attackers_code(world)
    victim = world.browser
    victim.open("https://photoprint.test/login?scope=basic")  # her own session
    forged = {"code": code, "state": "forged", "iss": world.issuer}
    victim.open(f"https://photoprint.test/callback?{urlencode(forged)}")
    if outcome == "signed in as Bob":
        assert victim.status == 200
        assert "Hello Bob Builder" in victim.page.text
    elif outcome == "code challenge failed":
        assert victim.status == 400
        assert "Code challenge failed." in victim.page.text
        assert world.web_client.last_error == "invalid_grant"
    else:
        assert victim.status == 400
        assert "does not match" in victim.page.text
        assert world.web_client.last_error == "state_mismatch"


def test_photoprint_sends_pkce_and_a_nonce_unless_told_not_to(keys):
    browser = World(keys=keys).browser
    browser.open("https://photoprint.test/login?scope=openid+basic")
    sent = browser.redirect_params
    assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) == 43
    assert len(sent["nonce"]) >= 16
    careless = World(keys=keys, weaknesses=["client.no_pkce"]).browser
    careless.open("https://photoprint.test/login?scope=basic")
    assert "code_challenge" not in careless.redirect_params


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"iss": None}, "has no iss"),
        ({"iss": "https://as.attacker.test"}, "names issuer https://as.attacker.test"),
        ({"error": "access_denied", "state": "forged"}, "does not match"),
        ({"error": "access_denied", "iss": None}, "has no iss"),
    ],
)
def test_callback_checks_state_and_iss_on_every_response(keys, change, refusal):
    """RFC 9207 2.4: a client of a server that advertises iss refuses a response
    without it or with another; errors are checked too (RFC 9700 4.4.2)."""
    world = World(keys=keys)
    browser = world.browser
    sign_in_through(browser, "https://photoprint.test/login?scope=basic")
    params = dict(browser.redirect_params)
    if "error" in change:
        params.pop("code")
    for name, value in change.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    browser.open(f"https://photoprint.test/callback?{urlencode(params)}")
    assert browser.status == 400
    assert refusal in browser.page.text
    assert not [e for e in world.transcript.exchanges if e.label == "POST /token"]


def test_id_token_with_another_nonce_is_refused(keys):
    """OIDC Core 3.1.3.7: the ID token's nonce must be the one this browser's
    request sent; a code from another request (injected) fails here too."""
    world = World(keys=keys, weaknesses=NO_PKCE)
    mallory = world.attacker.browser
    mallory.open("https://photoprint.test/login?scope=openid+basic")
    mallory.follow_redirect()
    mallory.sign_in("bob", "builder")
    mallory.follow_redirect()
    mallory.approve()
    code = mallory.redirect_params["code"]  # issued for Mallory's nonce
    victim = world.browser
    victim.open("https://photoprint.test/login?scope=openid+basic")
    state = victim.redirect_params["state"]
    injected = {"code": code, "state": state, "iss": world.issuer}
    victim.open(f"https://photoprint.test/callback?{urlencode(injected)}")
    assert victim.status == 400
    assert "nonce is not the one this browser's request sent" in victim.page.text
    assert world.web_client.last_error == "invalid_id_token"


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
        assert b"takes no access token as proof of who you are" in (
            session[-1].response.body
        )


@pytest.mark.parametrize("weak", [True, False])
def test_legacy_client_cannot_tell_its_own_token_from_an_injected_one(keys, weak):
    """RFC 9700 4.6.1: no check in pure OAuth tells an injected token from the
    client's own, so the defended client takes none as proof of sign-in."""
    world = World(keys=keys, weaknesses=["client.accept_any_token"] if weak else [])
    browser = world.browser
    url = world.legacy_app.authorization_url("basic", response_type="token")
    sign_in_through(browser, url)
    browser.follow_redirect()
    token = browser.fragment_params["access_token"]  # Legacy Gallery's own
    response = browser.fetch(
        "https://photoprint.test/legacy/session",
        method="POST",
        data={"access_token": token},
    )
    assert response is not None
    if weak:
        assert response.status_code == 200
        assert b"Signed in as Alice Liddell" in response.content
    else:
        assert response.status_code == 401


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


@pytest.mark.parametrize("weak", [True, False])
def test_code_injection_into_photoprint(keys, weak):
    """RFC 9700 4.5: Mallory holds Alice's fresh code (say, from a leaky log)
    and delivers it to PhotoPrint's callback with a state of her own session.
    PKCE stops it: her session's code verifier is not the one the code was
    issued for. Without PKCE, PhotoPrint signs Mallory in as Alice."""
    world = World(keys=keys, weaknesses=NO_PKCE if weak else [])
    alice = world.browser
    sign_in_through(alice, "https://photoprint.test/login?scope=basic")
    alices_code = alice.redirect_params["code"]  # leaked before it is used
    mallory = world.attacker.browser
    mallory.open("https://photoprint.test/login?scope=basic")
    injected = {
        "code": alices_code,
        "state": mallory.redirect_params["state"],
        "iss": world.issuer,
    }
    mallory.open(f"https://photoprint.test/callback?{urlencode(injected)}")
    if weak:
        assert mallory.status == 200
        assert "Hello Alice Liddell" in mallory.page.text
    else:
        assert mallory.status == 400
        assert "Code challenge failed." in mallory.page.text
        token = [e for e in world.transcript.exchanges if e.label == "POST /token"][-1]
        assert token.response.status == 400
        assert token.request.form["code"] == alices_code
