"""Load lesson files, run their steps in a world, and report errors.

A broken lesson file is reported with its file and line (the student's own
frames first); it never takes the rest of the playground down. Everything a
student's code can raise is caught here, `SystemExit` and `KeyboardInterrupt`
included: the code runs in a worker process (`playground.lesson.pool`), where
neither can mean anything but the lesson's own doing. What no `except` can
catch (an endless loop, a crash) is the pool's to stop.
"""

from __future__ import annotations

import linecache
import os
import sys
import threading
import traceback
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from playground.lesson.api import Lesson, LessonRun, Step
from playground.lesson.outline import LessonOutline, StepOutline
from playground.views.jwt_decoder import Trust
from playground.views.step_view import StepView, step_view, step_views
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


def load_lesson(
    path: str | Path,
    source: str | None = None,
    *,
    on_progress: Callable[[], None] | None = None,
) -> Lesson:
    """Execute a lesson file afresh (edits are picked up) and return its Lesson.

    `source` is the file's text when the caller already read it (the worker
    executes exactly the content its caller hashed, even if the file changes
    meanwhile); tracebacks and step line numbers then come from that text.
    `on_progress()` is called while the file executes whenever it has declared
    more steps: a lesson of 10,000 steps takes seconds to load, and that is
    progress, not an endless loop.
    """
    path = Path(path).resolve()
    module = execute_file(path, source, on_progress=on_progress)
    lessons = [value for value in vars(module).values() if isinstance(value, Lesson)]
    if not lessons:
        exercise = any(
            getattr(value, "kind", None) == "exercise"
            for value in vars(module).values()
        )
        message = (
            "an exercise, not a lesson: grade it with `oauth-playground check`"
            if exercise
            else "no `lesson = Lesson(...)` in this file"
        )
        raise LessonLoadError(LessonError(str(path), None, message))
    lesson = lessons[0]
    lesson.path = path
    if not lesson.steps:
        raise LessonLoadError(LessonError(str(path), None, "the lesson has no steps"))
    return lesson


def execute_file(
    path: Path,
    source: str | None = None,
    *,
    on_progress: Callable[[], None] | None = None,
) -> types.ModuleType:
    """Execute a lesson (or exercise) file afresh as a module of its own;
    whatever it raises, or a syntax error, is a LessonLoadError at its line."""
    if source is None:
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            message = f"{type(error).__name__}: {error}"
            raise LessonLoadError(LessonError(str(path), None, message)) from None
    # What tracebacks and `inspect` read as this file's lines: this text.
    linecache.cache[str(path)] = (len(source), None, source.splitlines(True), str(path))
    module = types.ModuleType(f"lesson_{path.stem}")
    module.__file__ = str(path)
    # Registered while it runs, as an import would: `inspect` then finds each
    # step's module at once instead of scanning every module per step.
    previous = sys.modules.get(module.__name__)
    sys.modules[module.__name__] = module
    try:
        code = compile(source, str(path), "exec")
        with _StepsDeclared(module.__dict__, on_progress):
            exec(code, module.__dict__)
    except SyntaxError as error:
        message = f"SyntaxError: {error.msg}"
        raise LessonLoadError(
            LessonError(str(path), error.lineno, message, _format_exception(error))
        ) from None
    except BaseException as error:  # SystemExit, KeyboardInterrupt...: the lesson's
        raise LessonLoadError(error_in(path, error)) from None
    finally:
        if previous is None:
            sys.modules.pop(module.__name__, None)
        else:
            sys.modules[module.__name__] = previous
    return module


MAX_STEPS = 100_000  # declaring more is no longer progress (a loop making steps)


class _StepsDeclared:
    """Watches, from a thread of its own, a namespace a lesson file executes
    in, and calls `on_progress` when its lessons hold more steps than before."""

    def __init__(
        self, namespace: dict[str, object], on_progress: Callable[[], None] | None
    ) -> None:
        self._namespace = namespace
        self._on_progress = on_progress
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="steps-declared")

    def __enter__(self) -> None:
        if self._on_progress is not None:
            self._thread.start()

    def __exit__(self, *_: object) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()

    def _watch(self) -> None:
        seen = 0
        while not self._done.wait(0.1):
            count = sum(
                len(value.steps)
                for value in list(self._namespace.values())
                if issubclass(type(value), Lesson)
            )
            if seen < count <= MAX_STEPS:
                seen = count
                self._on_progress()  # type: ignore[misc]


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
    lesson: Lesson | LessonOutline, extra: Iterable[str] = (), *, defended: bool = False
) -> tuple[str, ...]:
    """An attack lesson runs with its weaknesses on, unless defended."""
    names = [name for name in extra if name]
    if defended:
        names = [name for name in names if name not in lesson.weaknesses]
    else:
        names.extend(lesson.weaknesses)
    return tuple(dict.fromkeys(names))


