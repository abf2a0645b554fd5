"""Exercises, their reference solutions, and graded copies made for a test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from playground.lesson.grader import splice
from playground.lesson.grading import exercise_files, load_exercise
from playground.lesson.pool import LessonPool
from playground.lesson.progress import PROGRESS_ENV
from playground.world import WorldKeys

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = ROOT / "lessons" / "exercises"
SOLUTIONS = Path(__file__).resolve().parent / "solutions"
NAMES = [path.stem for path in exercise_files(EXERCISES)]


def student_functions(name: str) -> list[str]:
    return [f.name for f in load_exercise(EXERCISES / f"{name}.py").students]


def with_answer(name: str, answer: str, folder: Path) -> Path:
    """The official exercise `name` with `answer`'s student functions (and
    its imports and helpers) spliced in, written to `folder`."""
    official = (EXERCISES / f"{name}.py").read_text(encoding="utf-8")
    text = splice(official, answer, student_functions(name))
    path = folder / f"{name}.py"
    path.write_text(text, encoding="utf-8")
    return path


def solution(name: str) -> str:
    return (SOLUTIONS / f"{name}.py").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def keys() -> WorldKeys:
    return WorldKeys.generate()


@pytest.fixture(scope="module")
def pool() -> Iterator[LessonPool]:
    with LessonPool(2) as workers:
        yield workers


@pytest.fixture(autouse=True)
def progress_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test writes the progress file in the real home folder."""
    path = tmp_path / "progress.json"
    monkeypatch.setenv(PROGRESS_ENV, str(path))
    return path
