"""What the Lessons page shows, worked out without Streamlit.

The page script only draws; everything it draws comes from here, so it can be
tested with plain pytest: the lesson picker's groups, the step buttons, the
replay (cached per file content, step and switches, so a rerun without a
change costs nothing), and the panels' data (messages, browser, source).

A `LessonMemo` lives in the learner's session, never at module level: two
browsers never share a replay, a world or its tokens.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from html.parser import HTMLParser
from http import HTTPStatus
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
from playground.views.raw_http import render_exchange
from playground.views.step_view import StepView, step_views
from playground.wire.exchange import Channel, Exchange
from playground.world import World, WorldKeys

# `oauth-playground ui --lessons DIR` tells the app where lessons are through
# this variable (the app runs in Streamlit's process, not the CLI's).
LESSONS_DIR_ENV = "OAUTH_PLAYGROUND_LESSONS"

# The picker's sections, in teaching order; files that fail to load come last.
GROUPS: tuple[tuple[str, str], ...] = (
    ("grant", "Grants"),
    ("deprecated", "Deprecated grants"),
    ("attack", "Attacks"),
    ("advanced", "Advanced"),
    ("broken", "⚠ Broken lesson files"),
)

# The step buttons: (key, label). Keys are stable so tests and people find them.
ACTIONS: tuple[tuple[str, str], ...] = (
    ("back", "Back"),
    ("next", "Next"),
    ("run_to_end", "Run to end"),
    ("reset", "Reset"),
)

MAX_REPLAYS = 8  # replays kept per session: enough for Back/Next to be instant
MAX_LESSONS = 64  # loaded lesson files kept per session, keyed by content


# --- the picker --------------------------------------------------------------


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
            number = int(step) if step and step.isdigit() else 0
            return str(entry.path.resolve()), number
    return (str(entries[0].path.resolve()), 0) if entries else None


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


# --- the step buttons --------------------------------------------------------


def step_after(action: str, step: int, total: int | None) -> int:
    """Where a button press takes the learner; Back is a replay to step N-1."""
    if action == "reset":
        return 0
    if total is None:  # the lesson does not load: keep the place until it does
        return step
    if action == "next":
        return min(step + 1, total)
    if action == "back":
        return max(step - 1, 0)
    if action == "run_to_end":
        return total
    raise ValueError(f"unknown step action {action!r}")


def can(action: str, step: int, total: int | None) -> bool:
    """Whether a button does anything here (it is shown disabled otherwise)."""
    if action == "reset":
        return step > 0
    if total is None:
        return False
    if action == "back":
        return step > 0
    return step < total


def counter(step: int, total: int | None) -> str:
    return f"Step {step} of {total}" if total is not None else f"Step {step} of ?"


# --- the replay --------------------------------------------------------------


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
        return step_views(self.result) if self.result is not None else []

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


# --- the panels' data --------------------------------------------------------


def status_colour(status: int) -> str:
    """2xx green, 3xx blue, 4xx/5xx red: the colours of st.badge."""
    if 200 <= status < 300:
        return "green"
    if 300 <= status < 400:
        return "blue"
    if status >= 400:
        return "red"
    return "gray"


def status_text(status: int, reason: str = "") -> str:
    if reason:
        return f"{status} {reason}"
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


@dataclass(frozen=True)
class Message:
    """One exchange as a card: a heading, badges and its raw HTTP text."""

    title: str
    channel: Channel
    parties: str
    status: str
    status_colour: str
    raw: str

    def badges(self) -> str:
        """The card's badges as Streamlit Markdown directives, in one line."""
        if self.channel is Channel.FRONT:
            channel = ":violet-badge[:material/public: front channel]"
        else:
            channel = ":orange-badge[:material/dns: back channel]"
        return " ".join(
            (
                channel,
                f":gray-badge[{_badge_text(self.parties)}]",
                f":{self.status_colour}-badge[{_badge_text(self.status)}]",
            )
        )


def _badge_text(text: str) -> str:
    return text.replace("[", "\\[").replace("]", "\\]")


def message(exchange: Exchange, *, wrap: int | None = None) -> Message:
    """`wrap=None`: the screen soft-wraps long lines, so any width fits."""
    response = exchange.response
    return Message(
        title=f"{exchange.index}. {exchange.label}",
        channel=exchange.channel,
        parties=f"{exchange.sender} → {exchange.receiver}",
        status=status_text(response.status, response.reason),
        status_colour=status_colour(response.status),
        raw=render_exchange(exchange, wrap=wrap, pretty=True),
    )


@dataclass(frozen=True)
class FormView:
    id: str
    method: str
    action: str
    fields: tuple[tuple[str, str], ...]
    buttons: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class BrowserView:
    """What the resource owner sees: the address bar and the page under it."""

    address: str
    status: int | None
    redirect_to: str | None
    title: str
    text: str
    forms: tuple[FormView, ...]


def browser_view(world: World) -> BrowserView | None:
    """The browser after the replay; None when no step has used it yet."""
    if "browser" not in vars(world):  # a cached_property: do not make one
        return None
    browser = world.browser
    if browser.response is None and not browser.address:
        return None
    page = browser.page
    response = browser.response
    is_html = response is not None and "html" in response.headers.get(
        "content-type", ""
    )
    return BrowserView(
        address=browser.address,
        status=browser.status,
        redirect_to=browser.redirect_location,
        title=page.title,
        text=visible_text(response.text) if is_html else page.text,
        forms=tuple(
            FormView(
                form.id,
                form.method,
                form.action,
                tuple(form.fields.items()),
                tuple(form.buttons),
            )
            for form in page.forms
        ),
    )


