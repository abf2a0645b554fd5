"""Every core lesson passes, sends exactly the messages its narrative
describes, states what the learner should see, and runs from the CLI."""

from __future__ import annotations

import pytest

from playground.cli import main
from playground.lesson.runner import load_lesson
from tests.lessons.expected_core import (
    ALL,
    CHECKS,
    EXCHANGES,
    KINDS,
    LESSONS,
    message_shapes,
    run,
)


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
    assert message_shapes(run(name, keys)) == EXCHANGES[name]


@pytest.mark.parametrize("name", ALL)
def test_each_step_states_what_the_learner_should_see(name, keys):
    by_step: dict[int | None, list[str]] = {}
    for check in run(name, keys).checks:
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
