"""The grader: every scenario of an exercise run against the student's code in
the lesson workers, and the verdict told as a student (or an instructor)
reads it.

Each scenario is a request of its own to the pool (`LessonPool.exercise`), so
a scenario that crashes or loops is reported at the student's line, its
worker replaced if it had to be stopped, and the next scenario runs anyway.
The seed picks each scenario's inputs (users, clock, which variant of an
attack): a fresh one per grading unless one is given, printed so a run can
be repeated.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import io
import secrets
import textwrap
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from playground.lesson.catalog import read_source
from playground.lesson.grading import ExerciseOutline, ScenarioResult, stopped_result
from playground.lesson.pool import LessonPool
from playground.lesson.runner import LessonError
from playground.lesson.student_code import Call
from playground.lesson.worker import LessonSource
from playground.wire.exchange import Exchange

WIDTH = 100
SEED_RANGE = 1_000_000
BRIEF_BODY = 3  # body lines of a message shown as evidence


def new_seed() -> int:
    """A seed for one grading: unpredictable, so answers cannot be tuned to it."""
    return secrets.randbelow(SEED_RANGE)


@dataclass(frozen=True)
class Grade:
    """An exercise file graded: its outline and every scenario's result, or
    why the file could not be graded at all."""

    path: str
    seed: int
    outline: ExerciseOutline | None
    results: tuple[ScenarioResult, ...] = ()
    error: LessonError | None = None

    @property
    def total(self) -> int:
        return len(self.outline.scenarios) if self.outline else 0

    @property
    def passed_count(self) -> int:
        return sum(result.passed for result in self.results)

    @property
    def passed(self) -> bool:
        return self.error is None and self.total > 0 and self.passed_count == self.total


def grade(
    pool: LessonPool,
    source: LessonSource,
    *,
    seed: int | None = None,
    on_result: Callable[[ScenarioResult], None] | None = None,
) -> Grade:
    """Grade one exercise file's content: its outline, then its scenarios side
    by side in the pool's workers (results in scenario order)."""
    seed = new_seed() if seed is None else seed
    outline = pool.exercise(source)
    if isinstance(outline, LessonError):
        return Grade(source.path, seed, None, error=outline)
    assert isinstance(outline, ExerciseOutline)

    def one(number: int) -> ScenarioResult:
        found = pool.exercise(source, number, seed=seed)
        if isinstance(found, LessonError):
            found = stopped_result(outline, number, seed, found)
        assert isinstance(found, ScenarioResult)
        if on_result is not None:
            on_result(found)
        return found

    numbers = range(1, len(outline.scenarios) + 1)
    with ThreadPoolExecutor(max(1, pool.size), thread_name_prefix="grade") as threads:
        results = tuple(threads.map(one, numbers))
    return Grade(source.path, seed, outline, results)


def grade_file(pool: LessonPool, path: str | Path, *, seed: int | None = None) -> Grade:
    source = read_source(path)
    if isinstance(source, LessonError):
        return Grade(str(path), seed or 0, None, error=source)
    return grade(pool, source, seed=seed)


# --- what a student reads -----------------------------------------------------


def render_text(grade: Grade, *, hints: int = 1, verbose: bool = False) -> str:
    """The verdict per scenario; a failure with what the attacker got, the
    messages that prove it, what the student's function was called with,
    and hints up to number `hints`."""
    if grade.outline is None:
        assert grade.error is not None
        return _error_text(grade.error, "") + "\n"
    outline = grade.outline
    out = [
        f"Exercise: {outline.title}  [{outline.level}]  ({outline.spec})",
        f"File: {outline.path}",
        f"Seed: {grade.seed}  (oauth-playground check ... --seed {grade.seed} "
        "repeats this run)",
        "",
    ]
    for result in grade.results:
        scenario = outline.scenarios[result.number - 1]
        tag = "attack" if scenario.attack else "honest flow"
        verdict = "PASS" if result.passed else ("ERROR" if result.error else "FAIL")
        out.append(f"{verdict:<5} {result.number}. {scenario.title}  [{tag}]")
        if result.passed and not verbose:
            continue
        out.extend(_indent(_details(result, scenario.hints, hints, verbose)))
    out.append("")
    out.append(
        f"{grade.passed_count}/{grade.total} scenarios passed"
        + (": well done." if grade.passed else ".")
    )
    return "\n".join(out) + "\n"