_PAGE_STYLE = (
    "border:1px solid #c9ccd6;border-radius:8px;overflow:hidden;"
    "font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:16px;"
    "color:#1b1b1f;background:#ffffff;"
)
_TAB_STYLE = (
    "background:#eef0f5;border-bottom:1px solid #c9ccd6;padding:6px 12px;"
    "font-weight:600;font-size:14px;color:#3a3d48;"
)
_FORM_STYLE = (
    "margin-top:10px;border-top:1px dashed #c9ccd6;padding-top:8px;font-size:14px;"
)
_CELL = "padding:2px 10px 2px 0;vertical-align:top;word-break:break-all;"
_MONO = "font-family:ui-monospace,Menlo,Consolas,monospace;"


def page_html(view: BrowserView) -> str:
    """The page under the address bar: its title as the tab, its text, and
    each form's fields (hidden ones too: the browser posts them all)."""
    esc = html.escape
    body = "".join(f"<div>{esc(line)}</div>" for line in view.text.splitlines())
    if not body and not view.forms:
        body = '<div style="color:#6b6e7a">(a blank page)</div>'
    for form in view.forms:
        rows = "".join(
            f'<tr><td style="{_CELL}{_MONO}">{esc(name)}</td>'
            f'<td style="{_CELL}{_MONO}">{esc(value) if value else "<i>(empty)</i>"}'
            "</td></tr>"
            for name, value in form.fields
        )
        rows += "".join(
            f'<tr><td style="{_CELL}{_MONO}">{esc(name)}</td>'
            f'<td style="{_CELL}{_MONO}">{esc(value)} <i>(button)</i></td></tr>'
            for name, value in form.buttons
        )
        body += (
            f'<div style="{_FORM_STYLE}"><b>Form <code>{esc(form.id)}</code></b>: '
            f'<span style="{_MONO}word-break:break-all">'
            f"{esc(form.method)} {esc(form.action)}</span>"
            f"<table>{rows}</table></div>"
        )
    title = esc(view.title) or "(untitled)"
    return (
        f'<div style="{_PAGE_STYLE}"><div style="{_TAB_STYLE}">{title}</div>'
        f'<div style="padding:10px 14px;line-height:1.5">{body}</div></div>'
    )


_BLOCKS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tr",
        "ul",
    }
)
_HIDDEN = frozenset({"head", "script", "style", "title", "template"})


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(self.hidden - 1, 0)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(re.sub(r"\s+", " ", data))


def visible_text(page_html: str) -> str:
    """A page's text as a person reads it: inline elements stay on their line
    ("Signed in as **Alice**."), block elements start a new one."""
    parser = _VisibleText()
    parser.feed(page_html)
    parser.close()
    lines = (line.strip() for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def expiry_text(seconds: int | None) -> str:
    """`expires_in` as a person reads it, on the world's clock."""
    if seconds is None:
        return "no expiry (no `exp` claim)"
    if seconds < 0:
        return f"expired {_duration(-seconds)} ago"
    return f"expires in {_duration(seconds)}"


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min" + (f" {seconds} s" if seconds else "")
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    days, hours = divmod(hours, 24)
    return f"{days} days" + (f" {hours} h" if hours else "")


# --- the source view ---------------------------------------------------------

_SOURCE_STYLE = (
    "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;"
    "font-size:15px;line-height:1.5;background:#fbfbfd;color:#1b1b1f;"
    "border:1px solid #d5d7de;border-radius:8px;padding:6px 0;overflow-x:auto;"
)
_LINE_STYLE = "white-space:pre;padding:0 12px 0 0;"
_MARKER_STYLE = (
    "display:inline-block;width:1.6em;text-align:center;font-weight:bold;"
    "user-select:none;"
)
_NUMBER_STYLE = (
    "display:inline-block;width:3em;text-align:right;padding-right:1em;"
    "color:#6b6e7a;user-select:none;"
)
_HIGHLIGHT = "background:#fff1a8;box-shadow:inset 5px 0 0 #e0a800;"
_ERROR = "background:#fde0e0;box-shadow:inset 5px 0 0 #c62828;"


def source_html(
    source: str,
    *,
    first: int | None = None,
    last: int | None = None,
    error_line: int | None = None,
    context: int | None = None,
    max_height: int | None = None,
) -> str:
    """The lesson's Python as HTML, lines `first..last` marked ▶ on yellow.

    A marker column and a background, not colour alone, so the current step
    stands out on a washed-out projector. `context` shows only that many lines
    around the highlight; `error_line` is marked ✖ on red.
    """
    lines = source.splitlines() or [""]
    start, end = 1, len(lines)
    focus = [n for n in (first, last, error_line) if n is not None]
    if context is not None and focus:
        start = max(1, min(focus) - context)
        end = min(len(lines), max(focus) + context)
    rows = []
    for number in range(start, end + 1):
        text = lines[number - 1] if number <= len(lines) else ""
        highlighted = first is not None and last is not None and first <= number <= last
        if number == error_line:
            style, marker = _ERROR, "✖"
        elif highlighted:
            style, marker = _HIGHLIGHT, "▶"
        else:
            style, marker = "", " "
        rows.append(
            f'<div style="{_LINE_STYLE}{style}">'
            f'<span style="{_MARKER_STYLE}">{marker}</span>'
            f'<span style="{_NUMBER_STYLE}">{number}</span>'
            f"{html.escape(text) or ' '}</div>"
        )
    height = f"max-height:{max_height}px;overflow-y:auto;" if max_height else ""
    return f'<div style="{_SOURCE_STYLE}{height}">{"".join(rows)}</div>'
