"""The Lessons page's panels, each a small function that draws one thing.

Only drawing lives here: what to draw comes from the replay (`replay_cache`)
and the small data modules beside it, all tested without Streamlit, and from
the playground's views (`step_view`, `jwt_decoder`, `pkce`,
`sequence_diagram`), the same ones the CLI prints.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import streamlit as st

from mock_servers.events import Event
from mock_servers.weaknesses import REGISTRY
from playground.lesson.api import Lesson
from playground.lesson.runner import LessonEntry, LessonError
from playground.ui import (
    browser_panel,
    lesson_picker,
    message_cards,
    source_panel,
    state,
    step_controls,
)
from playground.ui.browser_panel import BrowserView
from playground.ui.diagram_svg import DiagramRenderer
from playground.ui.replay_cache import Replay
from playground.views import durations
from playground.views.jwt_explanations import ClaimExplanation
from playground.views.personal_access_token import PersonalTokenExplanation
from playground.views.pkce import PkceExplanation
from playground.views.sequence_diagram import to_dot
from playground.views.step_view import FoundToken, StepView
from playground.views.token_exchange import ExchangeExplanation
from playground.wire.exchange import Exchange
from playground.wire.transcript import CheckResult

# Titles in the picker read left to right like a table of contents. Panels
# below the fold are laid out and painted only when scrolled to
# (content-visibility): a click then costs the browser what is on screen.
PAGE_CSS = """<style>
.st-key-lesson_picker button, .st-key-lesson_picker button div {
  justify-content: flex-start; text-align: left;
}
.st-key-sequence_diagram, .st-key-step_details, .st-key-step_source,
.st-key-step_earlier {
  content-visibility: auto; contain-intrinsic-size: auto 600px;
}
</style>"""


def picker(
    groups: Sequence[tuple[str, list[LessonEntry]]],
    *,
    folder: Path,
    current: str | None,
    on_pick: Callable[[str], None],
) -> None:
    """Lessons by kind, one button each (key `lesson:<file>`); broken files show
    ⚠ and why, and can still be opened to read the error in full."""
    # Titles read left to right like a table of contents, not centred.
    st.html(PAGE_CSS)
    box = st.sidebar.container(key="lesson_picker")
    box.markdown("### :material/school: Lessons")
    if not groups:
        box.warning(f"No lessons in `{folder}`.")
    for title, entries in groups:
        box.markdown(f"**{title}**")
        for entry in entries:
            path = str(entry.path.resolve())
            box.button(
                lesson_picker.entry_label(entry),
                key=f"lesson:{lesson_picker.lesson_key(entry.path, folder)}",
                type="primary" if path == current else "tertiary",
                on_click=on_pick,
                args=(path,),
                width="stretch",
            )
            if entry.error is not None:
                line = f", line {entry.error.line}" if entry.error.line else ""
                box.caption(f"⚠ {entry.error.message}{line}")


def weakness_switches(lesson_weakness: str | None, *, presenting: bool) -> None:
    """The instructor's switches, generated from the registry (described once).

    Folded, and drawn only once opened (two dozen toggles and their captions
    are not sent with every click); in presenter mode a button above the
    lesson opens them, one click away."""
    label = "Instructor: weaknesses"
    if presenting:
        panel = st.popover(
            label, icon=":material/build:", key=state.WEAKNESS_PANEL, on_change="rerun"
        )
    else:
        panel = st.sidebar.expander(
            label, icon=":material/build:", key=state.WEAKNESS_PANEL, on_change="rerun"
        )
    if not panel.open:
        return
    with panel:
        st.toggle(
            "Defended",
            key=state.DEFENDED,
            persist_state="session",
            help="Run an attack lesson with its own weakness off: "
            "the defence must hold.",
        )
        if lesson_weakness:
            st.caption(
                f"This attack lesson turns on `{lesson_weakness}` itself, "
                "unless **Defended** is on."
            )
        for weakness in REGISTRY:
            st.toggle(
                f"`{weakness.name}`",
                key=state.weakness_key(weakness.name),
                persist_state="session",
                help=weakness.spec,
            )
            st.caption(weakness.description)


def controls(
    step: int, total: int | None, on_action: Callable[[str], None], title: str
) -> None:
    """Back, Next, Run to end, Reset, and where we are."""
    columns = st.columns([1, 1, 1.3, 1, 6], vertical_alignment="center")
    for column, (key, label) in zip(columns, step_controls.ACTIONS, strict=False):
        column.button(
            label,
            key=key,
            type="primary" if key == "next" else "secondary",
            disabled=not step_controls.can(key, step, total),
            on_click=on_action,
            args=(key,),
            width="stretch",
        )
    heading = f"**{step_controls.counter(step, total)}**"
    columns[-1].markdown(f"{heading} · {title}" if title else heading)
    if total:
        st.progress(step / total)


def lesson_error(error: LessonError) -> None:
    """Where the lesson broke (file and line) and the traceback."""
    where = f"{error.path}, line {error.line}" if error.line else error.path
    step = f" in step {error.step} ({error.step_title})" if error.step else ""
    st.error(f"**{error.message}**{step}\n\n`{where}`", icon=":material/bug_report:")
    if error.traceback:
        st.code(error.traceback.rstrip(), language="python")


def message(exchange: Exchange) -> None:
    card = message_cards.message(exchange)
    with st.container(border=True):  # few elements: each costs the browser a render
        st.markdown(f"**{card.title}**  \n{card.badges()}")
        st.code(card.raw, language="http", wrap_lines=True)


def messages(exchanges: Iterable[Exchange], *, heading: bool = True) -> None:
    if heading:
        st.markdown("#### :material/swap_horiz: HTTP messages of this step")
    shown = False
    for exchange in exchanges:
        message(exchange)
        shown = True
    if not shown:
        st.caption("No HTTP message crossed the wire in this step.")


def findings(view: StepView) -> None:
    """What this step's messages carried: tokens, PKCE values, server events."""
    if view.tokens:
        st.markdown("#### :material/key: Tokens of this step")
    for found in view.tokens:
        token(found)
    if view.pkce:
        st.markdown("#### :material/science: PKCE")
    for explanation in view.pkce:
        pkce(explanation)
    if view.personal_tokens:
        st.markdown("#### :material/password: Personal access tokens")
    for personal in view.personal_tokens:
        personal_token(personal)
    if view.token_exchanges:
        st.markdown("#### :material/swap_calls: Token exchange (RFC 8693)")
    for exchange in view.token_exchanges:
        token_exchange(exchange)
    events(view.events)
    if not (
        view.tokens
        or view.pkce
        or view.events
        or view.personal_tokens
        or view.token_exchanges
    ):
        st.caption("No token, PKCE value or server event in this step.")


