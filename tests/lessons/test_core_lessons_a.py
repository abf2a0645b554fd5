"""The core grant lessons 01, 02, 04 and 05: they pass, send exactly the
messages their narratives describe, and state what the learner should see."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from playground.cli import main
from playground.exchange import Channel, Party
from playground.lesson import LessonResult, load_lesson, run_lesson
from playground.world import WorldKeys

LESSONS = Path(__file__).resolve().parents[2] / "lessons"

BROWSER = Party.BROWSER
CLIENT = Party.CLIENT
AS = Party.AUTHORIZATION_SERVER
RS = Party.RESOURCE_SERVER
FRONT = Channel.FRONT
BACK = Channel.BACK

CLIENT_CREDENTIALS = "01_client_credentials.py"
AUTHORIZATION_CODE = "02_authorization_code.py"
REFRESH_TOKEN = "04_refresh_token.py"
IMPLICIT = "05_implicit.py"
ALL = (CLIENT_CREDENTIALS, AUTHORIZATION_CODE, REFRESH_TOKEN, IMPLICIT)

# (sender, receiver, channel, method, path, status), in transcript order.
EXCHANGES = {
    CLIENT_CREDENTIALS: [
        (CLIENT, AS, BACK, "POST", "/token", 200),
        (CLIENT, RS, BACK, "GET", "/api/photos", 200),
        (RS, AS, BACK, "GET", "/jwks.json", 200),
        (CLIENT, RS, BACK, "GET", "/api/user", 403),
        (CLIENT, AS, BACK, "POST", "/token", 400),
    ],
    AUTHORIZATION_CODE: [
        (BROWSER, CLIENT, FRONT, "GET", "/login", 302),
        (BROWSER, AS, FRONT, "GET", "/authorize", 200),
        (BROWSER, AS, FRONT, "POST", "/login", 302),
        (BROWSER, AS, FRONT, "GET", "/authorize", 200),
        (BROWSER, AS, FRONT, "POST", "/authorize", 302),
        (BROWSER, CLIENT, FRONT, "GET", "/callback", 200),
        (CLIENT, AS, BACK, "POST", "/token", 200),
        (CLIENT, RS, BACK, "GET", "/api/user", 200),
        (RS, AS, BACK, "GET", "/jwks.json", 200),
        (CLIENT, RS, BACK, "GET", "/api/photos", 200),
    ],
    REFRESH_TOKEN: [
        (BROWSER, AS, FRONT, "GET", "/authorize", 200),
        (BROWSER, AS, FRONT, "POST", "/login", 302),
        (BROWSER, AS, FRONT, "GET", "/authorize", 200),
        (BROWSER, AS, FRONT, "POST", "/authorize", 302),
        (BROWSER, CLIENT, FRONT, "GET", "/spa/callback", 200),
        (CLIENT, AS, BACK, "POST", "/token", 200),
        (CLIENT, RS, BACK, "GET", "/api/photos", 200),
        (RS, AS, BACK, "GET", "/jwks.json", 200),
        (CLIENT, RS, BACK, "GET", "/api/photos", 401),
        (CLIENT, AS, BACK, "POST", "/token", 200),
        (CLIENT, RS, BACK, "GET", "/api/photos", 200),
        (CLIENT, AS, BACK, "POST", "/token", 400),
        (CLIENT, AS, BACK, "POST", "/token", 400),
        (CLIENT, RS, BACK, "GET", "/api/photos", 200),
    ],
    IMPLICIT: [
        (BROWSER, AS, FRONT, "GET", "/authorize", 200),
        (BROWSER, AS, FRONT, "POST", "/login", 302),
        (BROWSER, AS, FRONT, "GET", "/authorize", 200),
        (BROWSER, AS, FRONT, "POST", "/authorize", 302),
        (BROWSER, CLIENT, FRONT, "GET", "/legacy/callback", 200),
        (CLIENT, RS, BACK, "GET", "/api/user", 200),
        (RS, AS, BACK, "GET", "/jwks.json", 200),
        (BROWSER, AS, FRONT, "GET", "/authorize", 302),
    ],
}

# step number -> the check descriptions of that step, in order.
CHECKS = {
    CLIENT_CREDENTIALS: {
        1: [
            "the token endpoint answers 200",
            "Print Shop authenticated with Authorization: Basic (client_secret_basic)",
            "the token was granted the scope photos.read",
            "no refresh token is issued",
        ],
        2: [
            "the token's signature verifies",
            "sub is the client id print-shop-service, not a user",
            "client_id is print-shop-service too",
            "aud is the photos API",
        ],
        3: [
            "the photos API answers 200",
            "the API answers for the service: owner is print-shop-service",
            "no user's photos come back",
        ],
        4: [
            "the API answers 403",
            "the error is insufficient_scope",
            'WWW-Authenticate says error="insufficient_scope", scope="basic"',
        ],
        5: ["the token endpoint answers 400", "the error is invalid_scope"],
    },
    AUTHORIZATION_CODE: {
        1: [
            "PhotoPrint answers 302",
            "the Location header points at the authorization server's /authorize",
            "the request asks for a code",
        ],
        2: [
            "the authorization server shows its sign-in page",
            "the request names the client photoprint",
            "the state in the address bar is the one PhotoPrint remembered",
        ],
        3: [
            "sign-in answers 302 back to /authorize",
            "the consent page names PhotoPrint",
            "it lists the scopes basic and photos.read",
        ],
        4: [
            "the authorization server answers 302",
            "Location is PhotoPrint's /callback with a code",
            "the same state comes back, with iss",
        ],
        5: [
            'the page says "Hello Alice Liddell from Oxford!"',
            "POST /token went from the Client to the Authorization Server "
            "on the back channel",
            "PhotoPrint authenticated with Authorization: Basic (client_secret_basic)",
        ],
        6: [
            "PhotoPrint's server holds one session with an access token",
            "the callback page's HTML does not contain the access token",
            "no request or response of the browser ever carried it",
            "the token is about Alice (sub u-1001) and was issued to photoprint",
        ],
    },
    REFRESH_TOKEN: {
        1: [
            "the token endpoint answers 200",
            "a refresh token came with it",
            "the access token lives 3600 seconds",
        ],
        2: ["the API answers 200", "exp - iat is 3600 seconds"],
        3: [
            "the API answers 401",
            "the error is invalid_token",
            'the error_description says "Expired"',
            "decoded now, the first access token fails with ExpiredSignatureError",
        ],
        4: [
            "the token endpoint answers 200",
            "the access token is new",
            "the refresh token is new too (rotation)",
            "the API answers 200 again",
        ],
        5: [
            "the token endpoint answers 400",
            "the error is invalid_grant",
            "the server logged refresh_token.reused",
        ],
        6: [
            "the token endpoint answers 400",
            "the error is invalid_grant: the refresh token was revoked",
            "the newest access token still works at the API until it expires",
        ],
    },
    IMPLICIT: {
        1: [
            "the request says response_type=token",
            "it carries no PKCE code challenge",
            "the authorization server shows its sign-in page",
        ],
        2: [
            "sign-in answers 302 back to /authorize",
            "the consent page names Legacy Gallery",
        ],
        3: [
            "the authorization server answers 302",
            "the Location fragment carries access_token=...",
            "no refresh token is issued",
        ],
        4: [
            "the callback page answers 200",
            "the address bar holds the access token",
            "so does the browser's history",
            "the GET /legacy/callback request itself carries no token",
        ],
        5: [
            "the API answers 200",
            "it is Alice's profile",
            "the token was issued to legacy-gallery",
        ],
        6: [
            "the authorization server answers 302",
            "with error=unauthorized_client for Photo Gallery",
            "and no access token",
        ],
    },
}

KINDS = {
    CLIENT_CREDENTIALS: "grant",
    AUTHORIZATION_CODE: "grant",
    REFRESH_TOKEN: "grant",
    IMPLICIT: "deprecated",
}


@pytest.fixture(scope="module")
def keys() -> WorldKeys:
    return WorldKeys.generate()


def run(name: str, keys: WorldKeys) -> LessonResult:
    return run_lesson(load_lesson(LESSONS / name), keys=keys)


@pytest.mark.parametrize("name", ALL)
def test_lesson_runs_every_step_and_passes_every_check(name, keys):
    result = run(name, keys)
    assert result.error is None, result.error
    assert result.steps_run == len(result.lesson.steps)
    assert result.passed, [check for check in result.checks if not check.passed]
    assert result.lesson.kind == KINDS[name]
    assert 4 <= len(result.lesson.steps) <= 8
    assert all(step.narrative for step in result.lesson.steps)


@pytest.mark.parametrize("name", ALL)
def test_lesson_sends_exactly_the_messages_its_story_tells(name, keys):
    result = run(name, keys)
    sequence = [
        (
            e.sender,
            e.receiver,
            e.channel,
            e.request.method,
            urlsplit(e.request.url).path,
            e.response.status,
        )
        for e in result.world.transcript.exchanges
    ]
    assert sequence == EXCHANGES[name]


@pytest.mark.parametrize("name", ALL)
def test_each_step_states_what_the_learner_should_see(name, keys):
    result = run(name, keys)
    by_step: dict[int | None, list[str]] = {}
    for check in result.checks:
        by_step.setdefault(check.step, []).append(check.description)
    assert by_step == CHECKS[name]


@pytest.mark.parametrize("name", ALL)
def test_cli_runs_the_lesson_and_shows_every_step(name, capsys):
    assert main(["run", str(LESSONS / name)]) == 0
    out = capsys.readouterr().out
    lesson = load_lesson(LESSONS / name)
    for step in lesson.steps:
        assert f"Step {step.number}/{len(lesson.steps)}: {step.title}" in out
    assert "[FAIL]" not in out


def test_client_credentials_token_is_about_the_client_not_a_user(keys):
    result = run(CLIENT_CREDENTIALS, keys)
    claims = result.run.decode(result.world.service.tokens["access_token"]).claims
    assert claims["sub"] == claims["client_id"] == "print-shop-service"
    user_call = result.world.transcript.exchanges[3]
    assert user_call.response.header("WWW-Authenticate") == (
        'Bearer realm="photos-api", error="insufficient_scope", scope="basic"'
    )


def test_web_client_token_request_is_authenticated_on_the_back_channel(keys):
    result = run(AUTHORIZATION_CODE, keys)
    [token_request] = [
        e for e in result.world.transcript.exchanges if e.label == "POST /token"
    ]
    assert token_request.step == 5
    assert (token_request.sender, token_request.channel) == (CLIENT, BACK)
    assert (token_request.request.header("Authorization") or "").startswith("Basic ")
    access_token = json.loads(token_request.response.body)["access_token"]
    [session] = result.world.web_client.sessions.values()
    assert session["tokens"]["access_token"] == access_token
    for exchange in result.world.transcript.exchanges:
        if exchange.sender == BROWSER:
            assert access_token not in exchange.request.url
            assert access_token not in exchange.response.text


def test_reused_refresh_token_revokes_the_whole_family(keys):
    result = run(REFRESH_TOKEN, keys)
    [reused] = result.world.events.named("refresh_token.reused")
    assert reused.client_id == "photo-gallery-spa"
    assert [e.name for e in result.world.transcript.events_for(5)] == [
        "refresh_token.reused"
    ]


def test_implicit_token_stays_in_the_fragment(keys):
    result = run(IMPLICIT, keys)
    [redirect] = result.world.transcript.exchanges_for(3)
    [callback] = result.world.transcript.exchanges_for(4)
    location = redirect.response.header("Location") or ""
    assert location.startswith(
        "https://client.playground.test/legacy/callback#token_type=Bearer&access_token="
    )
    # The browser drops the fragment: the client's server never receives it.
    assert callback.request.url == "https://client.playground.test/legacy/callback"
    assert any("access_token=" in url for url in result.world.browser.history)
