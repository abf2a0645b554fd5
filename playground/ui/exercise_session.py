"""A learner's exercises in one browser session: what the Exercises page
shows and keeps, without Streamlit (tested directly).

It lists the exercise files, grades a file's content in the lesson workers
once per content and seed, keeps the session's progress, and saves a
function the learner edited on the page: into the exercise file when the
playground runs on the learner's own machine, else (a classroom server,
shared by many) into this session only, never into a file.
"""

from __future__ import annotations

import ast
import hashlib
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from playground.lesson import progress
from playground.lesson.catalog import read_source
from playground.lesson.grader import SEED_RANGE, Grade, grade
from playground.lesson.grading import ExerciseOutline, StudentOutline, exercise_files
from playground.lesson.pool import LessonPool
from playground.lesson.runner import LessonError
from playground.lesson.worker import LessonSource

MAX_GRADES = 16  # graded contents kept per session


@dataclass(frozen=True)
class Listed:
    """An exercise file and its outline (or why it does not load)."""

    path: Path
    outline: ExerciseOutline | None
    error: LessonError | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def title(self) -> str:
        return self.outline.title if self.outline else self.path.stem


@dataclass(eq=False)
class ExerciseSession:
    """One session's exercises: drafts, grades, progress and its seed."""

    pool: LessonPool
    folder: Path
    progress_file: Path | None = None  # None: a shared server, no file
    seed: int = field(default_factory=lambda: secrets.randbelow(SEED_RANGE))
    drafts: dict[str, str] = field(default_factory=dict)  # file name -> text
    progress: dict[str, progress.ExerciseProgress] = field(default_factory=dict)
    grades: OrderedDict = field(default_factory=OrderedDict)
    outlines: dict[tuple[str, str], ExerciseOutline | LessonError] = field(
        default_factory=dict
    )
    graded: int = 0  # gradings asked of the workers (for tests)

    def __post_init__(self) -> None:
        if self.progress_file is not None:
            self.progress.update(progress.load(self.progress_file))

    @property
    def local(self) -> bool:
        """The learner's own machine: edits go to the file, progress too."""
        return self.progress_file is not None

    def source(self, path: Path) -> LessonSource | LessonError:
        """The content graded for this file: the session's draft (a shared
        server) or the file as it is now."""
        draft = self.drafts.get(path.name)
        if draft is not None:
            digest = hashlib.sha256(draft.encode("utf-8")).hexdigest()
            return LessonSource(str(path.resolve()), digest, draft)
        return read_source(path)

    def listing(self) -> list[Listed]:
        found = []
        for path in exercise_files(self.folder):
            source = self.source(path)
            if isinstance(source, LessonError):
                found.append(Listed(path, None, source))
                continue
            outline = self.outline(source)
            if isinstance(outline, LessonError):
                found.append(Listed(path, None, outline))
            else:
                found.append(Listed(path, outline))
        return found

    def outline(self, source: LessonSource) -> ExerciseOutline | LessonError:
        key = (source.path, source.digest)
        if key not in self.outlines:
            self.outlines[key] = self.pool.exercise(source)  # type: ignore[assignment]
        return self.outlines[key]

    def grade(self, path: Path) -> Grade:
        """This content graded with the session's seed: once per content."""
        source = self.source(path)
        if isinstance(source, LessonError):
            return Grade(str(path), self.seed, None, error=source)
        key = (source.path, source.digest, self.seed)
        found = self.grades.get(key)
        if found is not None:
            self.grades.move_to_end(key)
            return found
        graded = grade(self.pool, source, seed=self.seed)
        self.graded += 1
        self.grades[key] = graded
        while len(self.grades) > MAX_GRADES:
            self.grades.popitem(last=False)
        if graded.outline is not None:
            self.remember(path.name, graded.passed_count, graded.total)
        return graded

    def remember(self, name: str, passed: int, total: int) -> None:
        if self.progress_file is not None:
            self.progress[name] = progress.record(
                self.progress_file, name, passed, total
            )
        else:
            self.progress[name] = progress.updated(
                self.progress.get(name), passed, total
            )

    def new_inputs(self) -> None:
        """Grade again with another seed: other users, clocks and attacks."""
        self.seed = (self.seed + 1 + secrets.randbelow(SEED_RANGE - 1)) % SEED_RANGE

    def text(self, path: Path) -> str:
        source = self.source(path)
        return "" if isinstance(source, LessonError) else source.text or ""

    def save_function(self, path: Path, student: StudentOutline, code: str) -> str:
        """Put `code` in place of the function's lines (its decorator stays):
        into the file on the learner's own machine, into this session on a
        shared server. Returns where it went."""
        return self.save_text(path, replace_function(self.text(path), student, code))

    def save_text(self, path: Path, updated: str) -> str:
        """The whole file: how a file that no longer loads (no function can
        be found in it) is mended from the page."""
        if path.resolve().parent != self.folder.resolve() or path.suffix != ".py":
            raise ValueError(f"{path} is not an exercise of {self.folder}")
        if self.local:
            path.write_text(updated, encoding="utf-8")
            self.drafts.pop(path.name, None)
            return str(path)
        self.drafts[path.name] = updated
        return "this browser session"

    def discard_draft(self, path: Path) -> None:
        self.drafts.pop(path.name, None)


def function_source(text: str, student: StudentOutline) -> str:
    """The function's own lines, from its `def` on (without the decorator)."""
    lines = text.splitlines()
    span = _span(text, student)
    if span is None:
        return "\n".join(lines[student.def_line - 1 : student.last_line])
    first, last = span
    return "\n".join(lines[first - 1 : last])


def replace_function(text: str, student: StudentOutline, code: str) -> str:
    """`text` with the function's lines (from its `def` on) replaced by `code`."""
    lines = text.splitlines()
    span = _span(text, student) or (student.def_line, student.last_line)
    first, last = span
    new = code.rstrip("\n").splitlines()
    return "\n".join([*lines[: first - 1], *new, *lines[last:]]) + "\n"


def _span(text: str, student: StudentOutline) -> tuple[int, int] | None:
    """Where the function is now in `text` (it may have moved since the
    outline was made), by its name: its `def` line to its last line."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    for node in tree.body:
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name == student.name
        ):
            return node.lineno, node.end_lineno or node.lineno
    return None