def earlier_steps(views: Sequence[StepView], hidden: int = 0) -> None:
    """Earlier steps folded away, one expander each, still a click away; a
    step's messages are drawn only once its expander is opened."""
    if not views:
        return
    st.markdown("#### :material/history: Earlier steps")
    for view in views:
        count = len(view.exchanges)
        plural = "" if count == 1 else "s"
        folded = st.expander(
            f"Step {view.step.number}: {view.step.title} ({count} message{plural})",
            key=f"earlier:{view.step.number}",
            on_change="rerun",
        )
        if folded.open:
            with folded:
                messages(view.exchanges, heading=False)
                checks(view.checks)
    if hidden:
        st.caption(
            f"…and {hidden} steps before these: **Back** or **Reset** reaches them."
        )


def outline(lesson: Lesson, path: Path) -> None:
    """Before step 1: what the lesson will do, and the same in a terminal.

    The command is also the page's first code block: the browser fetches
    and compiles its highlighter and monospace font while the learner reads,
    not when Next is pressed (a new tab's first Next took ~3.4 times a later
    one for that alone)."""
    st.markdown("#### What happens, step by step")
    st.markdown(
        "\n".join(f"{step.number}. {step.title}" for step in lesson.steps)
        + "\n\nPress **Next** to run step 1, or run the whole lesson in a terminal:"
    )
    try:
        shown = path.resolve().relative_to(Path.cwd())
    except ValueError:
        shown = path
    st.code(f"oauth-playground run {shown}", language="bash")


def browser(view: BrowserView | None) -> None:
    """The address bar (fragment included) and what the user sees."""
    st.markdown("#### :material/language: The browser")
    if view is None:
        st.caption("The browser has not been used yet.")
        return
    st.code(view.address or "about:blank", language=None, wrap_lines=True)
    if view.redirect_to:
        st.markdown(
            f":blue-badge[{view.status} redirect] the browser will go to the "
            "`Location` next"
        )
    st.html(browser_panel.page_html(view))


def _claim(line: ClaimExplanation) -> str:
    return f"- `{line.name}`: {_code(line.value)}  \n  {line.explanation}"


def _code(value: Any) -> str:
    text = str(value)
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def token(found: FoundToken) -> None:
    """A decoded JWT: header, claims with their meaning, signature, expiry."""
    decoded = found.decoded
    with st.container(border=True):
        st.markdown(f"**:material/key: {decoded.kind}**: {found.where}")
        verdict = decoded.verification
        exception = f" (`{verdict.exception}`)" if verdict.exception else ""
        text = f"Signature: **{verdict.status}**. {verdict.reason}{exception}"
        if verdict.status == "valid":
            st.success(text, icon=":material/verified:")
        elif verdict.status == "invalid":
            st.error(text, icon=":material/gpp_bad:")
        else:
            st.info(text, icon=":material/help:")
        st.markdown(
            f":material/timer: {durations.expiry_text(decoded.expires_in)}\n\n"
            "**Header**\n\n"
            + "\n".join(map(_claim, decoded.header_lines))
            + "\n\n**Claims**\n\n"
            + "\n".join(map(_claim, decoded.claim_lines))
        )


