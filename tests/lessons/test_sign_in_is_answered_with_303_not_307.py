"""Lesson 17 (RFC 9700 4.12): the authorization server answers the sign-in
form, which carries the password, with a 303 (the browser follows with a GET),
never a 307 (the browser repeats the POST, password included, to the client)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from playground.wire.exchange import Party
from playground.world import World
from tests.lessons.attack_runs import exchanges, run

REDIRECT_307 = "17_307_redirect_forwards_password.py"
PHOTOPRINTZ = "https://attacker.test/callback"


def sign_in_answers(result):
    return [
        e
        for e in exchanges(result, "/login", Party.BROWSER)
        if e.request.method == "POST"
    ]


def test_307_makes_the_browser_post_the_password_to_the_client(keys):
    result = run(REDIRECT_307, keys, defended=False)
    first, second = sign_in_answers(result)
    assert first.response.status == 302  # consent still needed: to the AS itself
    assert second.response.status == 307
    location = second.response.header("Location") or ""
    assert location.startswith(f"{PHOTOPRINTZ}?code=")
    assert set(parse_qs(urlsplit(location).query)) == {"code", "state", "iss"}
    (forwarded,) = [
        e
        for e in exchanges(result, "/callback", Party.BROWSER)
        if e.request.method == "POST"
    ]
    assert forwarded.request.url == location
    assert forwarded.request.form == second.request.form
    assert set(forwarded.request.form) == {
        "csrf_token",
        "interaction",
        "username",
        "password",
    }
    assert forwarded.request.form["password"] == "wonderland"
    assert result.world.attacker.loot("password") == ["wonderland"]


def test_sign_in_is_answered_with_303_and_the_browser_gets(keys):
    result = run(REDIRECT_307, keys, defended=True)
    _, second = sign_in_answers(result)
    assert second.response.status == 303
    location = second.response.header("Location") or ""
    assert location.startswith(f"{PHOTOPRINTZ}?code=")
    callbacks = exchanges(result, "/callback", Party.BROWSER)
    assert [e.request.method for e in callbacks] == ["GET", "GET"]
    assert callbacks[-1].request.url == location and callbacks[-1].request.body == b""
    assert result.world.attacker.loot("password") == []


def test_sign_in_needing_consent_still_goes_to_the_consent_page(keys):
    world = World(keys=keys)
    world.browser.open(world.spa.authorization_url("basic", pkce_method="S256"))
    world.browser.sign_in("alice", "wonderland")
    assert world.browser.status == 302
    assert (world.browser.redirect_location or "").startswith(
        "https://auth.photos.test/authorize/resume?interaction="
    )
