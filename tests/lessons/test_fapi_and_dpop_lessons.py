"""The FAPI 2.0 lesson and the stolen-token attack lesson, pinned to what
crosses the wire: the pushed request, the nonce dance, the bound token, and
each refusal with its status, error and challenge."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playground.lesson.runner import load_lesson, run_lesson
from playground.wire.exchange import Party
from tests.lessons.attack_runs import run as run_attack

LESSONS = Path(__file__).resolve().parents[2] / "lessons"
FAPI = LESSONS / "15_fapi_2_security_profile.py"
ATTACK = "20_stolen_token_bearer_vs_dpop.py"


def fapi_run(keys):
    result = run_lesson(load_lesson(FAPI), keys=keys)
    assert result.error is None, result.error
    assert result.passed, [c.description for c in result.checks if not c.passed]
    return result


def body(exchange) -> dict:
    return json.loads(exchange.response.body)


def test_fapi_lesson_pushes_then_sends_only_a_reference(keys):
    transcript = fapi_run(keys).world.transcript
    nonce_dance = transcript.exchanges_for(3)
    assert [e.label for e in nonce_dance] == ["POST /par", "POST /par"]
    assert [e.response.status for e in nonce_dance] == [400, 201]
    assert body(nonce_dance[0])["error"] == "use_dpop_nonce"
    nonce = nonce_dance[0].response.header("DPoP-Nonce")
    assert nonce
    assert all(e.sender == Party.CLIENT for e in nonce_dance)
    authorize = transcript.exchanges_for(4)[0]
    query = parse_qs(urlsplit(authorize.request.url).query)
    assert set(query) == {"client_id", "request_uri"}
    assert query["request_uri"] == [body(nonce_dance[1])["request_uri"]]


def test_fapi_lesson_front_channel_request_and_reused_request_uri_are_refused(keys):
    transcript = fapi_run(keys).world.transcript
    [refused] = transcript.exchanges_for(2)
    location = refused.response.header("Location") or ""
    assert refused.response.status == 302
    assert "error=invalid_request" in location
    [again] = transcript.exchanges_for(6)
    assert again.response.status == 400
    assert b"invalid_request_uri" in again.response.body


def test_fapi_lesson_token_is_dpop_bound_to_the_clients_key(keys):
    result = fapi_run(keys)
    client = result.world.fapi_client
    [token_request] = result.world.transcript.exchanges_for(7)
    assert token_request.request.form["client_assertion_type"].endswith("jwt-bearer")
    assert body(token_request)["token_type"] == "DPoP"
    claims = result.run.decode(client.tokens["access_token"]).claims
    assert claims["cnf"] == {"jkt": client.dpop_key.jwk.thumbprint()}
    [code] = result.world.store.codes.values()
    assert code.dpop_jkt == client.dpop_key.jwk.thumbprint()  # bound at /par
    api_call = result.world.transcript.exchanges_for(8)[0]
    assert api_call.request.header("Authorization").startswith("DPoP ")


def test_fapi_lesson_jwt_panel_shows_every_proof_explained(keys):
    from playground.views.step_view import tokens_in

    result = fapi_run(keys)
    world = result.world
    transcript = world.transcript
    found = tokens_in(
        transcript.exchanges_for(8), transcript, 8, world.token_trust(), 1798761600
    )
    [proof] = [f for f in found if f.where == "DPoP proof sent with GET /api/photos"]
    decoded = proof.decoded
    assert decoded.kind == "DPoP proof (RFC 9449)"
    assert decoded.verification.status == "valid"
    names = [line.name for line in (*decoded.header_lines, *decoded.claim_lines)]
    assert names == ["typ", "alg", "jwk", "jti", "htm", "htu", "iat", "ath"]
    for line in (*decoded.header_lines, *decoded.claim_lines):
        assert "playground does not" not in line.explanation, line


def test_attack_run_bearer_theft_works(keys):
    result = run_attack(ATTACK, keys, defended=False)
    mallory = [
        e
        for e in result.world.transcript.exchanges
        if e.sender == Party.ATTACKER and e.receiver == Party.RESOURCE_SERVER
    ]
    as_bearer = mallory[0]
    assert as_bearer.request.header("Authorization").startswith("Bearer ")
    assert as_bearer.response.status == 200
    assert body(as_bearer)["owner"] == "u-1001"
    assert [e.response.status for e in mallory[1:]] == [401, 401, 401, 401]
    [accepted] = result.world.events.named("dpop_bound_token.accepted_as_bearer")
    assert accepted.user == "u-1001"


def test_defended_run_refuses_every_use_of_the_stolen_token(keys):
    result = run_attack(ATTACK, keys, defended=True)
    mallory = [
        e
        for e in result.world.transcript.exchanges
        if e.sender == Party.ATTACKER and e.receiver == Party.RESOURCE_SERVER
    ]
    assert [e.response.status for e in mallory] == [401] * 5
    challenges = [e.response.header("WWW-Authenticate") or "" for e in mallory]
    assert challenges[0].startswith('Bearer realm="photos-api", error="invalid_token"')
    for challenge in challenges[1:4]:
        assert challenge.startswith(
            'DPoP realm="photos-api", error="invalid_dpop_proof"'
        )
        assert challenge.endswith('algs="ES256 PS256"')
    assert challenges[4].startswith('DPoP realm="photos-api", error="invalid_token"')
    assert [e.request.method for e in mallory] == ["GET", "GET", "HEAD", "GET", "GET"]
