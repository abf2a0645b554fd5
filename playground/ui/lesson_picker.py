"""The Lessons page's picker: lessons grouped in teaching order, and where a
new session starts (the URL keeps the place across a refresh)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from playground.lesson.api import KINDS
from playground.lesson.runner import LessonEntry

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


@dataclass(frozen=True)
class UrlPlace:
    """Where a new session starts, and what was wrong with the URL, in words."""

    lesson: str  # the lesson file's resolved path
    step: int  # the step asked for; the replay clamps it to the lesson's length
    notices: tuple[str, ...] = ()


def place_from_url(
    entries: Sequence[LessonEntry],
    folder: Path,
    lesson: str | None,
    step: str | None,
) -> UrlPlace | None:
    """Where a new session starts: the URL's `?lesson=&step=` (a refreshed
    page keeps its place), else the first lesson at step 0. A parameter that
    names no lesson or no step is said so, never raised."""
    if not entries:
        return None
    chosen = None
    notices: list[str] = []
    if lesson is not None:
        chosen = next(
            (e for e in entries if lesson_key(e.path, folder) == lesson), None
        )
        if chosen is None:
            notices.append(
                f"There is no lesson {_quoted(lesson)} in this folder: "
                "here is the first one."
            )
    number, problem = step_from_url(step)
    if problem and step is not None:
        notices.append(f"`?step=` {problem}: starting at step 0.")
    if chosen is None:
        if lesson is None and step is not None and not problem:
            notices.append("`?step=` without `?lesson=`: starting at step 0.")
        chosen, number = entries[0], 0
    total = len(chosen.lesson.steps) if chosen.lesson is not None else None
    if total is not None and number > total:
        notices.append(f"This lesson has {total} steps: showing step {total}.")
        number = total
    elif total is None and number == PAST_THE_END:
        number = 0  # a broken file: its length is unknown, start it over
    return UrlPlace(str(chosen.path.resolve()), number, tuple(notices))


# More steps than any lesson has: a longer number is "past the end", never
# converted (int() of a 5,000-digit string costs more than a page).
MAX_STEP_DIGITS = 6
PAST_THE_END = 10**MAX_STEP_DIGITS


def step_from_url(step: str | None) -> tuple[int, str]:
    """`?step=` as a step number and, when it is not one, why (in words).

    ASCII digits only, as `int()` also takes '²' or '٣'. A number with more
    than MAX_STEP_DIGITS digits is PAST_THE_END (the replay clamps it to the
    lesson's last step, and the page says so)."""
    if step is None or step == "":
        return 0, "" if step is None else "is empty"
    if not (step.isascii() and step.isdigit()):
        return 0, f"{_quoted(step)} is not a step number"
    digits = step.lstrip("0") or "0"
    if len(digits) > MAX_STEP_DIGITS:
        return PAST_THE_END, ""
    return int(digits), ""


def _quoted(value: str, keep: int = 40) -> str:
    """A URL value shown safely in Markdown: short, one line, in code."""
    text = " ".join(value.replace("`", "'").split())
    if len(text) > keep:
        text = text[:keep] + "…"
    return f"`{text}`" if text else "(empty)"
