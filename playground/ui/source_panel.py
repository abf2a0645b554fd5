"""The lesson's source as HTML, the current step's lines marked for a projector."""

from __future__ import annotations

import functools
import html

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
    max_lines: int | None = None,
) -> str:
    """The lesson's Python as HTML, lines `first..last` marked ▶ on yellow.

    A marker column and a background, not colour alone, so the current step
    stands out on a washed-out projector. `context` shows only that many lines
    around the highlight; `error_line` is marked ✖ on red. `max_lines` caps
    the rows drawn (a 70,000-line file would be megabytes of HTML a click):
    the lines around the highlight, and a row saying what is left out.
    """
    lines = _lines(source)
    start, end = 1, len(lines)
    focus = [n for n in (first, last, error_line) if n is not None]
    if context is not None and focus:
        start = max(1, min(focus) - context)
        end = min(len(lines), max(focus) + context)
    if max_lines is not None and end - start + 1 > max_lines:
        middle = (min(focus) + max(focus)) // 2 if focus else 1
        start = max(1, min(middle - max_lines // 2, end - max_lines + 1))
        end = start + max_lines - 1
    rows = [_left_out(1, start - 1)] if start > 1 else []
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
    if end < len(lines) and max_lines is not None:
        rows.append(_left_out(end + 1, len(lines)))
    height = f"max-height:{max_height}px;overflow-y:auto;" if max_height else ""
    return f'<div style="{_SOURCE_STYLE}{height}">{"".join(rows)}</div>'


@functools.lru_cache(maxsize=8)
def _lines(source: str) -> tuple[str, ...]:
    """A file's lines, split once per content (a rerun draws the same file)."""
    return tuple(source.splitlines()) or ("",)


def _left_out(first: int, last: int) -> str:
    return (
        f'<div style="{_LINE_STYLE}color:#6b6e7a;font-style:italic">'
        f'<span style="{_MARKER_STYLE}"> </span>'
        f"    … lines {first:,} to {last:,} are not shown here</div>"
    )
