"""What the personal access token, approved apps and token exchange lessons
show, and attack 21 both ways, pinned one rule at a time."""

from __future__ import annotations

import json

import jwt

from playground.views.sequence_diagram import to_dot
from playground.views.step_view import step_view
from playground.wire.exchange import Party
from tests.lessons.attack_runs import run as run_attack
from tests.lessons.expected_core import (
    APPROVED_APPS,
    PERSONAL_TOKENS,
    TOKEN_EXCHANGE,
    run,
)

FORWARDED = "21_token_forwarded_downstream.py"
EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
PRINT_LAB = "https://api.printlab.test"


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def view(result, number: int):
    step = result.lesson.steps[number - 1]
    world = result.world
    return step_view(
        step, world.transcript, world.token_trust(), ran=True, now=world.clock.now()
    )


# -- personal access tokens --------------------------------------------------------


def test_the_token_is_in_one_response_only_and_never_in_the_list(keys):
    result = run(PERSONAL_TOKENS, keys)
    token = result.run.pat
    carrying = [
        e.request.target
        for e in result.world.transcript.exchanges
        if token in e.response.text
    ]
    assert carrying == ["/account/tokens"]


def test_every_use_of_the_token_is_introspected(keys):
    result = run(PERSONAL_TOKENS, keys)
    token = result.run.pat
    uses = [
        e
        for e in result.world.transcript.exchanges
        if e.request.header("Authorization") == f"Bearer {token}"
    ]
    asks = [
        e
        for e in result.world.transcript.exchanges
        if e.request.target == "/introspect" and e.request.form.get("token") == token
    ]
    assert len(uses) == len(asks) == 4
    assert all(e.sender == Party.RESOURCE_SERVER for e in asks)


def test_the_pat_panel_takes_the_token_apart(keys):
    result = run(PERSONAL_TOKENS, keys)
    [shown] = view(result, 2).personal_tokens
    assert shown.token == result.run.pat
    assert shown.where == "the response to POST /account/tokens"
    assert shown.checksum_valid
    parts = [part for part, _, _ in shown.rows()]
    assert parts == ["prefix", "random part", "checksum", "what the server keeps"]
    assert view(result, 2).tokens == ()  # not a JWT: nothing for the JWT panel


# -- approved apps ------------------------------------------------------------------


def test_the_first_party_app_is_answered_without_a_consent_page(keys):
    result = run(APPROVED_APPS, keys)
    step3 = result.world.transcript.exchanges_for(3)
    assert [e.request.target.split("?")[0] for e in step3] == [
        "/authorize",
        "/callback",
        "/token",
    ]
    assert not any("consent" in e.request.target for e in step3)


def test_removing_photoprint_revoked_both_of_its_grants(keys):
    result = run(APPROVED_APPS, keys)
    [event] = result.world.events.named("app.access_revoked")
    assert event.detail == "approval of basic photos.read forgotten; 2 token(s) revoked"


# -- token exchange -----------------------------------------------------------------


def test_the_exchange_request_and_answer_are_rfc_8693s(keys):
    result = run(TOKEN_EXCHANGE, keys)
    [exchange] = [
        e
        for e in result.world.transcript.exchanges_for(2)
        if e.request.form.get("grant_type") == EXCHANGE_GRANT
    ]
    assert exchange.sender == Party.RESOURCE_SERVER
    assert exchange.request.header("Authorization").startswith("Basic ")
    assert exchange.request.form == {
        "grant_type": EXCHANGE_GRANT,
        "subject_token": result.run.alice_token,
        "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
        "resource": PRINT_LAB,
        "scope": "prints.order",
        "requested_token_type": "urn:ietf:params:oauth:token-type:access_token",
    }
    body = json.loads(exchange.response.body)
    assert body["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    assert claims(body["access_token"])["act"] == {"sub": "photos-api"}


def test_the_jwt_panel_finds_the_exchanged_token_valid_for_the_print_lab(keys):
    result = run(TOKEN_EXCHANGE, keys)
    [found] = view(result, 2).tokens
    assert found.where == "access_token in the response to POST /token"
    assert found.decoded.verification.status == "valid"
    assert f"aud includes '{PRINT_LAB}'" in found.decoded.verification.reason
    act = next(line for line in found.decoded.claim_lines if line.name == "act")
    assert act.explanation.startswith("Actor (RFC 8693 4.1): delegation happened")


def test_the_token_exchange_panel_explains_issued_token_type(keys):
    result = run(TOKEN_EXCHANGE, keys)
    [explained] = view(result, 2).token_exchanges
    names = {name: meaning for name, _, meaning in explained.response}
    assert "RFC 8693 2.2.1, REQUIRED" in names["issued_token_type"]
    request = {name for name, _, _ in explained.request}
    assert {"subject_token", "subject_token_type", "resource", "scope"} <= request


def test_the_sequence_diagram_has_the_print_lab_lane(keys):
    result = run(TOKEN_EXCHANGE, keys)
    dot = to_dot(result.world.transcript.exchanges_for(2))
    assert "Print Lab API" in dot
    assert "POST /api/print-jobs" in dot


# -- attack 21 ----------------------------------------------------------------------


def test_forwarding_hands_the_print_lab_alices_own_token(keys):
    result = run_attack(FORWARDED, keys, defended=False)
    transcript = result.world.transcript
    assert not [e for e in transcript.exchanges if e.request.form.get("subject_token")]
    stolen = result.run.stolen
    assert stolen == result.run.alice_token
    assert claims(stolen)["aud"] == "https://api.photos.test"
    profile = [
        e
        for e in transcript.exchanges
        if e.sender == Party.ATTACKER and e.request.target == "/api/user"
    ]
    assert json.loads(profile[0].response.body)["email"] == "alice@example.org"


def test_exchange_leaves_the_log_a_token_good_at_the_print_lab_only(keys):
    result = run_attack(FORWARDED, keys, defended=True)
    stolen = claims(result.run.stolen)
    assert stolen["aud"] == PRINT_LAB
    assert stolen["scope"] == "prints.order"
    assert stolen["act"] == {"sub": "photos-api"}
    assert stolen["exp"] - stolen["iat"] == 300
    refused = [
        e
        for e in result.world.transcript.exchanges
        if e.sender == Party.ATTACKER and e.receiver == Party.RESOURCE_SERVER
    ]
    assert [e.response.status for e in refused] == [401, 401]
    assert all(
        json.loads(e.response.body)["error_description"]
        == "InvalidAudienceError: Audience doesn't match"
        for e in refused
    )