def _details(
    result: ScenarioResult, hints: Sequence[str], level: int, verbose: bool
) -> list[str]:
    out: list[str] = []
    if result.error is not None:
        out.append(_error_text(result.error, result.title))
    for check in result.checks:
        if check.passed and not verbose:
            continue
        mark = "ok" if check.passed else "NOT"
        out.append(f"[{mark}] {check.description}")
        if check.detail and not check.passed:
            out.append(f"      {_shorten(check.detail, WIDTH - 14)}")
    for gain, evidence in breaches(result):
        out.append(f"Mallory got: {gain}")
        if evidence:
            out.append("The messages that prove it:")
            for exchange in evidence:
                out.extend(_indent(brief_exchange(exchange).splitlines()))
    if result.calls:
        out.append("Your function was called:")
        for call in result.calls[:6]:
            out.append(_shorten(f"  {call_line(call)}", WIDTH * 2))
        if len(result.calls) > 6:
            out.append(f"  ... and {len(result.calls) - 6} more calls")
    if result.output.strip():
        out.append("It printed:")
        out.extend(_indent(result.output.rstrip().splitlines()[:10]))
    if not result.passed and hints and level > 0:
        shown = min(level, len(hints))
        for number in range(1, shown + 1):
            out.append(f"Hint {number} of {len(hints)}: {hints[number - 1]}")
        if shown < len(hints):
            out.append(f"(a more specific hint: --hint {shown + 1})")
    return out


def breaches(result: ScenarioResult) -> list[tuple[str, list[Exchange]]]:
    """What Mallory got, each gain once, with every message that proves it."""
    found: dict[str, list[Exchange]] = {}
    for verdict in result.breaches:
        evidence = found.setdefault(verdict.attacker_gets, [])
        for index in verdict.evidence:
            exchange = result.exchange(index)
            if exchange is not None and exchange not in evidence:
                evidence.append(exchange)
    return list(found.items())


def call_line(call: Call) -> str:
    """`name(arguments) outcome`, the arguments cut short (keys are long)."""
    return f"{call.function}({_shorten(call.arguments, 120)}) {call.outcome}"


def _error_text(error: LessonError, title: str) -> str:
    where = f"{error.path}:{error.line}" if error.line else error.path
    text = f"{where}: {error.message}"
    if error.traceback:
        text += "\n" + textwrap.indent(error.traceback.rstrip(), "  ")
    return text


def brief_exchange(exchange: Exchange) -> str:
    """One message, briefly: the request line, the headers that carry
    credentials or redirects, the first lines of each body."""
    request, response = exchange.request, exchange.response
    lines = [
        f"{exchange.index}. {exchange.sender} -> {exchange.receiver}",
        f"  {request.method} {request.url}",
    ]
    for name in ("Authorization", "DPoP", "Cookie"):
        value = request.header(name)
        if value:
            lines.append(f"  {name}: {_shorten(value, WIDTH - 20)}")
    lines.extend(f"  {line}" for line in _body_lines(request.body))
    lines.append(f"  -> {response.status} {response.phrase}")
    for name in ("Location", "WWW-Authenticate"):
        value = response.header(name)
        if value:
            lines.append(f"     {name}: {_shorten(value, WIDTH - 24)}")
    lines.extend(f"     {line}" for line in _body_lines(response.body))
    return "\n".join(lines)


def _body_lines(body: bytes) -> list[str]:
    if not body:
        return []
    text = body.decode("utf-8", "replace")
    if "<html" in text[:200].lower():
        return []  # a page: its status and Location tell the story
    lines = [line for line in text.splitlines() if line.strip()][:BRIEF_BODY]
    return [_shorten(line, WIDTH - 10) for line in lines]


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _indent(lines: Iterable[str], by: str = "      ") -> list[str]:
    return [by + line if line else line for line in lines]


# --- an instructor's folder of submissions ------------------------------------


@dataclass(frozen=True)
class Submission:
    student: str
    exercise: str  # the exercise file's name
    path: Path


@dataclass(frozen=True)
class Mark:
    """One submission graded against the official exercise."""

    student: str
    exercise: str
    passed: int
    total: int
    error: str = ""


def submissions(folder: str | Path, exercises: Sequence[Path]) -> list[Submission]:
    """`folder/<student>/<exercise>.py` for every official exercise file name."""
    names = {path.name for path in exercises}
    found = []
    for student in sorted(p for p in Path(folder).iterdir() if p.is_dir()):
        for path in sorted(student.glob("*.py")):
            if path.name in names:
                found.append(Submission(student.name, path.name, path))
    return found


