"""The attacker's mix-up authorization server, PhotoPrint's use of two
authorization servers, and the browser's framing decision (clickjacking)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from playground.actors.attacker import ATTACKER_AS_URL
from playground.actors.browser import BrowserError, frame_verdict
from playground.wire.exchange import Party
from playground.world import PHOTOPRINT_SECRET_AT_ATTACKER_AS, World, WorldKeys

ISSUER = "https://auth.photos.test"
CLIENT = "https://photoprint.test"
ATTACKER = "https://attacker.test"
AS_PAGE = f"{ISSUER}/authorize"


@pytest.fixture(scope="module")
def keys() -> WorldKeys:
    return WorldKeys.generate()


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


# -- the mix-up authorization server (RFC 9700 4.4) -------------------------------


def test_attackers_authorization_server_has_its_own_host(keys):
    world = World(keys=keys)
    assert world.attacker.as_url == ATTACKER_AS_URL == "https://as.attacker.test"
    assert world.network.party_at(f"{ATTACKER_AS_URL}/authorize") == Party.ATTACKER
    # The rest of the attacker's domain is still their site.
    assert world.network.party_at("https://x.attacker.test/") == Party.ATTACKER


def test_mix_up_authorize_forwards_every_parameter_to_the_honest_server(keys):
    world = World(keys=keys)
    params = {
        "response_type": "code",
        "client_id": "photoprint",
        "redirect_uri": f"{CLIENT}/callback",
        "scope": "basic photos.read",
        "state": "s-123",
    }
    response = world.browser.open(f"{ATTACKER_AS_URL}/authorize?{urlencode(params)}")
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(f"{ISSUER}/authorize?")
    assert {k: v[0] for k, v in query(location).items()} == params


def test_mix_up_token_endpoint_keeps_the_code_and_answers_an_error(keys):
    world = World(keys=keys)
    response = world.attacker.http.post(
        f"{ATTACKER_AS_URL}/token",
        data={"grant_type": "authorization_code", "code": "c-1"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "The code is invalid or has expired.",
    }
    assert world.attacker.loot("code") == ["c-1"]
    assert [item.path for item in world.attacker.secrets_received()] == ["/token"]


# -- PhotoPrint with two authorization servers (RFC 9207 2.4) ---------------------


def login_and_approve(world: World, start: str) -> dict[str, str]:
    browser = world.browser
    browser.open(start)
    while browser.redirect_location and "/callback" not in browser.redirect_location:
        browser.follow_redirect()
    if browser.page.form("login-form"):
        browser.sign_in("alice", "wonderland")
        browser.follow_redirect()
        browser.approve()
    return browser.redirect_params


def test_login_starts_at_the_named_authorization_server(keys):
    world = World(keys=keys)
    browser = world.browser
    browser.open(f"{CLIENT}/login?as=attacker&scope=basic")
    assert (browser.redirect_location or "").startswith(f"{ATTACKER_AS_URL}/authorize?")
    assert query(browser.redirect_location or "")["client_id"] == ["photoprint"]
    browser.open(f"{CLIENT}/login?server=playground&scope=basic")
    assert (browser.redirect_location or "").startswith(f"{ISSUER}/authorize?")
    browser.open(f"{CLIENT}/login?scope=basic")
    assert (browser.redirect_location or "").startswith(f"{ISSUER}/authorize?")


def test_login_with_an_unknown_authorization_server_is_refused(keys):
    world = World(keys=keys)
    response = world.browser.open(f"{CLIENT}/login?as=nowhere")
    assert response.status_code == 400
    assert "does not work with an authorization server called 'nowhere'" in (
        world.browser.page.text
    )


def test_callback_checks_iss_against_the_server_the_flow_started_at(keys):
    world = World(keys=keys)
    params = login_and_approve(world, f"{CLIENT}/login?as=attacker&scope=basic")
    assert params["iss"] == ISSUER
    world.browser.follow_redirect()
    assert world.browser.status == 400
    assert world.web_client.last_error == "issuer_mismatch"
    assert (
        f"The response names issuer {ISSUER}, not {ATTACKER_AS_URL}."
        in world.browser.page.text
    )
    assert world.attacker.loot("code") == []


def test_mix_up_without_iss_check_redeems_at_the_server_the_flow_started_at(keys):
    world = World(keys=keys, weaknesses=["client.skip_iss_check"])
    params = login_and_approve(world, f"{CLIENT}/login?as=attacker&scope=basic")
    world.browser.follow_redirect()
    assert world.browser.status == 400
    assert "Sign-in failed" in world.browser.page.text
    assert world.attacker.loot("code") == [params["code"]]
    (to_attacker,) = [
        e
        for e in world.transcript.exchanges
        if e.request.url == f"{ATTACKER_AS_URL}/token"
    ]
    assert to_attacker.sender == Party.CLIENT
    assert world.web_client.servers["attacker"].client_secret == (
        PHOTOPRINT_SECRET_AT_ATTACKER_AS
    )


def test_flow_at_the_home_server_still_signs_in(keys):
    world = World(keys=keys)
    login_and_approve(world, f"{CLIENT}/login?scope=basic")
    world.browser.follow_redirect()
    assert world.browser.status == 200
    assert "Hello Alice Liddell" in world.browser.page.text


# -- may this page be framed? (HTML X-Frame-Options, CSP frame-ancestors) ---------


def headers(*pairs: tuple[str, str]) -> httpx.Headers:
    return httpx.Headers(list(pairs))


XFO = "x-frame-options"
CSP = "content-security-policy"


@pytest.mark.parametrize(
    ("pairs", "embedding", "rendered"),
    [
        ((), ATTACKER, True),
        (((XFO, "DENY"),), ATTACKER, False),
        (((XFO, "deny"),), ISSUER, False),
        (((XFO, "SAMEORIGIN"),), ATTACKER, False),
        (((XFO, "SAMEORIGIN"),), ISSUER, True),
        (((XFO, "ALLOW-FROM https://attacker.test"),), ATTACKER, True),
        (((XFO, "DENY, SAMEORIGIN"),), ISSUER, False),
        (((XFO, "DENY"), (XFO, "DENY")), ISSUER, False),
        (((CSP, "frame-ancestors 'none'"),), ATTACKER, False),
        (((CSP, "frame-ancestors 'self'"),), ATTACKER, False),
        (((CSP, "frame-ancestors 'self'"),), ISSUER, True),
        (((CSP, "frame-ancestors https://attacker.test"),), ATTACKER, True),
        (((CSP, "frame-ancestors https://*.test"),), ATTACKER, True),
        (((CSP, "frame-ancestors *.example.org"),), ATTACKER, False),
        (((CSP, "frame-ancestors https:"),), ATTACKER, True),
        (((CSP, "frame-ancestors *"),), ATTACKER, True),
        (((CSP, "frame-ancestors"),), ATTACKER, False),
        (((CSP, "default-src 'self'"),), ATTACKER, True),
        (((CSP, "default-src 'self'"), (XFO, "DENY")), ATTACKER, False),
        # frame-ancestors, when present, replaces X-Frame-Options.
        (((CSP, "frame-ancestors *"), (XFO, "DENY")), ATTACKER, True),
        (((CSP, "frame-ancestors 'none'"), (XFO, "SAMEORIGIN")), ISSUER, False),
        # Every enforced policy must allow it.
        (((CSP, "frame-ancestors *, frame-ancestors 'self'"),), ATTACKER, False),
        (
            ((CSP, "frame-ancestors https://attacker.test:8443"),),
            ATTACKER,
            False,
        ),
    ],
)
def test_frame_verdict_follows_the_browser_rules(pairs, embedding, rendered):
    verdict, reason = frame_verdict(headers(*pairs), AS_PAGE, embedding)
    assert verdict is rendered, reason
    assert reason


def test_frame_verdict_reasons_read_like_the_browser_console():
    _, xfo = frame_verdict(headers((XFO, "DENY")), f"{AS_PAGE}?x=1", ATTACKER)
    assert xfo == (
        "Refused to display 'https://auth.photos.test/authorize' in a frame "
        "because it set 'X-Frame-Options' to 'deny'."
    )
    _, csp = frame_verdict(
        headers((CSP, "frame-ancestors 'none'"), (XFO, "DENY")), AS_PAGE, ATTACKER
    )
    assert csp == (
        "Refused to frame 'https://auth.photos.test/authorize' because an "
        "ancestor violates the following Content Security Policy directive: "
        "\"frame-ancestors 'none'\"."
    )


# -- Browser.frame against the real authorization server --------------------------


def signed_in_consent_url(world: World) -> str:
    """Sign Alice in at the AS; return an authorization request that shows consent."""
    browser = world.browser
    browser.open(f"{CLIENT}/login?scope=basic")
    browser.follow_redirect()
    browser.sign_in("alice", "wonderland")
    return world.oauth_client("photo-printz").authorization_url(
        "basic", pkce_method="S256"
    )


def test_frame_of_the_consent_page_is_refused_by_default(keys):
    world = World(keys=keys)
    url = signed_in_consent_url(world)
    address = world.browser.address
    framed = world.browser.frame(url, embedding_origin=ATTACKER)
    assert framed.response.status_code == 200
    assert "PhotoPrintz" in framed.response.text
    assert not framed.rendered
    assert "frame-ancestors 'none'" in framed.reason
    assert framed.page.forms == ()
    assert world.browser.address == address  # the address bar did not move
    request = world.transcript.exchanges[-1].request
    assert request.header("Sec-Fetch-Dest") == "iframe"
    assert request.header("Referer") == f"{ATTACKER}/"
    with pytest.raises(BrowserError, match="did not render the frame"):
        world.browser.submit_in_frame(framed, "consent-form", decision="approve")


def test_framed_page_of_another_site_gets_no_lax_cookie(keys):
    """RFC 6265bis 8.8: Alice is signed in at the AS, but a frame on another
    site is not a top-level navigation: her Lax session cookie stays home."""
    world = World(keys=keys, weaknesses=["as.allow_framing"])
    url = signed_in_consent_url(world)
    framed = world.browser.frame(url, embedding_origin=ATTACKER)
    assert framed.rendered
    assert framed.page.form("consent-form") is None
    assert framed.page.form("login-form") is not None
    request = world.transcript.exchanges[-1].request
    assert request.header("Cookie") is None
    assert request.header("Sec-Fetch-Site") == "cross-site"


def test_framed_consent_page_can_be_clicked_with_a_samesite_none_cookie(keys):
    world = World(
        keys=keys, weaknesses=["as.allow_framing", "as.cross_site_session_cookie"]
    )
    url = signed_in_consent_url(world)
    framed = world.browser.frame(url, embedding_origin=ATTACKER)
    assert framed.rendered
    assert framed.page.form("consent-form") is not None
    after = world.browser.submit_in_frame(framed, "consent-form", decision="approve")
    # The frame followed the redirect to the client's redirect URI by itself.
    assert after.url.startswith(f"{ATTACKER}/callback?code=")
    assert after.rendered
    assert world.attacker.loot("code") == query(after.url)["code"]
    posted = [e for e in world.transcript.exchanges if e.request.method == "POST"][-1]
    assert posted.request.header("Sec-Fetch-Dest") == "iframe"


def test_attacker_frame_page_embeds_the_url_invisibly(keys):
    world = World(keys=keys)
    target = f"{ISSUER}/authorize?client_id=photo-printz&scope=basic"
    browser = world.browser
    browser.open(f"{ATTACKER}/frame?{urlencode({'url': target})}")
    assert browser.status == 200
    assert browser.iframe_sources == [target]
    assert "opacity:0" in browser.response.text
    assert browser.page.form("prize-form") is not None
    assert "Win free prints" in browser.page.text
    assert world.browser.iframe_sources == [target]


def test_iframe_sources_is_empty_without_a_page(keys):
    world = World(keys=keys)
    assert world.browser.iframe_sources == []
