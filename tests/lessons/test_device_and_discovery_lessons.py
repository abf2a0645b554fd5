"""Lesson 10 (the device grant) and attack 19 (device code phishing): every
message in order, and what each run shows."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from tests.lessons.attack_runs import run as run_attack
from tests.lessons.expected_core import (
    AS,
    ATTACKER,
    BACK,
    BROWSER,
    CLIENT,
    FRONT,
    RS,
    message_shapes,
    run,
)

DEVICE_GRANT = "10_device_authorization.py"
PHISHING = "19_device_code_phishing.py"

DEVICE_EXCHANGES = [
    (CLIENT, AS, BACK, "POST", "/device_authorization", 200),
    (CLIENT, AS, BACK, "POST", "/token", 400),  # authorization_pending
    (CLIENT, AS, BACK, "POST", "/token", 400),  # slow_down
    (BROWSER, AS, FRONT, "GET", "/device", 200),
    (BROWSER, AS, FRONT, "POST", "/device/login", 303),
    (BROWSER, AS, FRONT, "GET", "/device", 200),
    (BROWSER, AS, FRONT, "POST", "/device", 200),
    (BROWSER, AS, FRONT, "POST", "/device/consent", 200),
    (CLIENT, AS, BACK, "POST", "/token", 200),
    (CLIENT, RS, BACK, "GET", "/api/photos", 200),
    (RS, AS, BACK, "GET", "/jwks.json", 200),
]


def error(exchange) -> str:
    return json.loads(exchange.response.body)["error"]


def test_device_lesson_messages_in_order(keys):
    result = run(DEVICE_GRANT, keys)
    assert result.error is None and result.passed
    assert message_shapes(result) == DEVICE_EXCHANGES
    assert [s.number for s in result.lesson.steps] == list(range(1, 9))
    assert (result.lesson.kind, result.lesson.level) == ("grant", "intermediate")


def test_device_lesson_polls_on_the_worlds_clock(keys):
    result = run(DEVICE_GRANT, keys)
    polls = [e for e in result.world.transcript.exchanges if e.label == "POST /token"]
    assert [error(e) for e in polls[:2]] == ["authorization_pending", "slow_down"]
    form = parse_qs(polls[0].request.body.decode())
    assert form == {
        "grant_type": ["urn:ietf:params:oauth:grant-type:device_code"],
        "device_code": [result.world.tv.device_code],
        "client_id": ["photoframe-tv"],
    }
    # 5 s, then 2 s (too soon), then 10 s: the clock moved 17 s in all.
    assert result.world.clock.now() - 1_798_761_600 == 17
    [slow] = result.world.events.named("device_code.slow_down")
    assert slow.detail == "polled 2 s after the last request; interval now 10 s"


def test_device_lesson_types_the_code_without_case_or_dash(keys):
    result = run(DEVICE_GRANT, keys)
    entry = result.world.transcript.exchanges_for(5)[0]
    typed = parse_qs(entry.request.body.decode())["user_code"][0]
    assert typed == result.world.tv.user_code.lower().replace("-", "")


def test_phishing_attack_run_gives_mallory_alices_photos(keys):
    result = run_attack(PHISHING, keys, defended=False)
    senders = {
        (e.sender, e.request.url.split("?")[0])
        for e in result.world.transcript.exchanges
    }
    assert (ATTACKER, "https://auth.photos.test/device_authorization") in senders
    token_answers = [
        e.response.status
        for e in result.world.transcript.exchanges
        if e.sender == ATTACKER and e.label == "POST /token"
    ]
    assert token_answers == [200]
    assert "access_token" in result.world.attacker_tv.tokens
    [approved] = result.world.events.named("device.approved")
    assert approved.user == "u-1001"


def test_phishing_defended_run_is_access_denied(keys):
    result = run_attack(PHISHING, keys, defended=True)
    [poll] = [
        e
        for e in result.world.transcript.exchanges
        if e.sender == ATTACKER and e.label == "POST /token"
    ]
    assert (poll.response.status, error(poll)) == (400, "access_denied")
    assert result.world.events.named("device.denied")
    assert not result.world.attacker_tv.tokens


DISCOVERY = "14_discovering_an_api.py"
DISCOVERY_EXCHANGES = [
    (CLIENT, RS, BACK, "GET", "/api/photos", 401),
    (CLIENT, RS, BACK, "GET", "/.well-known/oauth-protected-resource", 200),
    (CLIENT, AS, BACK, "GET", "/.well-known/oauth-authorization-server", 200),
    (CLIENT, AS, BACK, "POST", "/register", 201),
    (BROWSER, AS, FRONT, "GET", "/authorize", 200),
    (BROWSER, AS, FRONT, "POST", "/login", 302),
    (BROWSER, AS, FRONT, "GET", "/authorize/resume", 200),
    (BROWSER, AS, FRONT, "POST", "/consent", 302),
    (BROWSER, CLIENT, FRONT, "GET", "/callback", 200),
    (CLIENT, AS, BACK, "POST", "/token", 200),
    (CLIENT, RS, BACK, "GET", "/api/photos", 200),
    (RS, AS, BACK, "GET", "/jwks.json", 200),
    (CLIENT, AS, BACK, "POST", "/token", 400),
]


def test_discovery_lesson_messages_in_order(keys):
    result = run(DISCOVERY, keys)
    assert result.error is None and result.passed
    assert message_shapes(result) == DISCOVERY_EXCHANGES
    assert (result.lesson.kind, result.lesson.level) == ("advanced", "advanced")


def test_discovery_lesson_names_the_resource_in_both_requests(keys):
    result = run(DISCOVERY, keys)
    exchanges = result.world.transcript.exchanges
    authorize = next(e for e in exchanges if e.label.startswith("GET /authorize"))
    assert parse_qs(authorize.request.url.split("?", 1)[1])["resource"] == [
        "https://api.photos.test"
    ]
    redeem, refresh = [e for e in exchanges if e.label == "POST /token"]
    assert parse_qs(redeem.request.body.decode())["resource"] == [
        "https://api.photos.test"
    ]
    assert json.loads(refresh.response.body) == {
        "error": "invalid_target",
        "error_description": "The resource https://photos.example/api is unknown "
        "to this authorization server.",
    }
