"""A student who edits a lesson gets an error that says what to fix, at the
line of their own file: a typo in `run.`, an argument a call was not given,
a browser step on the wrong page."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground.lesson.runner import LessonError, load_lesson, run_lesson
from playground.world import WorldKeys

HEADER = """from playground import Lesson

lesson = Lesson("A student's lesson")


@lesson.step("The step being edited")
def edited(run):
"""


@pytest.fixture(scope="module")
def keys() -> WorldKeys:
    return WorldKeys.generate()


def error_of(tmp_path: Path, keys: WorldKeys, body: str) -> tuple[LessonError, int]:
    """Run a one-step lesson; return its error and the line of the last body line."""
    path = tmp_path / "student.py"
    path.write_text(HEADER + body)
    result = run_lesson(load_lesson(path), keys=keys)
    assert result.error is not None
    last_line = len((HEADER + body).rstrip("\n").splitlines())
    assert result.error.path == str(path.resolve())
    return result.error, last_line


def test_a_typo_in_run_suggests_the_name_meant(tmp_path, keys):
    error, line = error_of(tmp_path, keys, "    run.brwoser.open(run.client_url)\n")
    assert error.message == (
        "AttributeError: run.brwoser is not part of the lesson API and was never "
        "set; did you mean run.browser?"
    )
    assert error.line == line


def test_a_value_never_assigned_says_to_assign_it(tmp_path, keys):
    error, line = error_of(tmp_path, keys, "    run.check('x', run.my_code)\n")
    assert error.message == (
        "AttributeError: run.my_code was never set: an earlier step must assign "
        "it (run.my_code = ...) before this step reads it"
    )
    assert error.line == line


def test_a_call_given_nothing_names_the_argument(tmp_path, keys):
    body = (
        '    run.url = run.spa.authorization_url("basic")  # no pkce_method\n'
        "    run.show_pkce(run.spa.pending.code_verifier)\n"
    )
    error, line = error_of(tmp_path, keys, body)
    assert error.message == (
        "TypeError: run.show_pkce() needs code_verifier: a code verifier: did "
        "the authorization request ask for PKCE (authorization_url(..., "
        'pkce_method="S256"))?; it was given None'
    )
    assert error.line == line


def test_a_wrong_password_names_the_page_that_says_so(tmp_path, keys):
    body = (
        '    url = run.spa.authorization_url("basic", pkce_method="S256")\n'
        "    run.browser.open(url)\n"
        '    run.browser.sign_in("alice", "wonderlnd")\n'
        "    run.browser.follow_redirect()\n"
    )
    error, line = error_of(tmp_path, keys, body)
    assert error.message == (
        "BrowserError: There is no redirect to follow: the browser shows "
        "'Sign in - Playground Authorization Server' (200) at "
        'https://auth.photos.test/login, the sign-in page saying "Wrong '
        'username or password.": check what sign_in(username, password) was '
        "given."
    )
    assert error.line == line


def test_a_forgotten_approve_names_the_consent_page(tmp_path, keys):
    body = (
        '    url = run.spa.authorization_url("basic", pkce_method="S256")\n'
        "    run.browser.open(url)\n"
        '    run.browser.sign_in("alice", "wonderland")\n'
        "    run.browser.follow_redirect()\n"
        "    run.browser.follow_redirect()  # approve() forgotten\n"
    )
    error, line = error_of(tmp_path, keys, body)
    assert error.message.startswith(
        "BrowserError: There is no redirect to follow: the browser shows "
        "'Authorize access - Playground Authorization Server' (200) at "
        "https://auth.photos.test/authorize/resume?interaction="
    )
    assert error.message.endswith(", the consent page: call approve() or deny().")
    assert error.line == line
