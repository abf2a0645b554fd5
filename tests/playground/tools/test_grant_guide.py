"""The "Which grant?" decision table."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground.tools import grant_guide as guide

LESSONS = Path(__file__).resolve().parents[3] / "lessons"


def test_no_answer_no_recommendation() -> None:
    assert guide.recommend({}) is None
    assert [q.id for q in guide.questions_for({})] == ["q1"]


def test_machine_to_machine_is_client_credentials() -> None:
    recommendation = guide.recommend({"q1": guide.MACHINE})
    assert recommendation is not None
    assert recommendation.grant.id == guide.CLIENT_CREDENTIALS
    assert recommendation.grant.lesson == "01_client_credentials.py"
    assert recommendation.extras == ()


def test_machine_to_machine_asks_nothing_more() -> None:
    assert [q.id for q in guide.questions_for({"q1": guide.MACHINE})] == ["q1"]


def test_answers_to_questions_not_asked_are_ignored() -> None:
    answers = {"q1": guide.MACHINE, "q2": guide.BROWSER, "q3": guide.YES}
    recommendation = guide.recommend(answers)
    assert recommendation is not None
    assert recommendation.grant.id == guide.CLIENT_CREDENTIALS
    assert recommendation.extras == ()


def test_a_user_needs_to_say_where_the_code_runs() -> None:
    assert [q.id for q in guide.questions_for({"q1": guide.USER})] == [
        "q1",
        "q2",
        "q3",
        "q4",
    ]
    assert guide.recommend({"q1": guide.USER}) is None


def test_server_side_app_gets_authorization_code_with_pkce_recommended() -> None:
    recommendation = guide.recommend({"q1": guide.USER, "q2": guide.SERVER})
    assert recommendation is not None
    assert recommendation.grant.id == guide.AUTHORIZATION_CODE
    assert recommendation.grant.lesson == "02_authorization_code.py"
    assert "PKCE" in recommendation.grant.name
    assert "RFC 9700" in recommendation.grant.spec


@pytest.mark.parametrize(
    ("where", "grant", "lesson"),
    [
        (guide.BROWSER, guide.AUTHORIZATION_CODE_PKCE, "03_authorization_code_pkce.py"),
        (guide.DEVICE, guide.AUTHORIZATION_CODE_NATIVE, "03b_native_app.py"),
    ],
)
def test_public_clients_get_authorization_code_with_pkce(
    where: str, grant: str, lesson: str
) -> None:
    recommendation = guide.recommend({"q1": guide.USER, "q2": where})
    assert recommendation is not None
    assert recommendation.grant.id == grant
    assert "PKCE" in recommendation.grant.name
    assert recommendation.grant.lesson == lesson


def test_a_device_without_browser_or_keyboard_gets_the_device_grant() -> None:
    recommendation = guide.recommend({"q1": guide.USER, "q2": guide.INPUT_CONSTRAINED})
    assert recommendation is not None
    assert recommendation.grant.id == guide.DEVICE_CODE
    assert recommendation.grant.spec == "RFC 8628"
    assert recommendation.grant.lesson == "10_device_authorization.py"


def test_sign_in_and_offline_access_add_oidc_and_refresh_tokens() -> None:
    answers = {"q1": guide.USER, "q2": guide.BROWSER, "q3": guide.YES, "q4": guide.YES}
    recommendation = guide.recommend(answers)
    assert recommendation is not None
    assert [extra.lesson for extra in recommendation.extras] == [
        "08_openid_connect.py",
        "04_refresh_token.py",
    ]


def test_implicit_and_password_are_history_only() -> None:
    history = {grant.id for grant in guide.HISTORY}
    assert history == {"implicit", "password"}
    recommended = {rule.grant for rule in guide.RULES}
    assert not history & recommended
    assert {grant.lesson for grant in guide.HISTORY} == {
        "05_implicit.py",
        "06_password.py",
    }


def test_every_rule_names_a_known_grant_and_question() -> None:
    question_ids = {q.id for q in guide.QUESTIONS}
    for rule in guide.RULES:
        assert rule.grant in guide.GRANTS
        for name, value in rule.when:
            question = next(q for q in guide.QUESTIONS if q.id == name)
            assert value in {choice.value for choice in question.choices}
    assert {extra.question for extra in guide.EXTRAS} <= question_ids


def test_every_linked_lesson_exists() -> None:
    for lesson in guide.lessons():
        assert (LESSONS / lesson).is_file(), lesson


def test_question_label_shows_the_choice() -> None:
    question = guide.QUESTIONS[0]
    assert question.label(guide.MACHINE).startswith("No user")
    assert question.label("unknown") == "unknown"
