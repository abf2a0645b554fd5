"""Every exercise: its reference solution passes every scenario, whatever the
seed; its starter fails every attack scenario; answers written for one run's
values do not pass."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from playground.lesson.grading import (
    ScenarioResult,
    exercise_files,
    load_exercise,
    run_scenario,
)
from playground.world import WorldKeys
from tests.exercises.conftest import (
    EXERCISES,
    NAMES,
    SOLUTIONS,
    solution,
    with_answer,
)


def run_all(path: Path, seed: int, keys: WorldKeys) -> list[ScenarioResult]:
    exercise = load_exercise(path)
    return [
        run_scenario(exercise, scenario.number, seed, keys=keys)
        for scenario in exercise.scenarios
    ]


def failures(results: list[ScenarioResult]) -> list[str]:
    return [
        f"{r.number}. {r.title}: "
        + (
            str(r.error)
            if r.error
            else "; ".join(c.description for c in r.checks if not c.passed)
        )
        for r in results
        if not r.passed
    ]


def test_there_are_eight_exercises_each_with_a_reference_solution() -> None:
    assert len(NAMES) >= 8
    assert sorted(p.stem for p in SOLUTIONS.glob("*.py")) == NAMES


def test_every_level_is_taught_and_every_exercise_has_attacks() -> None:
    exercises = [load_exercise(path) for path in exercise_files(EXERCISES)]
    assert {e.level for e in exercises} == {"beginner", "intermediate", "advanced"}
    for exercise in exercises:
        attacks = [s for s in exercise.scenarios if s.attack]
        honest = [s for s in exercise.scenarios if not s.attack]
        assert attacks and honest, exercise.title
        assert all(len(s.hints) >= 2 for s in exercise.scenarios), exercise.title
        assert all(f.contract for f in exercise.students), exercise.title
        assert "TODO" in EXERCISES.joinpath(exercise.path.name).read_text()


@pytest.mark.parametrize("seed", [3, 271828])
@pytest.mark.parametrize("name", NAMES)
def test_reference_solution_passes_every_scenario(
    name: str, seed: int, tmp_path: Path, keys: WorldKeys
) -> None:
    results = run_all(with_answer(name, solution(name), tmp_path), seed, keys)
    assert failures(results) == []


@pytest.mark.parametrize("name", NAMES)
def test_starter_fails_every_attack_scenario(name: str, keys: WorldKeys) -> None:
    results = run_all(EXERCISES / f"{name}.py", 11, keys)
    attacks = [r for r in results if r.attack]
    assert attacks
    assert [r.title for r in attacks if r.passed] == []
    assert all(r.error is None for r in results), failures(results)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "01_pkce_pair"])
def test_the_attacker_wins_against_the_starter(name: str, keys: WorldKeys) -> None:
    """The starters work but trust too much: Mallory gets in, and the report
    says what she got. (The PKCE starter is not even a working pair.)"""
    results = run_all(EXERCISES / f"{name}.py", 12, keys)
    assert all(r.breaches for r in results if r.attack), failures(results)


def test_a_fixed_pkce_pair_fails_the_interception_attack(
    tmp_path: Path, keys: WorldKeys
) -> None:
    """RFC 7636 Appendix B's own pair: a valid S256 pair, the same every time."""
    fixed = solution("01_pkce_pair").replace(
        "code_verifier = secrets.token_urlsafe(32)",
        'code_verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"',
    )
    results = run_all(with_answer("01_pkce_pair", fixed, tmp_path), 5, keys)
    honest, attack = results
    assert honest.passed
    assert not attack.passed
    assert [v.attacker_gets for v in attack.breaches] == [
        "Alice's access and refresh tokens"
    ]


