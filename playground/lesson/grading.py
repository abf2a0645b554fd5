"""Grading an exercise where students' code runs: load it, outline it, and
run one scenario in a world of its own.

This runs in a lesson worker (`playground.lesson.worker`), like a lesson's
steps: whatever the student's code raises is reported at their line and the
next scenario runs all the same; an endless loop is the pool's to stop. Only
data comes back: an `ExerciseOutline`, or a `ScenarioResult` with the
scenario's messages, checks, verdicts and the student function's calls.
"""

from __future__ import annotations

import contextlib
import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mock_servers.events import Event
from playground.lesson.api import Step
from playground.lesson.exercise import Exercise, ScenarioRun, Verdict
from playground.lesson.runner import (
    EXERCISES,
    LessonError,
    LessonLoadError,
    error_in,
    execute_file,
)
from playground.lesson.student_code import Call, StudentCodeFailed
from playground.wire.exchange import Exchange
from playground.wire.transcript import CheckResult
from playground.world import DEFAULT_START, World, WorldKeys

# A scenario's world starts somewhere in the year after DEFAULT_START (by the
# seed): a student who writes today's date, or one run's clock, into a
# check does not pass the next run.
CLOCK_SPREAD = 365 * 24 * 3600
MAX_OUTPUT = 4_000  # characters of what the student's code printed, kept


def exercises_dir(lessons: str | Path) -> Path:
    """Where a lessons folder keeps its exercises."""
    return Path(lessons) / EXERCISES


def exercise_files(folder: str | Path) -> list[Path]:
    """The exercise files of an exercises folder, in order (`_private.py`
    helpers and subfolders, such as solutions, left out)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.glob("*.py") if not path.name.startswith("_"))


@dataclass(frozen=True)
class StudentOutline:
    """A function the student completes: its name, contract and lines."""

    name: str
    signature: str
    contract: str
    first_line: int  # its decorator's
    last_line: int
    def_line: int


@dataclass(frozen=True)
class ScenarioOutline:
    number: int
    title: str
    narrative: str
    attack: bool
    hints: tuple[str, ...]
    first_line: int
    last_line: int


@dataclass(frozen=True)
class ExerciseOutline:
    """Everything an exercise declares but its code (it pickles)."""

    path: str
    title: str
    level: str
    summary: str
    spec: str
    weaknesses: tuple[str, ...]
    students: tuple[StudentOutline, ...]
    scenarios: tuple[ScenarioOutline, ...]

    @classmethod
    def of(cls, exercise: Exercise) -> ExerciseOutline:
        return cls(
            path=str(exercise.path),
            title=str(exercise.title),
            level=str(exercise.level),
            summary=str(exercise.summary),
            spec=str(exercise.spec),
            weaknesses=tuple(exercise.weaknesses),
            students=tuple(
                StudentOutline(
                    f.name,
                    f.signature,
                    f.contract,
                    f.first_line,
                    f.last_line,
                    f.def_line,
                )
                for f in exercise.students
            ),
            scenarios=tuple(
                ScenarioOutline(
                    s.number,
                    str(s.title),
                    s.narrative,
                    bool(s.attack),
                    tuple(str(hint) for hint in s.hints),
                    s.first_line,
                    s.last_line,
                )
                for s in exercise.scenarios
            ),
        )


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario run against the student's code, as data."""

    number: int
    title: str
    attack: bool
    seed: int
    checks: tuple[CheckResult, ...] = ()
    verdicts: tuple[Verdict, ...] = ()
    calls: tuple[Call, ...] = ()
    exchanges: tuple[Exchange, ...] = ()
    events: tuple[Event, ...] = ()
    output: str = ""  # what the code printed
    error: LessonError | None = None

    @property
    def passed(self) -> bool:
        return (
            self.error is None
            and bool(self.checks)
            and all(check.passed for check in self.checks)
        )

    @property
    def breaches(self) -> tuple[Verdict, ...]:
        """The attacks that got through."""
        return tuple(verdict for verdict in self.verdicts if not verdict.refused)

    def exchange(self, index: int) -> Exchange | None:
        return next((e for e in self.exchanges if e.index == index), None)


