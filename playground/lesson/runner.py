"""Load lesson files, replay their steps in a fresh world, and report errors.

A broken lesson file is reported with its file and line (the student's own
frames first); it never takes the rest of the playground down.
"""

from __future__ import annotations

import linecache
import os
import traceback
import types
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from playground.lesson.api import Lesson, LessonRun, Step
from playground.views.step_view import StepView, step_views
from playground.wire.transcript import CheckResult
from playground.world import World, WorldKeys

# `oauth-playground ui --lessons DIR` tells the app where lessons are through
# this variable (the app runs in Streamlit's process, not the CLI's).
LESSONS_DIR_ENV = "OAUTH_PLAYGROUND_LESSONS"


def default_lessons_dir() -> Path:
    """`$OAUTH_PLAYGROUND_LESSONS`, else `lessons/` beside the package (a source
    checkout), else the working directory's."""
    configured = os.environ.get(LESSONS_DIR_ENV)
    if configured:
        return Path(configured)
    beside = Path(__file__).resolve().parents[2] / "lessons"
    return beside if beside.is_dir() else Path.cwd() / "lessons"


@dataclass(frozen=True)
class LessonError:
    """A lesson that could not load or a step that raised, with where."""

    path: str
    line: int | None
    message: str
    traceback: str = ""
    step: int | None = None
    step_title: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        in_step = f" (step {self.step}: {self.step_title})" if self.step else ""
        return f"{where}: {self.message}{in_step}"


class LessonLoadError(Exception):
    def __init__(self, error: LessonError) -> None:
        super().__init__(str(error))
        self.error = error


def load_lesson(path: str | Path) -> Lesson:
    """Execute a lesson file afresh (edits are picked up) and return its Lesson."""
    path = Path(path).resolve()
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as error:
        raise LessonLoadError(LessonError(str(path), None, str(error))) from None
    linecache.checkcache(str(path))
    module = types.ModuleType(f"lesson_{path.stem}")
    module.__file__ = str(path)
    try:
        code = compile(source, str(path), "exec")
        exec(code, module.__dict__)
    except SyntaxError as error:
        message = f"SyntaxError: {error.msg}"
        raise LessonLoadError(
            LessonError(str(path), error.lineno, message, _format_exception(error))
        ) from None
    except Exception as error:
        raise LessonLoadError(_error_in(path, error)) from None
    lessons = [value for value in vars(module).values() if isinstance(value, Lesson)]
    if not lessons:
        raise LessonLoadError(
            LessonError(str(path), None, "no `lesson = Lesson(...)` in this file")
        )
    lesson = lessons[0]
    lesson.path = path
    if not lesson.steps:
        raise LessonLoadError(LessonError(str(path), None, "the lesson has no steps"))
    return lesson


@dataclass
class LessonResult:
    lesson: Lesson
    world: World
    run: LessonRun
    steps_run: int
    error: LessonError | None = None
    weaknesses: tuple[str, ...] = ()

    @property
    def checks(self) -> list[CheckResult]:
        return self.world.transcript.checks

    @property
    def passed(self) -> bool:
        return self.error is None and self.world.transcript.all_checks_passed

    def step_views(self) -> list[StepView]:
        """What each step shows, for the CLI, the UI and handouts."""
        return step_views(
            self.lesson.steps,
            self.world.transcript,
            self.world.token_trust(),
            steps_run=self.steps_run,
            failed_step=self.error.step if self.error else None,
            now=self.world.clock.now(),
        )


def lesson_weaknesses(
    lesson: Lesson, extra: Iterable[str] = (), *, defended: bool = False
) -> tuple[str, ...]:
    """An attack lesson runs with its weaknesses on, unless defended."""
    names = [name for name in extra if name]
    if defended:
        names = [name for name in names if name not in lesson.weaknesses]
    else:
        names.extend(lesson.weaknesses)
    return tuple(dict.fromkeys(names))


def run_lesson(
    lesson: Lesson,
    *,
    until: int | None = None,
    weaknesses: Iterable[str] = (),
    defended: bool = False,
    keys: WorldKeys | None = None,
    seed: int | str = 0,
    world: World | None = None,
) -> LessonResult:
    """Run steps 1..until (all by default) in a new world; stop at the first raise.

    A prepared `world` may be passed (e.g. one served on loopback); it must
    be fresh, and its weaknesses are then the caller's business.
    """
    switches = lesson_weaknesses(lesson, weaknesses, defended=defended)
    world = world or World(
        weaknesses=switches,
        token_format=lesson.token_format,  # type: ignore[arg-type]
        validation=lesson.validation,  # type: ignore[arg-type]
        seed=seed,
        keys=keys,
    )
    run = LessonRun(world, lesson)
    last = len(lesson.steps) if until is None else max(0, min(until, len(lesson.steps)))
    result = LessonResult(lesson, world, run, 0, weaknesses=switches)
    for step in lesson.steps[:last]:
        world.transcript.begin_step(step.number)
        try:
            step.function(run)
        except Exception as error:
            world.transcript.end_step(step.number, world.clock.now())
            result.error = _error_in(lesson.path, error, step)
            return result
        world.transcript.end_step(step.number, world.clock.now())
        result.steps_run = step.number
    return result


def _error_in(path: Path | None, error: BaseException, step: Step | None = None):
    """Point at the deepest line of the lesson file in the traceback."""
    line = None
    frames = traceback.extract_tb(error.__traceback__)
    if path is not None:
        for frame in frames:
            if Path(frame.filename).resolve() == path:
                line = frame.lineno
    return LessonError(
        path=str(path) if path else "<lesson>",
        line=line,
        message=f"{type(error).__name__}: {error}",
        traceback=_format_exception(error, path),
        step=step.number if step else None,
        step_title=step.title if step else "",
    )


def _format_exception(error: BaseException, path: Path | None = None) -> str:
    """The traceback a student needs: from their lesson file's first frame on
    (the engine's own frames above it are noise); a syntax error is just the
    offending line and its caret."""
    if isinstance(error, SyntaxError):
        return "".join(traceback.format_exception_only(type(error), error))
    frames = traceback.extract_tb(error.__traceback__)
    if path is not None:
        ours = [i for i, f in enumerate(frames) if Path(f.filename).resolve() == path]
        if ours:
            frames = traceback.StackSummary.from_list(frames[ours[0] :])
    return (
        "Traceback (most recent call last):\n"
        + "".join(traceback.format_list(frames))
        + "".join(traceback.format_exception_only(type(error), error))
    )


@dataclass(frozen=True)
class LessonEntry:
    """A lesson file found on disk: its lesson, or why it would not load."""

    path: Path
    lesson: Lesson | None = None
    error: LessonError | None = None

    @property
    def title(self) -> str:
        return self.lesson.title if self.lesson else self.path.stem

    @property
    def kind(self) -> str:
        return self.lesson.kind if self.lesson else "broken"


def discover(folder: str | Path) -> list[LessonEntry]:
    """Every lesson under a folder (attacks in `attacks/`), broken ones included."""
    folder = Path(folder)
    entries: list[LessonEntry] = []
    paths = sorted(
        path
        for path in folder.rglob("*.py")
        if not path.name.startswith("_") and "__pycache__" not in path.parts
    )
    for path in paths:
        try:
            entries.append(LessonEntry(path, lesson=load_lesson(path)))
        except LessonLoadError as failure:
            entries.append(LessonEntry(path, error=failure.error))
    return entries
