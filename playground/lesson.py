"""The lesson API students write against, and the engine that runs lessons.

A lesson file makes a `Lesson` and decorates its steps in order; each step is
a function of one argument, the `LessonRun`, with its narrative (Markdown) as
the docstring. Steps replay from the start in a fresh, seeded world, so going
Back is running to step N-1 again. A broken lesson file is reported with its
file and line; it never takes the rest of the playground down.
"""

from __future__ import annotations

import inspect
import linecache
import textwrap
import traceback
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt

from mock_servers.clock import Clock
from mock_servers.weaknesses import lookup

from .actors.attacker import Attacker
from .actors.browser import Browser
from .actors.oauth_client import OAuthClient
from .actors.web_client import WebClient
from .exchange import Exchange, HttpRequest
from .jwt_view import DecodedJwt
from .jwt_view import decode as decode_jwt
from .pkce import PkceExplanation, explain
from .transcript import CheckResult
from .world import World, WorldKeys

KINDS = ("grant", "deprecated", "attack", "advanced")
LEVELS = ("beginner", "intermediate", "advanced")

StepFunction = Callable[["LessonRun"], Any]


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    function: StepFunction
    narrative: str
    first_line: int
    last_line: int


class Lesson:
    """A story told in steps. See lessons/README.md for a minimal example."""

    def __init__(
        self,
        title: str,
        *,
        level: str = "beginner",
        kind: str = "grant",
        summary: str = "",
        weakness: str | tuple[str, ...] | None = None,
        defence: str = "",
        token_format: str = "jwt",
        validation: str | None = None,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        if level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
        names = (weakness,) if isinstance(weakness, str) else tuple(weakness or ())
        for name in names:
            lookup(name)  # a typo fails when the lesson loads
        self.title = title
        self.level = level
        self.kind = kind
        self.summary = summary
        # An attack lesson needs these switches on; the first is its name.
        self.weaknesses: tuple[str, ...] = names
        self.weakness = names[0] if names else None
        self.defence = defence
        self.token_format = token_format
        self.validation = validation
        self.steps: list[Step] = []
        self.path: Path | None = None

    def step(self, title: str) -> Callable[[StepFunction], StepFunction]:
        """Add the decorated function as the next step."""

        def register(function: StepFunction) -> StepFunction:
            lines, first = _source_lines(function)
            self.steps.append(
                Step(
                    number=len(self.steps) + 1,
                    title=title,
                    function=function,
                    narrative=textwrap.dedent(function.__doc__ or "").strip(),
                    first_line=first,
                    last_line=first + max(len(lines) - 1, 0),
                )
            )
            return function

        return register

    def __repr__(self) -> str:
        return f"Lesson({self.title!r}, {len(self.steps)} steps)"


def _source_lines(function: StepFunction) -> tuple[list[str], int]:
    try:
        return inspect.getsourcelines(function)
    except (OSError, TypeError):
        return [], function.__code__.co_firstlineno


def decode_in_world(token: str, world: World, now: int) -> DecodedJwt:
    """One rule for the lesson API and the JWT panel: verify against the AS
    keys; judge `aud` for access tokens (typ at+jwt) only, since an ID token
    or a client assertion is meant for someone else."""
    try:
        typ = jwt.get_unverified_header(token.strip()).get("typ")
    except jwt.PyJWTError:
        typ = None
    return decode_jwt(
        token,
        jwks=world.deployment.as_settings.signing_key.public_jwks(),
        issuer=world.issuer,
        audience=world.api_url if typ in ("at+jwt", "application/at+jwt") else None,
        now=now,
    )


class LessonRun:
    """What a step gets: the world's parties, `check`, and room for values.

    Steps keep values for later steps as attributes: `run.code = ...`.
    """

    def __init__(self, world: World, lesson: Lesson) -> None:
        self.world = world
        self.lesson = lesson
        self.pkce_explanations: list[tuple[int | None, PkceExplanation]] = []
        self.shown_tokens: list[tuple[int | None, str, str]] = []

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(getattr(type(self), name, None), property):
            raise AttributeError(
                f"run.{name} is one of the playground's parties and cannot be "
                f"replaced; keep your value under another name (run.my_{name} = ...)"
            )
        super().__setattr__(name, value)

    # the parties
    @property
    def browser(self) -> Browser:
        return self.world.browser

    @property
    def web_client(self) -> WebClient:
        return self.world.web_client

    @property
    def spa(self) -> OAuthClient:
        return self.world.spa

    @property
    def native_app(self) -> OAuthClient:
        return self.world.native_app

    @property
    def service(self) -> OAuthClient:
        return self.world.service

    @property
    def first_party_app(self) -> OAuthClient:
        return self.world.first_party_app

    @property
    def legacy_app(self) -> OAuthClient:
        return self.world.legacy_app

    @property
    def clock(self) -> Clock:
        return self.world.clock

    @property
    def attacker(self) -> Attacker:
        return self.world.attacker

    @property
    def weakness_on(self) -> bool:
        """Is this an attack run (the lesson's weaknesses on), not a defended one?"""
        wanted = self.lesson.weaknesses
        return bool(wanted) and all(name in self.world.weaknesses for name in wanted)

    # what crossed the wire
    @property
    def exchanges(self) -> list[Exchange]:
        """The messages of the step now running, in order."""
        transcript = self.world.transcript
        return transcript.exchanges_for(transcript.current_step or 0)

    @property
    def last_exchange(self) -> Exchange:
        return self.world.transcript.exchanges[-1]

    @property
    def last_request(self) -> HttpRequest:
        """The last request that crossed the wire (`.form` has its fields)."""
        return self.last_exchange.request

    # what a learner should now see
    def check(self, description: str, condition: object, detail: str = "") -> bool:
        """Record an expectation; a false one fails the lesson run but not the step."""
        return self.world.transcript.add_check(
            description, bool(condition), detail
        ).passed

    def decode(self, token: str) -> DecodedJwt:
        """Decode and verify a JWT against this world's AS keys and clock; an
        access token must also be for the photos API (as the JWT panel says)."""
        return decode_in_world(token, self.world, self.world.clock.now())

    def show_jwt(self, token: str, label: str = "") -> DecodedJwt:
        """Decode a JWT and show it in this step's JWT panel (e.g. one that was
        sent in a request, or an expired one beside the 401 it earned)."""
        step = self.world.transcript.current_step
        self.shown_tokens.append((step, label or "shown by the lesson", token))
        return self.decode(token)

    def show_pkce(self, code_verifier: str, method: str = "S256") -> PkceExplanation:
        """Explain a verifier's hashing; the PKCE panel shows it with this step."""
        explanation = explain(code_verifier, method)
        self.pkce_explanations.append((self.world.transcript.current_step, explanation))
        return explanation

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(
            f"run.{name} was never set: an earlier step must assign it "
            f"(run.{name} = ...) before this step reads it"
        )


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
        world.transcript.begin_step(step.number, step.title)
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


@dataclass
class StepBoundary:
    """The step a learner is on, for a view."""

    number: int
    total: int
    titles: list[str] = field(default_factory=list)