def splice(official: str, submitted: str, functions: Sequence[str]) -> str:
    """The official exercise with the student's versions of `functions`, and
    the imports and helpers they wrote: a submission is graded by the
    official scenarios, never by scenarios it may have edited. Raises
    SyntaxError or ValueError (a function missing) for a submission that
    cannot be graded."""
    theirs_tree = ast.parse(submitted)
    ours_tree = ast.parse(official)
    theirs = {
        node.name: node
        for node in theirs_tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    missing = [name for name in functions if name not in theirs]
    if missing:
        raise ValueError(f"no function {', '.join(missing)} in the submission")
    ours = [
        node
        for node in ours_tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name in functions
    ]
    known = _top_level_names(ours_tree) | set(functions)
    their_lines = submitted.splitlines()
    extra = [
        _segment(their_lines, node)
        for node in theirs_tree.body
        if (
            isinstance(node, ast.Import | ast.ImportFrom)
            and getattr(node, "module", None) != "__future__"
        )
        or (_names(node) and not _names(node) & known)
    ]
    result = official.splitlines()
    for node in sorted(ours, key=lambda n: n.lineno, reverse=True):
        their = theirs[node.name]  # from its def line: the official decorators stay
        result[node.lineno - 1 : node.end_lineno] = their_lines[
            their.lineno - 1 : their.end_lineno
        ]
    if extra and ours:
        first = min(ours, key=lambda n: n.lineno)
        at = min([first.lineno, *(d.lineno for d in first.decorator_list)]) - 1
        result[at:at] = [*extra, "", ""]
    return "\n".join(result) + "\n"


def _top_level_names(tree: ast.Module) -> set[str]:
    return {name for node in tree.body for name in _names(node)}


def _names(node: ast.stmt) -> set[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Assign):
        return {t.id for t in node.targets if isinstance(t, ast.Name)}
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return {node.target.id}
    return set()


def _segment(lines: list[str], node: ast.stmt) -> str:
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return "\n".join(lines[first - 1 : node.end_lineno])


def mark_table(marks: Sequence[Mark]) -> str:
    """Student, exercise, scenarios passed: one line each."""
    rows = [("student", "exercise", "scenarios passed")]
    for mark in marks:
        score = f"{mark.passed}/{mark.total}" + (
            f"  ({mark.error})" if mark.error else ""
        )
        rows.append((mark.student, mark.exercise, score))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    return (
        "\n".join(
            f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}" for row in rows
        )
        + "\n"
    )


def mark_csv(marks: Sequence[Mark]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "exercise", "passed", "total", "error"])
    for mark in marks:
        writer.writerow(
            [mark.student, mark.exercise, mark.passed, mark.total, mark.error]
        )
    return out.getvalue()


def mark_submissions(
    pool: LessonPool,
    folder: str | Path,
    exercises: Sequence[Path],
    *,
    seed: int | None = None,
) -> list[Mark]:
    """Grade every `folder/<student>/<exercise>.py` against the official
    exercise of that name, its student functions spliced in."""
    official = {path.name: path for path in exercises}
    outlines: dict[str, ExerciseOutline | LessonError] = {}
    for name, path in official.items():
        source = read_source(path)
        outlines[name] = (
            source if isinstance(source, LessonError) else pool.exercise(source)  # type: ignore[assignment]
        )

    def one(submission: Submission) -> Mark:
        outline = outlines[submission.exercise]
        if not isinstance(outline, ExerciseOutline):
            return Mark(submission.student, submission.exercise, 0, 0, str(outline))
        total = len(outline.scenarios)
        try:
            submitted = submission.path.read_text(encoding="utf-8")
            text = splice(
                official[submission.exercise].read_text(encoding="utf-8"),
                submitted,
                [student.name for student in outline.students],
            )
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError) as error:
            message = f"{type(error).__name__}: {error}".splitlines()[0]
            return Mark(submission.student, submission.exercise, 0, total, message)
        source = LessonSource(
            str(submission.path.resolve()),
            hashlib.sha256(text.encode("utf-8")).hexdigest(),
            text,
        )
        graded = grade(pool, source, seed=seed)
        failure = ""
        if graded.error is not None:
            failure = graded.error.message
        else:
            errors = [r.error.message for r in graded.results if r.error]
            failure = errors[0] if errors else ""
        return Mark(
            submission.student,
            submission.exercise,
            graded.passed_count,
            total,
            _shorten(failure, 60),
        )

    found = submissions(folder, exercises)
    with ThreadPoolExecutor(max(1, pool.size), thread_name_prefix="mark") as threads:
        return list(threads.map(one, found))
