"""The Lessons page's picker: lessons grouped in teaching order, and where a
new session starts (the URL keeps the place across a refresh)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from playground.lesson.api import KINDS
from playground.lesson.runner import LessonEntry

# The picker's sections, in teaching order; files that fail to load come last.
# The picker's sections, in teaching order; files that fail to load come last.
GROUPS: tuple[tuple[str, str], ...] = (
    *KINDS.items(),
    ("broken", "⚠ Broken lesson files"),
)


def lesson_key(path: Path, folder: Path) -> str:
    """A lesson's name in widget keys: its path inside the lessons folder."""
    try:
        return Path(path).resolve().relative_to(Path(folder).resolve()).as_posix()
    except ValueError:
        return Path(path).name


def picker_groups(
    entries: Iterable[LessonEntry],
) -> list[tuple[str, list[LessonEntry]]]:
    """Lessons grouped by kind in teaching order; empty groups left out."""
    grouped: dict[str, list[LessonEntry]] = {kind: [] for kind, _ in GROUPS}
    for entry in entries:
        grouped.setdefault(entry.kind, []).append(entry)
    titles = dict(GROUPS)
    return [
        (titles.get(kind, kind.title()), members)
        for kind, members in grouped.items()
        if members
    ]


def entry_label(entry: LessonEntry) -> str:
    if entry.lesson is None:
        return f"⚠ {entry.path.name}"
    return entry.lesson.title


def place_from_url(
    entries: Sequence[LessonEntry],
    folder: Path,
    lesson: str | None,
    step: str | None,
) -> tuple[str, int] | None:
    """Where a new session starts: the URL's `?lesson=&step=` (a refreshed
    page keeps its place), else the first lesson at step 0."""
    for entry in entries:
        if lesson_key(entry.path, folder) == lesson:
            return str(entry.path.resolve()), step_from_url(step)
    return (str(entries[0].path.resolve()), 0) if entries else None


# More steps than any lesson has; a longer number in the URL is noise.
MAX_STEP_DIGITS = 4


def step_from_url(step: str | None) -> int:
    """`?step=` as a step number, 0 for anything else: ASCII digits only, as
    `int()` also takes '²' or '٣' and a 5,000-digit number costs a replay."""
    if not step or len(step) > MAX_STEP_DIGITS:
        return 0
    if not (step.isascii() and step.isdigit()):
        return 0
    return int(step)