def test_a_verifier_from_random_is_predicted(tmp_path: Path, keys: WorldKeys) -> None:
    """RFC 7636 7.1: Python's `random` is not a suitable generator."""
    weak = solution("01_pkce_pair").replace(
        "code_verifier = secrets.token_urlsafe(32)",
        "code_verifier = ''.join(random.choice('abcdefghij') for _ in range(64))",
    )
    weak = "import random\n" + weak
    results = run_all(with_answer("01_pkce_pair", weak, tmp_path), 5, keys)
    assert [r.passed for r in results] == [True, False]


def test_redirect_uris_allowed_for_one_run_do_not_pass_another(
    tmp_path: Path, keys: WorldKeys
) -> None:
    """An allow-list of exactly the URIs one run used (its loopback port
    included) passes that run, and fails a run with another seed."""
    correct = run_all(
        with_answer("03_redirect_uri", solution("03_redirect_uri"), tmp_path), 1, keys
    )
    allowed = sorted(
        {
            call.arguments.split("'")[1]
            for result in correct
            for call in result.calls
            if call.outcome == "returned True"
        }
    )
    assert any(re.fullmatch(r"http://127\.0\.0\.1:\d+/callback", u) for u in allowed)
    hard_coded = (
        f"ALLOWED = {allowed!r}\n\n\n"
        "def redirect_uri_allowed(requested: str, registered: tuple[str, ...]) "
        "-> bool:\n    return requested in ALLOWED\n"
    )
    path = with_answer("03_redirect_uri", hard_coded, tmp_path)
    assert failures(run_all(path, 1, keys)) == []
    other = run_all(path, 2, keys)
    assert [r.title for r in other if not r.passed] == [
        "Photo Uploader listens on the port its phone gave it",
        "Mallory's links name loopback look-alikes for Photo Uploader",
    ]


def test_a_state_check_written_for_one_run_fails(
    tmp_path: Path, keys: WorldKeys
) -> None:
    first = run_all(
        with_answer("02_state_check", solution("02_state_check"), tmp_path), 4, keys
    )
    seen = first[0].calls[0].arguments.split("'")[1]
    hard_coded = (
        "def state_matches(expected: str | None, received: str | None) -> bool:\n"
        f"    return received == {seen!r} or received == expected\n"
    )
    results = run_all(with_answer("02_state_check", hard_coded, tmp_path), 4, keys)
    assert not all(r.passed for r in results)


def test_an_issuer_check_against_one_fixed_issuer_fails(
    tmp_path: Path, keys: WorldKeys
) -> None:
    fixed = (
        "def issuer_matches(expected: str, iss: str | None, server_sends_iss: bool)"
        " -> bool:\n    return iss == 'https://auth.photos.test'\n"
    )
    results = run_all(with_answer("04_issuer_check", fixed, tmp_path), 8, keys)
    assert [r.passed for r in results] == [True, False, False]


def test_an_access_token_check_on_the_machines_clock_lets_an_expired_token_in(
    tmp_path: Path, keys: WorldKeys
) -> None:
    machine_clock = solution("07_access_token").replace(
        'if now >= claims["exp"]:', 'if time.time() >= claims["exp"]:'
    )
    machine_clock = "import time\n" + machine_clock
    results = run_all(with_answer("07_access_token", machine_clock, tmp_path), 9, keys)
    assert [r.title for r in results if not r.passed] == [
        "Mallory replays Alice's expired access token"
    ]


def test_rotation_without_revoking_the_grant_lets_the_thief_keep_going(
    tmp_path: Path, keys: WorldKeys
) -> None:
    partial = solution("05_refresh_rotation").replace(
        "revoked = token.revoke_grant()", "revoked = 0"
    )
    results = run_all(with_answer("05_refresh_rotation", partial, tmp_path), 6, keys)
    assert [r.passed for r in results] == [True, False, False]
    assert [v.description for v in results[2].breaches] == [
        "Mallory's own refresh token is refused once the reuse was seen"
    ]


