"""Lesson 14, the authorization server as an open redirector (RFC 9700
4.11.2): an error response goes straight to a redirect URI only if the server
trusts it; for a client of open registration the server shows the user where
the error would send them instead."""

from __future__ import annotations

from urllib.parse import urlencode

from playground.wire.exchange import Party
from playground.world import World
from tests.lessons.attack_runs import exchanges, location_params, run

OPEN_REDIRECTOR = "14_as_open_redirector.py"
ISSUER = "https://auth.photos.test"
SCOPE_ERROR = "The requested scope is invalid, unknown, or malformed."
ERROR_PARAMS = {
    "error": "invalid_scope",
    "error_description": SCOPE_ERROR,
    "state": "confirm-account",
    "iss": ISSUER,
}
TARGET = f"https://attacker.test/callback?{urlencode(ERROR_PARAMS)}"


def test_error_for_any_client_redirects_to_the_phishing_page(keys):
    result = run(OPEN_REDIRECTOR, keys, defended=False)
    (authorize,) = exchanges(result, "/authorize", Party.BROWSER)
    assert authorize.request.url.startswith(f"{ISSUER}/authorize?")
    assert authorize.response.status == 302
    assert authorize.response.header("Location") == TARGET
    assert location_params(authorize) == ERROR_PARAMS
    (landing,) = exchanges(result, "/callback", Party.BROWSER)
    assert landing.request.url == TARGET
    assert b"Sign in - Playground Authorization Server" in landing.response.body
    (phished,) = exchanges(result, "/sign-in", Party.BROWSER)
    assert phished.request.form == {"username": "alice", "password": "wonderland"}
    assert result.world.attacker.loot("password") == ["wonderland"]


def test_error_for_an_unverified_client_is_shown_not_redirected(keys):
    result = run(OPEN_REDIRECTOR, keys, defended=True)
    (authorize,) = exchanges(result, "/authorize", Party.BROWSER)
    assert authorize.response.status == 400
    assert authorize.response.header("Location") is None
    page = authorize.response.body.decode()
    assert "<code>invalid_scope</code>" in page
    assert "<strong>PhotoPrintz</strong> is not an application this server has" in page
    escaped = TARGET.replace("&", "&amp;")
    assert f'<a id="continue" href="{escaped}">Continue to attacker.test</a>' in page
    (event,) = result.world.events.named("authorization_error.not_redirected")
    assert (event.client_id, event.detail) == ("photo-printz", TARGET)
    assert [
        e for e in result.world.transcript.exchanges if e.receiver == Party.ATTACKER
    ] == []


def test_error_for_a_verified_client_is_still_redirected(keys):
    """RFC 6749 4.1.2.1: a verified redirect URI gets its error response."""
    world = World(keys=keys)
    params = {
        "response_type": "code",
        "client_id": "photoprint",
        "redirect_uri": "https://photoprint.test/callback",
        "scope": "account.verify",
        "state": "s-1",
    }
    response = world.browser.open(f"{ISSUER}/authorize?{urlencode(params)}")
    assert response.status_code == 302
    assert response.headers["location"] == (
        "https://photoprint.test/callback?"
        + urlencode({**ERROR_PARAMS, "state": "s-1"})
    )
    assert world.events.named("authorization_error.not_redirected") == []


def test_silent_request_error_for_an_unverified_client_is_shown_too(keys):
    """RFC 9700 4.11.2 case 3: prompt=none fails at once without a session."""
    world = World(keys=keys)
    printz = world.oauth_client("photo-printz")
    url = printz.authorization_url(
        "basic", pkce_method="S256", extra={"prompt": "none"}
    )
    response = world.browser.open(url)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "<code>login_required</code>" in response.text
    (event,) = world.events.named("authorization_error.not_redirected")
    assert event.detail.startswith(
        "https://attacker.test/callback?error=login_required"
    )