def personal_token(explanation: PersonalTokenExplanation) -> None:
    """A personal access token's parts: opaque, so no claims to decode."""
    with st.container(border=True):
        st.markdown(
            f"**:material/password: Personal access token** (not a JWT): "
            f"{explanation.where}"
        )
        st.code(explanation.token, language=None, wrap_lines=True)
        st.markdown(
            "\n".join(
                f"- **{part}** {_code(value)}  \n  {meaning}"
                for part, value, meaning in explanation.rows()
            )
        )


def token_exchange(explanation: ExchangeExplanation) -> None:
    """Each RFC 8693 parameter of a token exchange request and its answer."""
    with st.container(border=True):
        st.markdown(
            f"**:material/swap_calls: {explanation.where}** ({explanation.status})"
        )
        for title, rows in (
            ("Request", explanation.request),
            ("Response", explanation.response),
        ):
            st.markdown(
                f"**{title}**\n\n"
                + "\n".join(
                    f"- `{name}`: {_code(_short(value))}"
                    + (f"  \n  {meaning}" if meaning else "")
                    for name, value, meaning in rows
                )
            )


def _short(value: str, keep: int = 24) -> str:
    """A token in a parameter list: its ends (the JWT panel has it whole)."""
    return value if len(value) <= 2 * keep + 3 else f"{value[:keep]}...{value[-keep:]}"


def pkce(explanation: PkceExplanation) -> None:
    """Each row of RFC 7636's transformation, verifier to challenge."""
    with st.container(border=True):
        st.markdown(
            f"**:material/science: PKCE (RFC 7636), method `{explanation.method}`**"
        )
        for label, value in explanation.steps():
            st.markdown(f"`{label}`")
            st.code(value, language=None, wrap_lines=True)


def events(items: Sequence[Event]) -> None:
    if not items:
        return
    st.markdown("#### :material/receipt_long: Server events")
    rows = []
    for event in items:
        client = f" (client `{event.client_id}`)" if event.client_id else ""
        detail = f": {event.detail}" if event.detail else ""
        rows.append(f"- {event.server}: **{event.name}**{client}{detail}")
    st.markdown("\n".join(rows))


# Material icons, not emoji: a classroom projector's machine may lack an emoji font.
PASS_MARK = ":green[:material/check_circle:]"
FAIL_MARK = ":red[:material/cancel:]"


def checks(items: Sequence[CheckResult]) -> None:
    if not items:
        return
    rows = []
    for check in items:
        mark = PASS_MARK if check.passed else FAIL_MARK
        detail = f": {check.detail}" if check.detail and not check.passed else ""
        rows.append(f"- {mark} {check.description}{detail}")
    st.markdown("\n".join(rows))


def diagram(replay: Replay, renderer: DiagramRenderer) -> None:
    """The sequence so far, as an SVG laid out on the server once per distinct
    diagram (the browser's own Graphviz only when `neato` is missing)."""
    st.markdown("#### :material/account_tree: The sequence so far")
    if not replay.exchanges:
        st.caption("No messages yet: the diagram grows as steps send them.")
        return
    title = replay.lesson.title if replay.lesson else None
    first = replay.first_exchange_number
    if first > 1:  # a long run: the latest messages, numbered as in the whole run
        st.caption(
            f"The latest {len(replay.exchanges)} messages, from message {first}."
        )
    dot = to_dot(
        replay.exchanges, current_step=replay.step, title=title, first_number=first
    )
    svg = renderer.svg(dot)
    box = st.container(key="sequence_diagram")
    if svg is None:
        box.graphviz_chart(dot)
    else:
        box.html(svg_html(svg), unsafe_allow_javascript=True)


# st.html's sanitizer keeps HTML only (an <svg> is dropped), and Markdown would
# parse the SVG's thousands of nodes in JavaScript at every click. So the SVG
# travels as base64 text and one line of script hands it to the browser's own
# parser. It is Graphviz's output for our DOT: every label a lesson wrote is
# escaped XML text in it, and `atob` output is set as markup, never run.
_SVG_LOADER = (
    '<div class="sequence-diagram" data-svg="{data}"></div>'
    "<script>for (const box of document.querySelectorAll("
    "'.sequence-diagram[data-svg]')) {{"
    "box.innerHTML = new TextDecoder().decode("
    "Uint8Array.from(atob(box.dataset.svg), c => c.charCodeAt(0)));"
    "box.removeAttribute('data-svg');}}</script>"
)


