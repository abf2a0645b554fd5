"""A session's replays of lesson files, cached per file content, step and switches.

A rerun without a change costs nothing; an edited file (its content hash
changed) replays at the same step. A `LessonMemo` lives in the learner's
session, never at module level: two browsers never share a replay, a world
or its tokens.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from playground.lesson.api import Lesson
from playground.lesson.runner import (
    LessonEntry,
    LessonError,
    LessonLoadError,
    LessonResult,
    discover,
    lesson_weaknesses,
    load_lesson,
    run_lesson,
)
from playground.views.step_view import StepView
from playground.wire.exchange import Exchange
from playground.world import WorldKeys

MAX_REPLAYS = 8  # replays kept per session: enough for Back/Next to be instant
MAX_LESSONS = 64  # loaded lesson files kept per session, keyed by content


def folder_fingerprint(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Cheap change detector for the catalog: every .py file's mtime and size."""
    rows = []
    for path in sorted(Path(folder).rglob("*.py")):
        try:
            stat = path.stat()
        except OSError:
            continue
        rows.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(rows)


def fingerprint(path: Path) -> str | None:
    """The content hash a replay is keyed on; None when the file is unreadable.

    Content, not mtime: an editor that saves twice in one second, or a file
    copied back unchanged, must not cost (or skip) a replay.
    """
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


@dataclass
class Replay:
    """One lesson file replayed to the learner's step, or why it could not be."""

    path: Path
    source: str
    digest: str | None
    step: int
    lesson: Lesson | None = None
    result: LessonResult | None = None
    error: LessonError | None = None

    @property
    def total(self) -> int | None:
        return len(self.lesson.steps) if self.lesson is not None else None

    @property
    def loaded(self) -> bool:
        return self.lesson is not None

    @cached_property
    def views(self) -> list[StepView]:
        return self.result.step_views() if self.result is not None else []

    @property
    def current(self) -> StepView | None:
        return self.views[self.step - 1] if 0 < self.step <= len(self.views) else None

    @property
    def earlier(self) -> list[StepView]:
        return self.views[: max(self.step - 1, 0)]

    @property
    def exchanges(self) -> list[Exchange]:
        """Every message so far, for the sequence diagram."""
        return list(self.result.world.transcript.exchanges) if self.result else []

    @property
    def switches(self) -> tuple[str, ...]:
        return self.result.weaknesses if self.result is not None else ()


@dataclass
class LessonMemo:
    """A session's cache of loaded lesson files, replays and the catalog."""

    catalog_key: tuple | None = None
    catalog: list[LessonEntry] = field(default_factory=list)
    lessons: OrderedDict = field(default_factory=OrderedDict)
    replays: OrderedDict = field(default_factory=OrderedDict)
    runs: int = 0  # how many times a lesson was really replayed (for tests)

    def entries(self, folder: Path) -> list[LessonEntry]:
        """The lessons in `folder`, rediscovered only when a file changed."""
        key = (str(folder), folder_fingerprint(folder))
        if key != self.catalog_key:
            self.catalog = discover(folder) if Path(folder).is_dir() else []
            self.catalog_key = key
        return self.catalog

    def lesson(self, path: Path, digest: str) -> Lesson | LessonError:
        key = (str(path), digest)
        if key not in self.lessons:
            try:
                loaded: Lesson | LessonError = load_lesson(path)
            except LessonLoadError as failure:
                loaded = failure.error
            _remember(self.lessons, key, loaded, MAX_LESSONS)
        return self.lessons[key]


def _remember(cache: OrderedDict, key: object, value: object, limit: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)


def replay(
    memo: LessonMemo,
    path: str | Path,
    step: int,
    *,
    weaknesses: Sequence[str] = (),
    defended: bool = False,
    keys: WorldKeys | None = None,
) -> Replay:
    """Replay `path` to `step` (clamped to its length) with these switches.

    A file that does not load keeps the learner's step as it is, so fixing the
    file brings them back to the same place.
    """
    path = Path(path).resolve()
    try:
        data = path.read_bytes()
    except OSError as error:
        failure = LessonError(str(path), None, f"{type(error).__name__}: {error}")
        return Replay(path, "", None, step, error=failure)
    digest = hashlib.sha256(data).hexdigest()
    source = data.decode("utf-8", errors="replace")
    loaded = memo.lesson(path, digest)
    if isinstance(loaded, LessonError):
        return Replay(path, source, digest, step, error=loaded)
    step = max(0, min(step, len(loaded.steps)))
    switches = lesson_weaknesses(loaded, weaknesses, defended=defended)
    key = (str(path), digest, step, switches, defended, id(keys))
    cached = memo.replays.get(key)
    if cached is None:
        result = run_lesson(
            loaded, until=step, weaknesses=switches, defended=defended, keys=keys
        )
        memo.runs += 1
        cached = Replay(path, source, digest, step, loaded, result, result.error)
        _remember(memo.replays, key, cached, MAX_REPLAYS)
    else:
        memo.replays.move_to_end(key)
    return cached
