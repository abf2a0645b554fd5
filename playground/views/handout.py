"""A lesson as one self-contained HTML file: the class's handout.

Everything the Lessons page shows of a run, every step at once: the story
(Markdown, rendered), each exchange as raw HTTP with its channel, the decoded
JWTs and what their claims mean, the PKCE rows, the server events, the
checks, and the sequence diagram as inline SVG. No script, no font, no
stylesheet from the network: it opens offline and prints cleanly (print CSS).

Pure functions of recorded data, like every view: the caller walks the run
(`collect_steps`, with a function that shows step N) and renders the diagram.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from markdown_it import MarkdownIt

from mock_servers.events import Event
from playground.views import durations
from playground.views.jwt_explanations import ClaimExplanation
from playground.views.personal_access_token import PersonalTokenExplanation
from playground.views.pkce import PkceExplanation
from playground.views.raw_http import render_exchange
from playground.views.sequence_diagram import to_dot
from playground.views.step_view import FoundToken, StepView
from playground.views.token_exchange import ExchangeExplanation
from playground.wire.exchange import Channel, Exchange, Party
from playground.wire.transcript import CheckResult

__all__ = [
    "Collected",
    "HandoutLesson",
    "collect_steps",
    "diagram_svg",
    "document",
    "inline_svg",
    "render",
]

RENDER_TIMEOUT = 20.0  # seconds for one `neato` run
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')


class Snapshot(Protocol):
    """What a handout needs of one shown step (a lesson's `StepSnapshot`)."""

    step: int
    current: StepView | None
    earlier: tuple[StepView, ...]
    exchanges: tuple[Exchange, ...]
    exchange_count: int


@dataclass(frozen=True)
class HandoutLesson:
    """What the handout says of the lesson itself."""

    title: str
    summary: str = ""
    kind: str = ""
    level: str = ""
    defence: str = ""

    @classmethod
    def of(cls, outline: object) -> HandoutLesson:
        """From anything that reads like a lesson (its outline)."""
        return cls(
            *(
                str(getattr(outline, name, "") or "")
                for name in cls.__dataclass_fields__
            )
        )


@dataclass(frozen=True)
class Collected:
    """Every step's view, the diagram's messages, and where the run broke."""

    steps: tuple[StepView, ...]
    exchanges: tuple[Exchange, ...]  # the diagram's (latest) messages
    first_number: int  # the number the first of them has in the whole run
    error: str | None


def collect_steps(
    show: Callable[[int], Snapshot | object], total: int, window: int = 21
) -> Collected:
    """All `total` steps, asked of `show(step)` in windows going forward (a
    shown step carries a bounded few earlier ones; each window continues the
    same run). A window that fails (its value is no snapshot) ends the walk,
    said in `error`."""
    views: dict[int, StepView] = {}
    last: Snapshot | None = None
    error = None
    for step in [*range(window, total, window), total] if total else []:
        shown = show(step)
        if not hasattr(shown, "current"):
            error = str(shown)
            break
        last = shown  # type: ignore[assignment]
        assert last is not None
        for view in (*last.earlier, *([last.current] if last.current else [])):
            views[view.step.number] = view
        failure = getattr(last, "error", None)
        if failure is not None:
            error = str(failure)
            break
    exchanges = last.exchanges if last is not None else ()
    first = last.exchange_count - len(exchanges) + 1 if last is not None else 1
    return Collected(
        tuple(views[number] for number in sorted(views)), exchanges, first, error
    )


def diagram_svg(dot: str, binary: str | None = None) -> str | None:
    """The DOT source laid out by Graphviz's `neato` as inline SVG; None when
    Graphviz is not installed or fails."""
    binary = binary or shutil.which("neato")
    if binary is None:
        return None
    try:
        done = subprocess.run(
            [binary, "-Tsvg"],
            input=dot.encode(),
            capture_output=True,
            timeout=RENDER_TIMEOUT,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return inline_svg(done.stdout.decode())


def inline_svg(document: str) -> str:
    """Graphviz's SVG document as an element for an HTML page: no XML
    prologue, DOCTYPE or comments, no blank line (so Markdown takes it whole
    as one HTML block), and scaled down (never up) to the page's width."""
    svg = _COMMENT.sub("", _PROLOGUE.sub("", document, count=1))
    svg = "\n".join(line for line in svg.splitlines() if line.strip())
    return _SIZE.sub(
        lambda size: (
            f'<svg width="{size.group(1)}pt" height="{size.group(2)}pt" '
            'style="max-width:100%;height:auto"'
        ),
        svg,
        count=1,
    )


def document(
    lesson: HandoutLesson,
    collected: Collected,
    *,
    switches: Sequence[str] = (),
    defended: bool = False,
    svg: Callable[[str], str | None] = diagram_svg,
) -> str:
    """The handout of a collected run, its diagram laid out by `svg(dot)`."""
    diagram = None
    if collected.exchanges:
        dot = to_dot(
            collected.exchanges, title=lesson.title, first_number=collected.first_number
        )
        diagram = svg(dot)
    return render(
        lesson, collected, switches=switches, defended=defended, diagram=diagram
    )


def render(
    lesson: HandoutLesson,
    collected: Collected,
    *,
    switches: Sequence[str] = (),
    defended: bool = False,
    diagram: str | None = None,
) -> str:
    """The handout as one HTML document."""
    esc = html.escape
    badges = [_badge(lesson.kind, "blue"), _badge(lesson.level, "gray")]
    badges += [_badge(f"weakness on: {name}", "red") for name in switches]
    if defended:
        badges.append(_badge("defended: the lesson's own weakness is off", "green"))
    parts = [
        f"<header><h1>{esc(lesson.title)}</h1>",
        f'<p class="badges">{"".join(b for b in badges if b)}</p>',
        _markdown(lesson.summary),
    ]
    if lesson.defence:
        defence = _markdown(lesson.defence)
        parts.append(f'<div class="defence"><h2>The defence</h2>{defence}</div>')
    if switches:
        names = ", ".join(f"<code>{esc(name)}</code>" for name in switches)
        parts.append(f"<p>Weaknesses switched on for this run: {names}.</p>")
    parts.append("</header>")
    if collected.error:
        parts.append(
            f'<div class="error"><b>The run broke:</b> {esc(collected.error)}</div>'
        )
    parts.append('<section class="diagram"><h2>The sequence</h2>')
    if collected.first_number > 1:
        parts.append(
            f"<p>The latest {len(collected.exchanges)} messages, "
            f"from message {collected.first_number}.</p>"
        )
    if diagram:
        parts.append(f'<div class="svg">{diagram}</div>')
    elif collected.exchanges:
        parts.append("<p>(Graphviz is not installed here: no diagram.)</p>")
    else:
        parts.append("<p>No message crossed the wire.</p>")
    parts.append("</section>")
    parts += [_step(view) for view in collected.steps]
    body = "\n".join(parts)
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(lesson.title)}: OAuth Playground handout</title>"
        f"<style>{STYLE}</style></head>\n<body>\n{body}\n"
        "<footer>Made by the OAuth Playground. Every message above really "
        "crossed its virtual network.</footer>\n</body></html>\n"
    )


