"""The README says what the code does: its generated tables match the code."""

from __future__ import annotations

from pathlib import Path

from mock_servers.settings import TokenLifetimes
from scripts.readme_tables import (
    clients_table,
    lifetimes_table,
    users_line,
    weaknesses_table,
)

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_readme_weakness_table_is_generated_from_the_registry():
    assert weaknesses_table() in README


def test_readme_lifetimes_are_the_settings_a_world_enforces():
    assert lifetimes_table() in README
    assert f"| access token | {TokenLifetimes().access_token} (1 h) |" in README


def test_readme_clients_and_users_come_from_the_demo_data():
    assert clients_table() in README
    assert users_line() in README


def test_readme_quick_start_shows_the_two_make_commands():
    assert "make run" in README and "make test" in README
    assert "pip install -e '.[test]'" in README


def test_lessons_readme_example_runs_and_passes(tmp_path):
    from playground.lesson.runner import load_lesson, run_lesson

    text = (Path(__file__).resolve().parents[2] / "lessons" / "README.md").read_text()
    example = text.split("```python\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example_lesson.py"
    path.write_text(example)
    result = run_lesson(load_lesson(path))
    assert result.passed, result.error
    assert [c.description for c in result.checks] == [
        "the token endpoint answers 200",
        "the API answers 200",
    ]


def test_lessons_readme_exercise_example_grades_its_starter(tmp_path):
    """The exercise example loads; its honest scenario passes and its attack
    fails with the starter, and passes once the TODO is done."""
    from playground.lesson.grading import load_exercise, run_scenario

    text = (Path(__file__).resolve().parents[2] / "lessons" / "README.md").read_text()
    example = text.split("# Writing an exercise", 1)[1]
    example = example.split("```python\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example_exercise.py"
    path.write_text(example)
    exercise = load_exercise(path)
    starter = [run_scenario(exercise, n, 1).passed for n in (1, 2)]
    path.write_text(
        example.replace(
            "    return True\n",
            "    return expected is not None and received == expected\n",
        )
    )
    solved = load_exercise(path)
    assert starter == [True, False]
    assert [run_scenario(solved, n, 1).passed for n in (1, 2)] == [True, True]