def load_exercise(
    path: str | Path,
    source: str | None = None,
    *,
    on_progress: Callable[[], None] | None = None,
) -> Exercise:
    """Execute an exercise file afresh and return its Exercise."""
    path = Path(path).resolve()
    module = execute_file(path, source, on_progress=on_progress)
    found = [value for value in vars(module).values() if isinstance(value, Exercise)]
    if not found:
        raise LessonLoadError(
            LessonError(str(path), None, "no `exercise = Exercise(...)` in this file")
        )
    exercise = found[0]
    exercise.path = path
    if not exercise.scenarios:
        raise LessonLoadError(
            LessonError(str(path), None, "the exercise has no scenarios")
        )
    if not exercise.students:
        raise LessonLoadError(
            LessonError(str(path), None, "no function is marked @exercise.student")
        )
    return exercise


class _Bounded(io.StringIO):
    """Keeps the first MAX_OUTPUT characters a scenario's code prints."""

    def write(self, text: str) -> int:
        room = MAX_OUTPUT - self.tell()
        if room > 0:
            super().write(text[:room])
        return len(text)


def run_scenario(
    exercise: Exercise, number: int, seed: int, *, keys: WorldKeys | None = None
) -> ScenarioResult:
    """Scenario `number` (from 1) in a fresh world seeded by `seed`: the
    setups, then the scenario; the first raise ends it, reported at the
    exercise file's deepest line (the student's, when their code raised)."""
    scenario = exercise.scenarios[number - 1]
    variation = random.Random(f"{seed}:{number}:clock")
    world = World(
        weaknesses=exercise.weaknesses,
        seed=f"{seed}:{number}",
        start_time=DEFAULT_START + variation.randrange(CLOCK_SPREAD),
        keys=keys,
    )
    run = ScenarioRun(world, exercise, f"{seed}:{number}")
    step = Step(
        number,
        scenario.title,
        scenario.function,
        scenario.narrative,
        scenario.first_line,
        scenario.last_line,
    )
    exercise.reset_calls()
    # Python's `random` afresh from the OS: no scenario leaves it in a state
    # the next one (an attacker's guess, say) could predict.
    random.seed()
    transcript = world.transcript
    printed = _Bounded()
    error: LessonError | None = None
    transcript.begin_step(number)
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            for setup in exercise.setups:
                setup(run)
            scenario.function(run)
    except StudentCodeFailed as failed:
        error = _student_error(exercise, failed, step)
    except BaseException as raised:  # the scenario's code, edited by the student?
        error = error_in(exercise.path, raised, step)
    transcript.end_step(number, world.clock.now())
    return ScenarioResult(
        number=number,
        title=scenario.title,
        attack=scenario.attack,
        seed=seed,
        checks=tuple(transcript.checks),
        verdicts=tuple(run.verdicts),
        calls=tuple(exercise.calls()),
        exchanges=tuple(transcript.exchanges),
        events=tuple(world.events),
        output=printed.getvalue(),
        error=error,
    )


def _student_error(
    exercise: Exercise, failed: StudentCodeFailed, step: Step
) -> LessonError:
    """The student's error at their deepest line; a contract broken by the
    return value at the function's `def` line (no frame of theirs is left)."""
    error = error_in(exercise.path, failed.error, step)
    message = f"{error.message} (in {failed.function})"
    line, traceback = error.line, error.traceback
    if line is None:
        function = next(
            (f for f in exercise.students if f.name == failed.function), None
        )
        line = function.def_line if function else None
        traceback = ""
    return LessonError(
        error.path, line, message, traceback, error.step, error.step_title
    )


def stopped_result(
    outline: ExerciseOutline, number: int, seed: int, error: LessonError
) -> ScenarioResult:
    """A scenario whose worker was stopped (a loop) or crashed."""
    scenario = outline.scenarios[number - 1]
    return ScenarioResult(
        number=number,
        title=scenario.title,
        attack=scenario.attack,
        seed=seed,
        error=error,
    )


def find_exercise(name: str, folder: str | Path) -> Path | None:
    """An exercise named on the command line: a file, else the file in
    `folder` whose name is `name` (`01_pkce_pair`, `pkce_pair`, `01`)."""
    given = Path(name)
    if given.suffix == ".py" and given.is_file():
        return given
    wanted = given.stem.lower()
    for path in exercise_files(folder):
        stem = path.stem.lower()
        number, _, rest = stem.partition("_")
        if wanted in (stem, rest, number):
            return path
    return None
