"""A session's view of lesson runs: step snapshots cached per content, step
and switches.

The lesson code itself runs in the lesson workers (`playground.lesson.pool`):
this module asks them for the snapshot of one step and keeps the last few, so
a rerun without a change costs nothing, Back and Next between recent steps
are instant, and an edited file (its content hash changed) replays at the
same step. A `LessonMemo` lives in the learner's session, never at module
level: its token names the session's live run in the workers, and its keys
are the session's own, so two browsers never share a world or its tokens.
When Streamlit drops the session, the memo's finalizer tells the pool, which
frees the session's run in its worker.
"""

from __future__ import annotations

import hashlib
import secrets
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from playground.lesson.catalog import LessonCatalog, folder_fingerprint, read_source
from playground.lesson.outline import LessonOutline
from playground.lesson.runner import LessonEntry, LessonError, lesson_weaknesses
from playground.lesson.snapshot import BrowserView, StepSnapshot
from playground.lesson.worker import KeysPem
from playground.views.step_view import StepView
from playground.wire.exchange import Exchange
from playground.world import WorldKeys

MAX_REPLAYS = 8  # snapshots kept per session: enough for Back/Next to be instant

__all__ = [
    "LessonMemo",
    "Replay",
    "fingerprint",
    "folder_fingerprint",
    "outline",
    "replay",
]


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
    """One lesson file at the learner's step, or why it could not get there."""

    path: Path
    source: str
    digest: str | None
    step: int
    lesson: LessonOutline | None = None
    snapshot: StepSnapshot | None = None
    error: LessonError | None = None

    @property
    def total(self) -> int | None:
        return len(self.lesson.steps) if self.lesson is not None else None

    @property
    def loaded(self) -> bool:
        return self.lesson is not None

    @property
    def current(self) -> StepView | None:
        return self.snapshot.current if self.snapshot is not None else None

    @property
    def earlier(self) -> tuple[StepView, ...]:
        """The latest earlier steps (a bounded few: see `earlier_hidden`)."""
        return self.snapshot.earlier if self.snapshot is not None else ()

    @property
    def earlier_hidden(self) -> int:
        return self.snapshot.earlier_hidden if self.snapshot is not None else 0

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        """The latest messages so far, for the sequence diagram."""
        return self.snapshot.exchanges if self.snapshot is not None else ()

    @property
    def first_exchange_number(self) -> int:
        """The number the diagram's first shown message has in the whole run."""
        if self.snapshot is None:
            return 1
        return self.snapshot.exchange_count - len(self.snapshot.exchanges) + 1

    @property
    def browser(self) -> BrowserView | None:
        return self.snapshot.browser if self.snapshot is not None else None

    @property
    def switches(self) -> tuple[str, ...]:
        return self.snapshot.switches if self.snapshot is not None else ()


@dataclass(eq=False)
class LessonMemo:
    """A session's recent snapshots, its token in the workers, its keys as PEM."""

    catalog: LessonCatalog
    session: str = field(default_factory=lambda: secrets.token_hex(16))
    replays: OrderedDict = field(default_factory=OrderedDict)
    runs: int = 0  # how many times a worker was asked for a step (for tests)
    _pem: tuple[int, KeysPem] | None = None
    _keys: WorldKeys | None = None

    def __post_init__(self) -> None:
        # The session's live run in its worker goes when the session goes.
        weakref.finalize(self, self.catalog.pool.forget, self.session)

    def release(self) -> None:
        """The session's tab is gone: drop its snapshots here and its live run
        in the workers (a tab that comes back replays, as after Back)."""
        self.replays.clear()
        self.catalog.pool.forget(self.session)

    def entries(self, folder: Path) -> list[LessonEntry]:
        """The lessons in `folder`: shared by every session of the process,
        each file executed once per content."""
        return self.catalog.entries(folder)

    def keys_pem(self, keys: WorldKeys | None) -> KeysPem:
        """The session's keys as PEM, serialised once per session."""
        if keys is None:
            self._keys = self._keys or WorldKeys.generate()
            keys = self._keys
        if self._pem is None or self._pem[0] != id(keys):
            self._pem = (id(keys), KeysPem.of(keys))
        return self._pem[1]


def _remember(cache: OrderedDict, key: object, value: object, limit: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)


def outline(memo: LessonMemo, path: str | Path) -> LessonOutline | LessonError:
    """What the file declares (title, steps, switches), without running a
    step: executed once per content per process (`LessonCatalog`)."""
    source = read_source(Path(path).resolve())
    if isinstance(source, LessonError):
        return source
    return memo.catalog.outline(source)


def replay(
    memo: LessonMemo,
    path: str | Path,
    step: int,
    *,
    weaknesses: Sequence[str] = (),
    defended: bool = False,
    keys: WorldKeys | None = None,
) -> Replay:
    """The snapshot of `path` at `step` (clamped to its length) with these
    switches: cached, or one more step of the session's live run, or a replay.

    A file that does not load keeps the learner's step as it is, so fixing the
    file brings them back to the same place.
    """
    path = Path(path).resolve()
    source = read_source(path)
    if isinstance(source, LessonError):
        return Replay(path, "", None, step, error=source)
    outline = memo.catalog.outline(source)
    if isinstance(outline, LessonError):
        return Replay(path, source.text or "", source.digest, step, error=outline)
    step = max(0, min(step, len(outline.steps)))
    switches = lesson_weaknesses(outline, weaknesses, defended=defended)
    pem = memo.keys_pem(keys)
    key = (str(path), source.digest, step, switches, pem.digest)
    cached = memo.replays.get(key)
    if cached is not None:
        memo.replays.move_to_end(key)
        return cached
    shown = memo.catalog.pool.show(
        memo.session,
        source,
        step,
        weaknesses=tuple(weaknesses),
        defended=defended,
        keys=pem,
        outline=outline,
    )
    memo.runs += 1
    text = source.text or ""
    if isinstance(shown, LessonError):
        # Stopped or crashed: the outline still stands, the step did not run.
        result = Replay(path, text, source.digest, step, outline, error=shown)
    else:
        result = Replay(path, text, source.digest, step, outline, shown, shown.error)
    _remember(memo.replays, key, result, MAX_REPLAYS)
    return result