@pytest.mark.parametrize("name", NAMES)
def test_every_scenario_varies_with_the_seed(name: str, keys: WorldKeys) -> None:
    """Two seeds, two worlds: the clock starts elsewhere and the randomness
    (codes, states, tokens) differs, so recorded values do not repeat."""
    exercise = load_exercise(EXERCISES / f"{name}.py")
    one = run_scenario(exercise, 1, 100, keys=keys)
    two = run_scenario(exercise, 1, 200, keys=keys)
    assert one.exchanges and two.exchanges
    assert [e.request.url for e in one.exchanges] != [
        e.request.url for e in two.exchanges
    ] or one.calls != two.calls


def test_a_redirect_check_on_the_string_alone_lets_a_tab_through(
    tmp_path: Path, keys: WorldKeys
) -> None:
    """`/<tab>/attacker.test` starts with one slash, yet PhotoPrint's server
    (Werkzeug) sends `Location: //attacker.test/...`, as a browser reads it."""
    string_only = (
        "def is_own_page(target: str) -> bool:\n"
        "    return target.startswith('/') and not target.startswith('//')\n"
    )
    path = with_answer("06_open_redirector", string_only, tmp_path)
    own_pages, attack = run_all(path, 7, keys)
    assert own_pages.passed
    assert [v.description for v in attack.breaches] == [
        "/go refuses to=/\\t/attacker.test/landing"
    ]


def test_a_dpop_window_open_to_the_future_takes_a_pre_generated_proof(
    tmp_path: Path, keys: WorldKeys
) -> None:
    """RFC 9449 11.2: a proof dated ahead must not pass a check that only
    asks whether iat is too old."""
    past_only = solution("09_dpop_proof").replace(
        'if abs(now - claims["iat"]) > 60:', 'if now - claims["iat"] > 60:'
    )
    assert past_only != solution("09_dpop_proof")
    results = run_all(with_answer("09_dpop_proof", past_only, tmp_path), 4, keys)
    assert [v.description for r in results for v in r.breaches] == [
        "the API refuses a proof dated a day ahead (iat): 401"
    ]


AUD_AS_SUBSTRING = """
import jwt
from playground import Refused


def validate_access_token(
    token: str, *, jwks: dict, issuer: str, audience: str, now: int
) -> dict:
    header = jwt.get_unverified_header(token)
    if header.get("typ") not in ("at+jwt", "application/at+jwt"):
        raise Refused("typ")
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    claims = jwt.decode(token, key, algorithms=["RS256"], issuer=issuer, options={
        "verify_aud": False, "verify_exp": False, "verify_iat": False})
    if audience not in claims["aud"]:  # a substring test when aud is a string
        raise Refused("aud")
    if now >= claims["exp"] + LEEWAY:
        raise Refused("exp")
    return claims
"""


def test_an_audience_found_with_in_on_a_string_lets_a_look_alike_in(
    tmp_path: Path, keys: WorldKeys
) -> None:
    answer = AUD_AS_SUBSTRING.replace("LEEWAY", "0")
    results = run_all(with_answer("07_access_token", answer, tmp_path), 5, keys)
    assert [v.description for r in results for v in r.breaches] == [
        "the API refuses it (aud starts with this API's identifier): 401"
    ]


@pytest.mark.parametrize(("leeway", "passes"), [(300, True), (3600, False)])
def test_a_few_minutes_of_exp_leeway_pass_an_hour_does_not(
    leeway: int, passes: bool, tmp_path: Path, keys: WorldKeys
) -> None:
    """RFC 7519 4.1.4: "some small leeway, usually no more than a few minutes"."""
    answer = AUD_AS_SUBSTRING.replace(
        'if audience not in claims["aud"]:',
        'if audience not in ([claims["aud"]] if isinstance(claims["aud"], str) '
        'else claims["aud"]):',
    ).replace("LEEWAY", str(leeway))
    results = run_all(with_answer("07_access_token", answer, tmp_path), 6, keys)
    assert all(r.passed for r in results) is passes, failures(results)