def _step(view: StepView) -> str:
    esc = html.escape
    number = view.step.number
    parts = [
        f'<section class="step" id="step-{number}">',
        f"<h2>Step {number}: {esc(view.step.title)}</h2>",
    ]
    if not view.ran:
        parts.append('<p class="error">This step did not run.</p>')
    parts.append(_markdown(view.step.narrative))
    parts.append(_checks(view.checks))
    parts.append("<h3>HTTP messages of this step</h3>")
    if view.exchanges:
        parts += [_message(exchange) for exchange in view.exchanges]
    else:
        parts.append('<p class="quiet">No HTTP message crossed the wire.</p>')
    if view.tokens:
        parts.append("<h3>Tokens of this step</h3>")
        parts += [_token(found) for found in view.tokens]
    if view.pkce:
        parts.append("<h3>PKCE</h3>")
        parts += [_pkce(explanation) for explanation in view.pkce]
    if view.personal_tokens:
        parts.append("<h3>Personal access tokens</h3>")
        parts += [_personal_token(personal) for personal in view.personal_tokens]
    if view.token_exchanges:
        parts.append("<h3>Token exchange (RFC 8693)</h3>")
        parts += [_token_exchange(exchange) for exchange in view.token_exchanges]
    parts.append(_events(view.events))
    parts.append("</section>")
    return "\n".join(part for part in parts if part)


