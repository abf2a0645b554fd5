"""What a lesson file declares, as plain data: title, kind, switches, steps.

A `Lesson` holds its step functions, which only the process that executed the
file can call. Its outline is what the picker, the page header, the `lessons`
command and the step views need of it, and it pickles: lesson files are
executed in worker processes (`playground.lesson.pool`), and only outlines,
step views and errors come back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playground.lesson.api import Lesson


@dataclass(frozen=True)
class StepOutline:
    """A step without its function: what a view shows of it (`StepInfo`)."""

    number: int
    title: str
    narrative: str
    first_line: int
    last_line: int


@dataclass(frozen=True)
class LessonOutline:
    """Everything a lesson declares except its code; reads like a `Lesson`."""

    path: Path | None
    title: str
    level: str
    kind: str
    summary: str
    weaknesses: tuple[str, ...]
    defence: str
    token_format: str
    validation: str | None
    steps: tuple[StepOutline, ...]

    @property
    def weakness(self) -> str | None:
        """An attack lesson's name for itself: its first weakness."""
        return self.weaknesses[0] if self.weaknesses else None

    @classmethod
    def of(cls, lesson: Lesson) -> LessonOutline:
        return cls(
            path=lesson.path,
            title=str(lesson.title),
            level=str(lesson.level),
            kind=str(lesson.kind),
            summary=str(lesson.summary),
            weaknesses=tuple(lesson.weaknesses),
            defence=str(lesson.defence),
            token_format=str(lesson.token_format),
            validation=None if lesson.validation is None else str(lesson.validation),
            steps=tuple(
                StepOutline(
                    step.number,
                    str(step.title),
                    step.narrative,
                    step.first_line,
                    step.last_line,
                )
                for step in lesson.steps
            ),
        )