def svg_html(svg: str) -> str:
    """The SVG as st.html can carry it (see _SVG_LOADER)."""
    return _SVG_LOADER.format(data=base64.b64encode(svg.encode()).decode())


# Rows of source drawn per rerun: a generated lesson of 10,000 steps is a
# 70,000-line file, megabytes of HTML per click if drawn whole.
STEP_SOURCE_LINES = 400
WHOLE_FILE_LINES = 1_500


def source(replay: Replay, *, folded: bool = False) -> None:
    """The lesson's code with this step's lines marked, then the whole file
    (drawn once its expander is opened: a long file is a lot of HTML).
    `folded`: all of it behind one expander (presenter mode)."""
    step = replay.current.step if replay.current else None
    error_line = replay.error.line if replay.error else None
    first = step.first_line if step else None
    last = step.last_line if step else None
    if folded:
        panel = st.expander(
            f"The lesson's code: {replay.path.name}",
            icon=":material/code:",
            key="source_panel",
            on_change="rerun",
        )
        if not panel.open:
            return
        with panel:
            _source(replay, first, last, error_line, whole=True)
        return
    st.markdown("#### :material/code: The lesson's code")
    if step is not None or error_line is not None:
        _source(replay, first, last, error_line, whole=False)
    whole = st.expander(
        f"The whole file: {replay.path.name}", key="whole_file", on_change="rerun"
    )
    if whole.open:
        with whole:
            _source(replay, first, last, error_line, whole=True)


def _source(
    replay: Replay,
    first: int | None,
    last: int | None,
    error_line: int | None,
    *,
    whole: bool,
) -> None:
    st.html(
        source_panel.source_html(
            replay.source,
            first=first,
            last=last,
            error_line=error_line,
            context=None if whole else 2,
            max_lines=WHOLE_FILE_LINES if whole else STEP_SOURCE_LINES,
        )
    )


def step(replay: Replay, renderer: DiagramRenderer, *, presenting: bool) -> None:
    """The current step: its story, the browser, the diagram, the messages and
    what they carried, the code, the earlier steps. A projector gets the story,
    the messages and the diagram first, and the code folded."""
    current = replay.current
    assert current is not None
    if not current.ran:
        st.warning(f"Step {current.step.number} did not run: an earlier step failed.")
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.subheader(f"Step {current.step.number}: {current.step.title}")
        st.markdown(current.step.narrative)
        checks(current.checks)
    with right:
        browser(replay.browser)
    if not presenting:
        diagram(replay, renderer)
    with st.container(key="step_details"):
        left, right = st.columns(2, gap="large")
        with left:
            messages(current.exchanges)
        with right:
            findings(current)
    if presenting:
        diagram(replay, renderer)
    with st.container(key="step_source"):
        source(replay, folded=presenting)
    with st.container(key="step_earlier"):
        earlier_steps(replay.earlier, replay.earlier_hidden)


# --- presenter mode and the class's links --------------------------------------

# Larger type for a projector; the sidebar is one click away, not in the way.
PRESENTER_CSS = """<style>
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li {
  font-size: 1.3rem; line-height: 1.55;
}
[data-testid="stMain"] h2 { font-size: 2.4rem; }
[data-testid="stMain"] h3 { font-size: 1.9rem; }
[data-testid="stMain"] h4 { font-size: 1.5rem; }
[data-testid="stMain"] [data-testid="stCode"] code { font-size: 1.05rem; }
[data-testid="stMain"] button p { font-size: 1.2rem; }
.block-container { max-width: 100%; padding-top: 2.5rem; }
</style>"""


def presenter_switch() -> bool:
    """Presenter mode's switch, at the top of the sidebar; kept in the URL."""
    return st.sidebar.toggle(
        "Presenter mode",
        key=state.PRESENTING,
        persist_state="session",
        help="Large type for a projector: the step's story, messages and "
        "diagram first, the code folded. The link keeps it (?mode=present).",
    )


def presenter_style() -> None:
    st.html(PRESENTER_CSS)


def class_link(params: Mapping[str, str]) -> None:
    """The link that brings a class to the step on the screen."""
    base = st.context.url or ""
    if base and not urlsplit(base).path:
        base += "/"
    query = lesson_picker.link_query(dict(params))
    with st.expander("Send the class here", icon=":material/link:"):
        st.code(base + query, language=None, wrap_lines=True)


def handout_button(make: Callable[[], str], *, file_name: str) -> None:
    """The whole lesson as one HTML file for the class, made only when
    clicked (`make` runs then, on its own thread)."""
    st.download_button(
        "Handout (HTML)",
        data=make,
        file_name=file_name,
        mime="text/html",
        icon=":material/download:",
        on_click="ignore",
        key="handout",
        help="Every step's story, messages, tokens, checks and the diagram "
        "in one file that opens and prints without a network.",
    )