def _markdown(text: str) -> str:
    return _MARKDOWN.render(text) if text else ""


def _badge(text: str, colour: str) -> str:
    return f'<span class="badge {colour}">{html.escape(text)}</span>' if text else ""


def channel_text(exchange: Exchange) -> str:
    """The channel in words, as the page's badge says it."""
    if exchange.channel is Channel.FRONT:
        return "front channel"
    scripted = exchange.sender in (Party.BROWSER, Party.ATTACKER)
    if scripted and exchange.request.header("Sec-Fetch-Mode") is not None:
        return "back channel, a page's script"
    return "back channel"


def _message(exchange: Exchange) -> str:
    esc = html.escape
    status = exchange.response.status
    colour = "green" if status < 300 else "blue" if status < 400 else "red"
    channel = channel_text(exchange)
    kind = "front" if exchange.channel is Channel.FRONT else "back"
    status_line = f"{status} {exchange.response.phrase}".strip()
    return (
        '<div class="card">'
        f"<p><b>{exchange.index}. {esc(exchange.label)}</b></p>"
        f'<p class="badges"><span class="badge {kind}">{esc(channel)}</span>'
        f"{_badge(f'{exchange.sender} → {exchange.receiver}', 'gray')}"
        f"{_badge(status_line, colour)}</p>"
        f"<pre>{esc(render_exchange(exchange, pretty=True))}</pre></div>"
    )


def _claims(title: str, lines: Sequence[ClaimExplanation]) -> str:
    esc = html.escape
    rows = "".join(
        f"<li><code>{esc(line.name)}</code>: <code>{esc(str(line.value))}</code>"
        f"<br>{esc(line.explanation)}</li>"
        for line in lines
    )
    return f"<p><b>{title}</b></p><ul>{rows}</ul>" if rows else ""


def _token(found: FoundToken) -> str:
    esc = html.escape
    decoded = found.decoded
    verdict = decoded.verification
    exception = f" ({verdict.exception})" if verdict.exception else ""
    return (
        '<div class="card">'
        f"<p><b>{esc(decoded.kind)}</b>: {esc(found.where)}</p>"
        f'<p class="verdict {esc(verdict.status)}">Signature: '
        f"<b>{esc(verdict.status)}</b>. {esc(verdict.reason)}{esc(exception)}</p>"
        f"<p>{esc(durations.expiry_text(decoded.expires_in).replace('`', ''))}</p>"
        f"{_claims('Header', decoded.header_lines)}"
        f"{_claims('Claims', decoded.claim_lines)}"
        f'<pre class="jwt">{esc(found.token)}</pre></div>'
    )


def _pkce(explanation: PkceExplanation) -> str:
    esc = html.escape
    rows = "".join(
        f"<tr><th>{esc(label)}</th><td><code>{esc(value)}</code></td></tr>"
        for label, value in explanation.steps()
    )
    return (
        f'<div class="card"><p><b>PKCE (RFC 7636), method '
        f"<code>{esc(explanation.method)}</code></b></p>"
        f'<table class="pkce">{rows}</table></div>'
    )


def _personal_token(explanation: PersonalTokenExplanation) -> str:
    esc = html.escape
    rows = "".join(
        f"<li><b>{esc(part)}</b> <code>{esc(str(value))}</code><br>{esc(meaning)}</li>"
        for part, value, meaning in explanation.rows()
    )
    return (
        '<div class="card"><p><b>Personal access token</b> (not a JWT): '
        f"{esc(explanation.where)}</p>"
        f'<pre class="jwt">{esc(explanation.token)}</pre><ul>{rows}</ul></div>'
    )


