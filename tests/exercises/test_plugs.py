"""The plugs keep what main's servers check besides the student's decision."""

from __future__ import annotations

from mock_servers.keys import generate_ec_signing_key
from playground.lesson import plugs
from playground.lesson.api import Lesson, LessonRun
from playground.world import World, WorldKeys


def test_rotation_policy_keeps_a_public_clients_refresh_token_bound_to_its_key(
    keys: WorldKeys,
) -> None:
    # RFC 9449 5: whatever the student's policy decides, a public client's
    # DPoP-bound refresh token is refreshed only with a proof of that key.
    run = LessonRun(World(keys=keys), Lesson("plugs"))
    decided = []
    plugs.rotate_refresh_tokens_with(run.world, lambda token: decided.append(token))
    run.spa.dpop_key = generate_ec_signing_key()
    run.code_flow(run.spa, run.browser, "alice", "wonderland")
    refresh_token = run.spa.tokens["refresh_token"]
    run.spa.dpop_key = generate_ec_signing_key()  # Mallory's, say
    response = run.spa.refresh(refresh_token)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "The refresh token is bound to a DPoP key; refresh "
        "with a DPoP proof made with that key (RFC 9449 5).",
    }
    assert decided == []


def test_a_rotated_out_token_is_marked_used_once_under_the_stores_lock(
    keys: WorldKeys,
) -> None:
    # A policy that lets every token through (as two refreshes racing with one
    # token both pass it in serve's threads) still rotates a token out once:
    # the store marks it used under its lock, and the second use is refused.
    run = LessonRun(World(keys=keys), Lesson("plugs"))
    plugs.rotate_refresh_tokens_with(run.world, lambda token: token.rotate())
    run.code_flow(run.spa, run.browser, "alice", "wonderland")
    refresh_token = run.spa.tokens["refresh_token"]
    assert run.spa.refresh(refresh_token).status_code == 200
    again = run.spa.refresh(refresh_token)
    assert again.status_code == 400
    assert again.json() == {
        "error": "invalid_grant",
        "error_description": "The refresh token was already used.",
    }
