"""Every attack lesson: declared like one, honest both ways, runnable from the
CLI, and in its defended run nothing of value reaches the attacker."""

from __future__ import annotations

import pytest

from playground.cli import main
from playground.lesson.runner import load_lesson
from tests.lessons.attack_runs import ATTACKS, run, spent_by_attacker

ALL = sorted(path.name for path in ATTACKS.glob("*.py"))

# Lessons whose premise leaks something in both runs (the weakness decides
# what the attacker can do with it); their own tests pin what happens.
LEAKED_EITHER_WAY = {
    "04_authorization_code_replay.py",  # the used code in the leaked log
    "05_implicit_token_leakage.py",  # part two: the analytics SDK's leak
    "06_password_phishing_lookalike.py",  # the password typed into the look-alike
    "07_refresh_token_theft.py",  # the refresh token an XSS sends home
    "08a_jwt_alg_none.py",  # Mallory's own token, used for her own data
    "08b_jwt_key_confusion.py",  # likewise
    "08c_jwt_no_signature_check.py",  # likewise
    "08d_jwt_expired.py",  # Alice's leaked (soon expired) token
    "09a_pkce_not_enforced.py",  # the intercepted code; PKCE denies the tokens
    "13_code_injection.py",  # the code an extension reports; PKCE makes it useless
    "15a_oidc_nonce_not_checked.py",  # likewise; the nonce makes it useless
    "15b_oidc_id_token_for_another_client.py",  # PhotoPrintz's own sign-in
    "17_307_redirect_forwards_password.py",  # the code Alice approved for PhotoPrintz
    "18_client_id_sub_collision.py",  # PhotoPrintz's token; her client's own token
    "20_stolen_token_bearer_vs_dpop.py",  # the token and proof in the leaked log
    "21_token_forwarded_downstream.py",  # the print lab's log: whichever token it got
}


# RFC 9700 section 4's attacks the lessons show, each by the file that does.
SCENARIOS = {
    "CSRF on the redirect URI, no state (4.7)": "01_csrf_missing_state.py",
    "code interception by a malicious native app (4.1.1 / RFC 7636 1)": (
        "02_code_interception_native_app.py"
    ),
    "loose redirect URI matching and an open redirector (4.1, 4.11)": (
        "03_redirect_uri_prefix_and_open_redirect.py"
    ),
    "authorization code replay (4.2.4)": "04_authorization_code_replay.py",
    "implicit grant token leakage and injection (4.3, 4.6)": (
        "05_implicit_token_leakage.py"
    ),
    "password phishing by a look-alike client (2.4)": (
        "06_password_phishing_lookalike.py"
    ),
    "refresh token theft (4.14)": "07_refresh_token_theft.py",
    "forged JWTs at the resource server (RFC 8725)": "08a_jwt_alg_none.py",
    "a leaked code redeemed without its verifier, PKCE not enforced (2.1.1)": (
        "09a_pkce_not_enforced.py"
    ),
    "PKCE downgrade (4.8)": "09c_pkce_downgrade.py",
    "mix-up (4.4)": "10_mix_up.py",
    "authorization code injection (4.5)": "13_code_injection.py",
    "the authorization server as an open redirector (4.11.2)": (
        "14_as_open_redirector.py"
    ),
    "code injection against OpenID Connect: the nonce (4.5.3.2)": (
        "15a_oidc_nonce_not_checked.py"
    ),
    "an ID token issued to another client (OIDC Core 3.1.3.7)": (
        "15b_oidc_id_token_for_another_client.py"
    ),
    "account takeover through the email claim (OIDC Core 5.7)": (
        "15c_oidc_account_by_email.py"
    ),
    "code leakage through Referer and history (4.2, 4.3)": (
        "16_referer_leak_from_callback.py"
    ),
    "a 307 redirect forwards the user's credentials (4.12)": (
        "17_307_redirect_forwards_password.py"
    ),
    "a client impersonating a resource owner (4.15)": ("18_client_id_sub_collision.py"),
    "scope upgrade on refresh (4.14)": "11_scope_upgrade_on_refresh.py",
    "misuse of a stolen access token, and sender-constraining (4.10)": (
        "20_stolen_token_bearer_vs_dpop.py"
    ),
    "clickjacking the consent page (4.16)": "12_clickjacking_consent.py",
    "a token leaking from a compromised resource server, forwarded to it "
    "instead of exchanged (4.9.2, 4.10.2; RFC 8693)": (
        "21_token_forwarded_downstream.py"
    ),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_each_scenario_has_its_attack_lesson(scenario):
    assert SCENARIOS[scenario] in ALL


@pytest.mark.parametrize("name", ALL)
def test_attack_lesson_declares_its_weakness_and_a_cited_defence(name):
    lesson = load_lesson(ATTACKS / name)
    assert lesson.kind == "attack"
    assert lesson.level in ("intermediate", "advanced")
    assert lesson.weaknesses
    assert lesson.summary
    assert "RFC" in lesson.defence
    assert 4 <= len(lesson.steps) <= 7
    assert all(step.narrative for step in lesson.steps)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("defended", [False, True], ids=["attack", "defended"])
def test_attack_lesson_tells_its_story_both_ways(name, defended, keys):
    result = run(name, keys, defended=defended)
    assert result.steps_run == len(result.lesson.steps)
    assert result.run.weakness_on is not defended
    expected = set() if defended else set(result.lesson.weaknesses)
    assert set(result.weaknesses) == expected


@pytest.mark.parametrize("name", sorted(set(ALL) - LEAKED_EITHER_WAY))
def test_defended_run_leaks_nothing_to_the_attacker(name, keys):
    result = run(name, keys, defended=True)
    attacker = result.world.attacker
    assert attacker.secrets_received() == []
    assert attacker.stolen == {}
    assert spent_by_attacker(result) == []


@pytest.mark.parametrize("name", ALL)
def test_cli_runs_the_attack_and_the_defence(name, capsys):
    path = str(ATTACKS / name)
    assert main(["run", path]) == 0
    attack = capsys.readouterr().out
    assert main(["run", path, "--defended"]) == 0
    defended = capsys.readouterr().out
    lesson = load_lesson(ATTACKS / name)
    assert f"Weaknesses on: {', '.join(lesson.weaknesses)}" in attack
    assert "Weaknesses on: none (secure defaults)" in defended
    for out in (attack, defended):
        assert "[FAIL]" not in out
        assert "How to defend" in out
