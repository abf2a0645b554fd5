"""The Lessons page's picker: lessons grouped in teaching order, and where a
new session starts (the URL keeps the place across a refresh)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from mock_servers.weaknesses import REGISTRY
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


# --- the URL: a link keeps the lesson, the step, the switches and the mode ---

# The query parameters the Lessons page owns; others in the URL are left alone.
URL_KEYS = ("lesson", "step", "weak", "defended", "mode")


@dataclass(frozen=True)
class UrlSwitches:
    """The weaknesses a link turns on, and what in it names none."""

    weaknesses: tuple[str, ...]
    notices: tuple[str, ...] = ()


def switches_from_url(weak: str | None) -> UrlSwitches:
    """`?weak=a,b`: the named weaknesses, in the registry's order; an unknown
    name is said so, never raised."""
    asked = [name.strip() for name in (weak or "").split(",") if name.strip()]
    known = [w.name for w in REGISTRY]
    unknown = [name for name in asked if name not in known]
    notices = tuple(
        f"There is no weakness {_quoted(name)}: it is left off." for name in unknown
    )
    return UrlSwitches(tuple(name for name in known if name in asked), notices)


def url_place(
    lesson: str,
    step: int,
    *,
    weaknesses: Sequence[str] = (),
    defended: bool = False,
    presenting: bool = False,
) -> dict[str, str]:
    """The page's place as query parameters; defaults are left out."""
    wanted = {"lesson": lesson, "step": str(step)}
    if weaknesses:
        wanted["weak"] = ",".join(weaknesses)
    if defended:
        wanted["defended"] = "1"
    if presenting:
        wanted["mode"] = "present"
    return wanted


def update_url(params: MutableMapping[str, str], wanted: Mapping[str, str]) -> None:
    """Write only what differs (each write is a message to the browser)."""
    for key in URL_KEYS:
        if key in wanted:
            if params.get(key) != wanted[key]:
                params[key] = wanted[key]
        elif key in params:
            del params[key]


def link_query(wanted: Mapping[str, str]) -> str:
    """`?lesson=...&step=...`: the query string a link to this place ends with."""
    return "?" + urlencode(wanted, safe=",/")
