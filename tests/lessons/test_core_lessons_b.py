"""Lessons 06-09 (password, introspection and revocation, OpenID Connect,
client authentication): they pass, send exactly the messages their narratives
describe, and state what the learner should see."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

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

PASSWORD = "06_password.py"
INTROSPECTION = "07_introspection_and_revocation.py"
OPENID = "08_openid_connect.py"
CLIENT_AUTH = "09_client_authentication.py"
ALL = (PASSWORD, INTROSPECTION, OPENID, CLIENT_AUTH)

# (sender, receiver, channel, method, path, status), in transcript order.
EXCHANGES = {
    PASSWORD: [
        (CLIENT, AS, BACK, "POST", "/token", 200),
        (CLIENT, RS, BACK, "GET", "/api/photos", 200),
        (RS, AS, BACK, "GET", "/jwks.json", 200),
        (CLIENT, AS, BACK, "POST", "/token", 400),
        (CLIENT, AS, BACK, "POST", "/token", 400),
    ],
    INTROSPECTION: [
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
        # step 2: the API introspects the token
        (RS, AS, BACK, "POST", "/introspect", 200),
        # step 3: revoke, introspect again
        (CLIENT, AS, BACK, "POST", "/revoke", 200),
        (RS, AS, BACK, "POST", "/introspect", 200),
        # step 4: local JWT validation still accepts the revoked token
        (CLIENT, RS, BACK, "GET", "/api/photos", 200),
        # step 5: the API introspects every request and refuses it
        (CLIENT, RS, BACK, "GET", "/api/photos", 401),
        (RS, AS, BACK, "POST", "/introspect", 200),
        # step 6: refresh
        (CLIENT, AS, BACK, "POST", "/token", 200),
        (CLIENT, RS, BACK, "GET", "/api/photos", 200),
        (RS, AS, BACK, "POST", "/introspect", 200),
        # step 7: revoke the refresh token, the whole grant goes
        (CLIENT, AS, BACK, "POST", "/revoke", 200),
        (CLIENT, RS, BACK, "GET", "/api/photos", 401),
        (RS, AS, BACK, "POST", "/introspect", 200),
        (CLIENT, AS, BACK, "POST", "/token", 400),
    ],
    OPENID: [
        (BROWSER, AS, FRONT, "GET", "/authorize", 200),
        (BROWSER, AS, FRONT, "POST", "/login", 302),
        (BROWSER, AS, FRONT, "GET", "/authorize", 200),
        (BROWSER, AS, FRONT, "POST", "/authorize", 302),
        (BROWSER, CLIENT, FRONT, "GET", "/spa/callback", 200),
        (CLIENT, AS, BACK, "POST", "/token", 200),
        (CLIENT, AS, BACK, "GET", "/userinfo", 200),
        (CLIENT, RS, BACK, "GET", "/api/photos", 401),
        (CLIENT, RS, BACK, "GET", "/api/photos", 200),
        (RS, AS, BACK, "GET", "/jwks.json", 200),
    ],
    CLIENT_AUTH: [
        (CLIENT, AS, BACK, "POST", "/token", 200),  # client_secret_basic
        (CLIENT, AS, BACK, "POST", "/token", 200),  # client_secret_post
        (CLIENT, AS, BACK, "POST", "/token", 401),  # wrong secret
        (CLIENT, AS, BACK, "POST", "/token", 200),  # private_key_jwt
        (CLIENT, AS, BACK, "POST", "/token", 400),  # replayed assertion
        (CLIENT, AS, BACK, "POST", "/token", 401),  # public client
    ],
}

# step number -> the check descriptions of that step, in order.
CHECKS = {
    PASSWORD: {
        1: [
            "the client sent Alice's username and password in the request body",
            "the app authenticated itself with its own secret (Basic header)",
            "the token endpoint answers 200",
        ],
        2: [
            "the access token is about Alice (sub u-1001) and for PhotoPrint Mobile",
            "a refresh token came with it",
            "no sign-in page and no consent screen: no such events on the server",
            "the photos API accepts the token (200)",
        ],
        3: [
            "the token endpoint answers 400",
            "the error is invalid_grant",
            "the server recorded user.authentication.failed",
        ],
        4: [
            "the token endpoint answers 400",
            "the error is unauthorized_client",
            "no token was issued",
        ],
        5: [
            "three requests carried a password, all to the token endpoint",
            "every one was sent by the client, none by Alice's browser",
        ],
    },
    INTROSPECTION: {
        1: [
            "PhotoPrint shows Alice's photos",
            "PhotoPrint holds an access token and a refresh token",
        ],
        2: [
            "introspection says active: true",
            "it names the same user, client, scope and jti as the JWT",
            "and the same expiry",
        ],
        3: [
            "the revocation endpoint answers 200",
            "the server recorded token.revoked",
            'introspection now says {"active": false}',
        ],
        4: [
            "the photos API answers 200 to a revoked token",
            "the JWT itself still verifies, and expires only in an hour",
        ],
        5: ["the photos API answers 401", "the error is invalid_token"],
        6: [
            "the token endpoint answers 200",
            "the API accepts the new access token (200)",
        ],
        7: [
            "the revocation endpoint answers 200",
            "the new access token is refused too (401)",
            "the refresh token is refused: invalid_grant",
        ],
    },
    OPENID: {
        1: ["the scope asks for openid", "the request carries the nonce"],
        2: [
            "the consent page asks to sign Alice in",
            "the redirect carries a code",
            "the state came back",
        ],
        3: [
            "the token endpoint answers 200",
            "the response has an id_token and an access_token",
            "both are signed by the authorization server",
        ],
        4: [
            "aud is the client, photo-gallery-spa",
            "the nonce is the one the app sent",
            "at_hash is the left half of SHA-256(access token)",
            "it names Alice: sub, name and email",
        ],
        5: [
            "typ is at+jwt",
            "aud is the photos API",
            "it carries no profile claims and no nonce",
        ],
        6: [
            "/userinfo answers 200",
            "sub matches the ID token's sub",
            "it returns Alice's email",
        ],
        7: [
            "the photos API answers 401 to the ID token",
            "because its typ is not at+jwt",
            "the access token gets Alice's photos (200)",
        ],
    },
    CLIENT_AUTH: {
        1: [
            "the token endpoint answers 200",
            "the Basic header is base64 of id:secret",
            "the body holds no secret",
        ],
        2: [
            "the token endpoint answers 200",
            "the secret is in the body",
            "there is no Authorization header",
        ],
        3: [
            "the token endpoint answers 401",
            "the error is invalid_client",
            "WWW-Authenticate asks for Basic",
            "the server recorded client.authentication.failed",
        ],
        4: [
            "the token endpoint answers 200",
            "the body carries a client assertion of the jwt-bearer type",
            "and no secret at all",
        ],
        5: [
            "iss and sub are print-shop-service",
            "aud is https://auth.playground.test/token",
            "it expires 60 seconds after iat and has a jti",
            "signed by the client's registered key, not the authorization server's",
        ],
        6: [
            "the token endpoint answers 400",
            "the error is invalid_client",
            "because the jti was seen before",
        ],
        7: [
            "Photo Gallery has no client secret",
            "it authenticates with the method none",
            "the client credentials grant refuses it: 401 invalid_client",
        ],
    },
}

KINDS = {
    PASSWORD: ("deprecated", "beginner"),
    INTROSPECTION: ("advanced", "intermediate"),
    OPENID: ("advanced", "intermediate"),
    CLIENT_AUTH: ("advanced", "intermediate"),
}


@pytest.fixture(scope="module")
def keys() -> WorldKeys:
    return WorldKeys.generate()


def run(name: str, keys: WorldKeys) -> LessonResult:
    return run_lesson(load_lesson(LESSONS / name), keys=keys)


def form(body: bytes) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(body.decode()).items()}


@pytest.mark.parametrize("name", ALL)
def test_lesson_runs_every_step_and_passes_every_check(name, keys):
    result = run(name, keys)
    assert result.error is None, result.error
    assert result.steps_run == len(result.lesson.steps)
    assert result.passed, [check for check in result.checks if not check.passed]
    assert (result.lesson.kind, result.lesson.level) == KINDS[name]
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
    assert all(1 <= len(checks) <= 4 for checks in by_step.values())


@pytest.mark.parametrize("name", ALL)
def test_cli_runs_the_lesson_and_shows_every_step(name, capsys):
    assert main(["run", str(LESSONS / name)]) == 0
    out = capsys.readouterr().out
    lesson = load_lesson(LESSONS / name)
    for step in lesson.steps:
        assert f"Step {step.number}/{len(lesson.steps)}: {step.title}" in out
    assert "[FAIL]" not in out


def test_password_grant_sends_the_password_from_the_client(keys):
    result = run(PASSWORD, keys)
    first = result.world.transcript.exchanges[0]
    assert (first.sender, first.channel, first.step) == (CLIENT, BACK, 1)
    assert form(first.request.body) == {
        "grant_type": "password",
        "username": "alice",
        "password": "wonderland",
        "scope": "basic photos.read",
    }
    [failed] = result.world.events.named("user.authentication.failed")
    assert failed.user == "alice"
    refused = result.world.transcript.exchanges_for(4)[0]
    assert json.loads(refused.response.body)["error"] == "unauthorized_client"


def test_revoked_jwt_is_accepted_locally_until_the_api_introspects(keys):
    result = run(INTROSPECTION, keys)
    transcript = result.world.transcript
    # Step 4: local validation, no call to the authorization server.
    assert [e.label for e in transcript.exchanges_for(4)] == ["GET /api/photos"]
    assert transcript.exchanges_for(4)[0].response.status == 200
    # Step 5: the same token, now introspected, is inactive.
    [refused, introspection] = transcript.exchanges_for(5)
    assert refused.response.status == 401
    assert json.loads(introspection.response.body) == {"active": False}
    assert result.world.deployment.rs_settings.validation == "introspection"
    revoked = result.world.events.named("token.revoked")
    assert [event.detail for event in revoked] == [
        "access token",
        "refresh token and 2 token(s) of its grant",
    ]


def test_id_token_is_for_the_client_and_carries_the_nonce(keys):
    result = run(OPENID, keys)
    tokens = result.world.spa.tokens
    id_token = result.run.decode(tokens["id_token"])
    access_token = result.run.decode(tokens["access_token"])
    assert id_token.claims["aud"] == ["photo-gallery-spa"]
    assert id_token.claims["nonce"] == result.run.nonce
    assert access_token.header["typ"] == "at+jwt"
    assert access_token.claims["aud"] == result.world.api_url
    [refused, _accepted, _jwks] = result.world.transcript.exchanges_for(7)
    assert refused.request.header("Authorization") == f"Bearer {tokens['id_token']}"
    assert "at+jwt" in (refused.response.header("WWW-Authenticate") or "")


def test_client_authentication_methods_put_credentials_where_the_rfcs_say(keys):
    result = run(CLIENT_AUTH, keys)
    basic, post, wrong, signed, replay, public = result.world.transcript.exchanges
    expected = base64.b64encode(b"print-shop-service:print-shop-secret").decode()
    assert basic.request.header("Authorization") == f"Basic {expected}"
    assert form(post.request.body)["client_secret"] == "print-shop-secret"
    assert (wrong.response.header("WWW-Authenticate") or "").startswith("Basic ")
    assertion = form(signed.request.body)["client_assertion"]
    assert "client_secret" not in form(signed.request.body)
    # RFC 7523 3: the same jti a second time is refused.
    assert form(replay.request.body)["client_assertion"] == assertion
    assert json.loads(replay.response.body) == {
        "error": "invalid_client",
        "error_description": "JWT ID is used before.",
    }
    assert form(public.request.body)["client_id"] == "photo-gallery-spa"