def _token_exchange(explanation: ExchangeExplanation) -> str:
    esc = html.escape
    parts = [
        f'<div class="card"><p><b>{esc(explanation.where)}</b> '
        f"({esc(str(explanation.status))})</p>"
    ]
    for title, rows in (
        ("Request", explanation.request),
        ("Response", explanation.response),
    ):
        items = "".join(
            f"<li><code>{esc(name)}</code>: <code>{esc(value)}</code>"
            + (f"<br>{esc(meaning)}" if meaning else "")
            + "</li>"
            for name, value, meaning in rows
        )
        parts.append(f"<p><b>{title}</b></p><ul>{items}</ul>")
    return "".join(parts) + "</div>"


def _events(items: Sequence[Event]) -> str:
    if not items:
        return ""
    esc = html.escape
    rows = []
    for event in items:
        client = (
            f" (client <code>{esc(event.client_id)}</code>)" if event.client_id else ""
        )
        detail = f": {esc(event.detail)}" if event.detail else ""
        rows.append(
            f"<li>{esc(event.server)}: <b>{esc(event.name)}</b>{client}{detail}</li>"
        )
    return "<h3>Server events</h3><ul>" + "".join(rows) + "</ul>"


def _checks(items: Sequence[CheckResult]) -> str:
    if not items:
        return ""
    esc = html.escape
    rows = []
    for check in items:
        mark, kind = ("✔", "pass") if check.passed else ("✘", "fail")
        detail = f": {esc(check.detail)}" if check.detail and not check.passed else ""
        rows.append(
            f'<li class="{kind}"><span class="mark">{mark}</span> '
            f"{_inline(check.description)}{detail}</li>"
        )
    return '<ul class="checks">' + "".join(rows) + "</ul>"


def _inline(text: str) -> str:
    return _MARKDOWN.renderInline(text)


STYLE = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1f;
  max-width: 1100px; margin: 2rem auto; padding: 0 1.2rem; line-height: 1.5; }
h1 { font-size: 2rem; margin-bottom: .3rem; }
h2 { border-bottom: 2px solid #d5d7de; padding-bottom: .2rem; margin-top: 2rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: #f6f7f9; border: 1px solid #d5d7de; border-radius: 6px;
  padding: .6rem .8rem; white-space: pre-wrap; overflow-wrap: anywhere;
  font-size: .85rem; }
pre.jwt { font-size: .75rem; }
.card { border: 1px solid #c9ccd6; border-radius: 8px; padding: .3rem .9rem;
  margin: .7rem 0; break-inside: avoid; }
.badges { margin: .2rem 0; }
.badge { display: inline-block; border-radius: 4px; padding: 0 .45rem;
  margin-right: .35rem; font-size: .85rem; border: 1px solid currentColor; }
.badge.blue { color: #1f5fbf; } .badge.gray { color: #555; }
.badge.red { color: #c62828; } .badge.green { color: #2e7d32; }
.badge.front { color: #6a1b9a; } .badge.back { color: #b45309; }
.verdict.valid { color: #2e7d32; } .verdict.invalid { color: #c62828; }
.checks { list-style: none; padding-left: .2rem; }
.checks .mark { font-weight: bold; }
.checks .pass .mark { color: #2e7d32; } .checks .fail .mark { color: #c62828; }
.pkce th { text-align: left; padding-right: 1rem; font-weight: normal;
  font-family: ui-monospace, Menlo, Consolas, monospace; vertical-align: top; }
.pkce td { overflow-wrap: anywhere; }
.error { background: #fde0e0; border-left: 5px solid #c62828; padding: .4rem .8rem; }
.quiet { color: #6b6e7a; }
.defence { background: #eef6ee; border-radius: 8px; padding: 0 1rem .3rem; }
.svg { overflow-x: auto; }
footer { margin-top: 3rem; color: #6b6e7a; font-size: .85rem; }
@media print {
  body { max-width: none; margin: 0; font-size: 10.5pt; }
  .step { break-before: page; }
  .diagram { break-inside: avoid; }
  pre { font-size: 8pt; border-color: #999; }
  .card, .checks li, tr { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""
