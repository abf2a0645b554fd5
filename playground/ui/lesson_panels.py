"""The Lessons page's panels, each a small function that draws one thing.

Only drawing lives here: what to draw comes from the replay (`replay_cache`)
and the small data modules beside it, all tested without Streamlit, and from
the playground's views (`step_view`, `jwt_decoder`, `pkce`,
`sequence_diagram`), the same ones the CLI prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

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
    step_controls,
)
from playground.ui.browser_panel import BrowserView
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
    st.html(
        "<style>.st-key-lesson_picker button,.st-key-lesson_picker button div"
        "{justify-content:flex-start;text-align:left}</style>"
    )
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


def weakness_switches(lesson_weakness: str | None) -> None:
    """The instructor's switches, generated from the registry (described once)."""
    with st.sidebar.expander("Instructor: weaknesses", icon=":material/build:"):
        st.toggle(
            "Defended",
            key="defended",
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
                key=f"weakness:{weakness.name}",
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
    with st.container(border=True):
        st.markdown(f"**{card.title}**")
        st.markdown(card.badges())
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


def earlier_steps(views: Sequence[StepView]) -> None:
    """Earlier steps folded away, one expander each, still a click away."""
    if not views:
        return
    st.markdown("#### :material/history: Earlier steps")
    for view in views:
        count = len(view.exchanges)
        plural = "" if count == 1 else "s"
        with st.expander(
            f"Step {view.step.number}: {view.step.title} ({count} message{plural})"
        ):
            messages(view.exchanges, heading=False)
            checks(view.checks)


def outline(lesson: Lesson) -> None:
    """Before step 1: what the lesson will do."""
    st.markdown("#### What happens, step by step")
    st.markdown(
        "\n".join(f"{step.number}. {step.title}" for step in lesson.steps)
        + "\n\nPress **Next** to run step 1."
    )


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
        st.markdown(f":material/timer: {durations.expiry_text(decoded.expires_in)}")
        st.markdown("**Header**\n\n" + "\n".join(map(_claim, decoded.header_lines)))
        st.markdown("**Claims**\n\n" + "\n".join(map(_claim, decoded.claim_lines)))


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


def diagram(replay: Replay) -> None:
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
    st.graphviz_chart(
        to_dot(
            replay.exchanges, current_step=replay.step, title=title, first_number=first
        )
    )


# Rows of source drawn per rerun: a generated lesson of 10,000 steps is a
# 70,000-line file, megabytes of HTML per click if drawn whole.
STEP_SOURCE_LINES = 400
WHOLE_FILE_LINES = 1_500


def source(replay: Replay) -> None:
    """The lesson's code with this step's lines marked, then the whole file."""
    step = replay.current.step if replay.current else None
    error_line = replay.error.line if replay.error else None
    first = step.first_line if step else None
    last = step.last_line if step else None
    st.markdown("#### :material/code: The lesson's code")
    if step is not None or error_line is not None:
        st.html(
            source_panel.source_html(
                replay.source,
                first=first,
                last=last,
                error_line=error_line,
                context=2,
                max_lines=STEP_SOURCE_LINES,
            )
        )
    with st.expander(f"The whole file: {replay.path.name}"):
        st.html(
            source_panel.source_html(
                replay.source,
                first=first,
                last=last,
                error_line=error_line,
                max_lines=WHOLE_FILE_LINES,
            )
        )