class LiveRun:
    """A lesson running in one world, a step at a time.

    Going on from step N to N+1 runs one step, not N+1 (Next); going back
    needs a new LiveRun replayed to the earlier step (DESIGN decision 6).
    A step's view is built when first asked for and kept: a finished step's
    messages never change.
    """

    def __init__(
        self,
        lesson: Lesson,
        *,
        weaknesses: Iterable[str] = (),
        defended: bool = False,
        keys: WorldKeys | None = None,
        seed: int | str = 0,
        world: World | None = None,
        outline: LessonOutline | None = None,
    ) -> None:
        self.lesson = lesson
        self.switches = lesson_weaknesses(lesson, weaknesses, defended=defended)
        self.world = world or World(
            weaknesses=self.switches,
            token_format=lesson.token_format,  # type: ignore[arg-type]
            validation=lesson.validation,  # type: ignore[arg-type]
            seed=seed,
            keys=keys,
        )
        self.run = LessonRun(self.world, lesson)
        self.steps_run = 0
        self.error: LessonError | None = None
        self._outline = outline
        self._views: dict[int, StepView] = {}
        self._trust: tuple[int, Trust] | None = None

    @property
    def total(self) -> int:
        return len(self.lesson.steps)

    def can_reach(self, step: int) -> bool:
        """Whether `step` is here or ahead, so no replay is needed to show it."""
        if self.error is not None:
            return step >= (self.error.step or 0)
        return step >= self.steps_run

    def advance(
        self, until: int | None = None, on_step: Callable[[int], None] | None = None
    ) -> None:
        """Run the steps after the last one run, up to `until` (all by default);
        stop at the first raise. `on_step(n)` is told as step n starts."""
        last = self.total if until is None else max(0, min(until, self.total))
        if self.error is not None:
            return
        transcript = self.world.transcript
        for step in self.lesson.steps[self.steps_run : last]:
            if on_step is not None:
                on_step(step.number)
            transcript.begin_step(step.number)
            try:
                step.function(self.run)
            except BaseException as error:  # the student's, whatever it is
                transcript.end_step(step.number, self.world.clock.now())
                self.error = error_in(self.lesson.path, error, step)
                return
            transcript.end_step(step.number, self.world.clock.now())
            self.steps_run = step.number

    def result(self) -> LessonResult:
        return LessonResult(
            self.lesson,
            self.world,
            self.run,
            self.steps_run,
            self.error,
            weaknesses=self.switches,
        )

    @property
    def outline(self) -> LessonOutline:
        if self._outline is None:
            self._outline = LessonOutline.of(self.lesson)
        return self._outline

    def ran(self, number: int) -> bool:
        failed = self.error.step if self.error else None
        return 0 < number <= self.steps_run or number == failed

    def view(self, number: int) -> StepView:
        """Step `number`'s panels, built from that step's records alone."""
        cached = self._views.get(number)
        if cached is not None:
            return cached
        step: StepOutline = self.outline.steps[number - 1]
        view = step_view(
            step,
            self.world.transcript,
            self._current_trust(),
            ran=self.ran(number),
            now=self.world.clock.now(),
        )
        if view.ran:
            self._views[number] = view
        return view

    def _current_trust(self) -> Trust:
        """The AS's keys as of the last step run (built once per step, not per view)."""
        if self._trust is None or self._trust[0] != self.steps_run:
            self._trust = (self.steps_run, self.world.token_trust())
        return self._trust[1]


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
    live = LiveRun(
        lesson,
        weaknesses=weaknesses,
        defended=defended,
        keys=keys,
        seed=seed,
        world=world,
    )
    live.advance(until)
    return live.result()


MAX_MESSAGE = 2_000  # characters of an exception's message worth showing
MAX_TRACEBACK = 20_000


def error_in(
    path: Path | None, error: BaseException, step: Step | None = None
) -> LessonError:
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
        message=exception_line(error),
        traceback=_format_exception(error, path),
        step=step.number if step else None,
        step_title=step.title if step else "",
    )


def exception_line(error: BaseException) -> str:
    """`KeyError: 'code'`; just the type when there is no message (a bare
    `KeyboardInterrupt`), and never a failure of its own: a student's
    exception whose `__str__` raises is still reported."""
    name = type(error).__name__
    try:
        text = str(error)
    except BaseException:  # a broken __str__ is the lesson's
        text = "(its message could not be shown)"
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE] + "…"
    return f"{name}: {text}" if text else name


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
    text = (
        "Traceback (most recent call last):\n"
        + "".join(traceback.format_list(frames))
        + exception_line(error)
        + "\n"
    )
    if len(text) > MAX_TRACEBACK:
        half = MAX_TRACEBACK // 2
        text = text[:half] + "\n  [...]\n" + text[-half:]
    return text


@dataclass(frozen=True)
class LessonEntry:
    """A lesson file found on disk: its outline, or why it would not load."""

    path: Path
    lesson: LessonOutline | None = None
    error: LessonError | None = None

    @property
    def title(self) -> str:
        return self.lesson.title if self.lesson else self.path.stem

    @property
    def kind(self) -> str:
        return self.lesson.kind if self.lesson else "broken"


# The lessons folder's subfolder of exercises (`playground.lesson.grading`).
EXERCISES = "exercises"


def lesson_files(folder: str | Path) -> list[Path]:
    """The lesson files under a folder (attacks in `attacks/`), in order;
    `_private.py` helpers, caches and the exercises (`exercises/`) left out."""
    folder = Path(folder)
    return sorted(
        path
        for path in folder.rglob("*.py")
        if not path.name.startswith("_")
        and "__pycache__" not in path.parts
        and EXERCISES not in path.relative_to(folder).parts[:-1]
    )


def discover(folder: str | Path) -> list[LessonEntry]:
    """Every lesson under a folder, broken ones included, executed in this
    process: for trusted files (tests, tools). The UI and the CLI use a
    `LessonCatalog`, which executes them in workers, once per content."""
    entries: list[LessonEntry] = []
    for path in lesson_files(folder):
        try:
            lesson = LessonOutline.of(load_lesson(path))
            entries.append(LessonEntry(path, lesson=lesson))
        except LessonLoadError as failure:
            entries.append(LessonEntry(path, error=failure.error))
    return entries
