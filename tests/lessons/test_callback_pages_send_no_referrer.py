"""Lesson 16 (RFC 9700 4.2): the pages an authorization response lands on
send `Referrer-Policy: no-referrer`, so a third-party image there learns
nothing of the address; under `no-referrer-when-downgrade` it gets the code."""

from __future__ import annotations

import pytest

from playground.wire.exchange import Party
from playground.world import World
from tests.lessons.attack_runs import body, exchanges, run

REFERER_LEAK = "16_referer_leak_from_callback.py"
PIXEL = "https://stats.pixelstats.test/p.gif"
CALLBACK = "https://photoprint.test/spa/callback"


def test_lax_policy_sends_the_code_to_the_analytics_service(keys):
    result = run(REFERER_LEAK, keys, defended=False)
    (page,) = exchanges(result, "/spa/callback", Party.BROWSER)
    assert page.response.header("Referrer-Policy") == "no-referrer-when-downgrade"
    (pixel,) = exchanges(result, "/p.gif", Party.BROWSER)
    assert pixel.request.url == PIXEL
    assert pixel.request.header("Referer") == page.request.url
    assert page.request.url.startswith(f"{CALLBACK}?code={result.run.code}&")
    (stolen,) = exchanges(result, "/token", Party.ATTACKER)
    assert stolen.request.form == {
        "grant_type": "authorization_code",
        "code": result.run.code,
        "redirect_uri": CALLBACK,
        "client_id": "photo-gallery-spa",
    }
    assert stolen.response.status == 200
    (late,) = exchanges(result, "/token", Party.BROWSER)  # the gallery's fetch
    assert late.response.status == 400
    assert body(late) == {
        "error": "invalid_grant",
        "error_description": (
            "The code was already used; the tokens issued from it are revoked."
        ),
    }


def test_callback_page_sends_no_referrer(keys):
    result = run(REFERER_LEAK, keys, defended=True)
    (page,) = exchanges(result, "/spa/callback", Party.BROWSER)
    assert page.response.header("Referrer-Policy") == "no-referrer"
    (pixel,) = exchanges(result, "/p.gif", Party.BROWSER)
    assert pixel.request.header("Referer") is None
    assert result.world.attacker.site.loot == []
    (redeemed,) = exchanges(result, "/token", Party.BROWSER)
    assert redeemed.request.form["code_verifier"]
    assert redeemed.response.status == 200


@pytest.mark.parametrize(
    ("path", "policy"),
    [
        ("/callback", "no-referrer"),
        ("/spa/callback", "no-referrer"),
        ("/legacy/callback", "no-referrer"),
        ("/", None),  # elsewhere the browser's default applies
    ],
)
def test_photoprint_sets_no_referrer_on_the_callback_pages(keys, path, policy):
    response = World(keys=keys).browser.open(f"https://photoprint.test{path}")
    assert response.headers.get("referrer-policy") == policy


def test_browser_default_sends_only_the_origin_cross_site(keys):
    """strict-origin-when-cross-origin, the default of current browsers."""
    world = World(keys=keys)
    world.attacker.take_over_host("stats.pixelstats.test")
    world.browser.open("https://photoprint.test/?page=secret")
    world.browser.load_image(PIXEL)
    assert world.transcript.exchanges[-1].request.header("Referer") == (
        "https://photoprint.test/"
    )
