"""Exercises: write the defence, and watch the playground attack it.

A view only: the session's exercises (drafts, grades, progress) live in an
`ExerciseSession`, the grading runs in the lesson workers. The learner edits
the function in their own editor (the page regrades when the file changes)
or here: on their own machine the page saves into the exercise file, on a
shared server into this browser session only.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from playground.lesson.grader import Grade, breaches, brief_exchange, call_line
from playground.lesson.grading import ScenarioResult, exercises_dir
from playground.lesson.progress import (
    PROGRESS_ENV,
    default_progress_file,
    is_loopback,
)
from playground.ui import message_cards, state
from playground.ui.exercise_session import ExerciseSession, Listed, function_source
from playground.views.sequence_diagram import to_dot

EXERCISE_SESSION = "exercise_session"  # ExerciseSession of this browser session
EXERCISE = "exercise"  # str: the file name of the exercise on screen
EDITOR_SOURCES = "editor_sources"  # dict: editor key -> the code it was filled with
PASSED = ":green[:material/check_circle:]"
FAILED = ":red[:material/cancel:]"
LEVEL_COLOURS = {"beginner": "green", "intermediate": "orange", "advanced": "red"}


def progress_file() -> Path | None:
    """The progress file, only where the playground runs on the learner's
    own machine (or a test names one): a classroom server has none."""
    if os.environ.get(PROGRESS_ENV):
        return default_progress_file()
    if is_loopback(st.get_option("server.address")):
        return default_progress_file()
    return None


state.init()
session = st.session_state
folder = exercises_dir(session[state.LESSONS_DIR])
desk: ExerciseSession | None = session.get(EXERCISE_SESSION)
if desk is None or desk.folder != folder:
    desk = ExerciseSession(state.lesson_catalog().pool, folder, progress_file())
    session[EXERCISE_SESSION] = desk

listing = desk.listing()
st.title("Exercises")
if not listing:
    st.info(f"No exercises found in `{folder}`.")
    st.stop()


def label(item: Listed) -> str:
    done = desk.progress.get(item.name)
    if item.outline is None:
        mark = "⚠"
    elif done is None:
        mark = "○"
    elif done.done:
        mark = "✅"
    else:
        mark = f"{done.passed}/{done.total}"
    level = f" · {item.outline.level}" if item.outline else ""
    return f"{mark}  {item.title}{level}"


names = [item.name for item in listing]
# The browser keeps a radio's choice as the label it shows, and these labels
# change with the grade ("○" to "1/3" to "✅"): set the choice again on every
# run, so the browser is sent this run's label. Else its next rerun brings
# back a label no option has any more, and Streamlit falls back to the first
# exercise (and drops the click that caused the rerun).
chosen = session.get(EXERCISE)
session[EXERCISE] = chosen if chosen in names else names[0]
item = listing[names.index(session[EXERCISE])]
path = item.path
graded: Grade = desk.grade(path)  # first: the list below shows its progress
outline = graded.outline or item.outline
with st.sidebar:
    st.markdown("#### Exercises")
    st.radio(
        "Exercise",
        names,
        key=EXERCISE,
        format_func=lambda name: label(listing[names.index(name)]),
        label_visibility="collapsed",
    )
    finished = sum(
        1 for item in listing if (p := desk.progress.get(item.name)) and p.done
    )
    st.caption(f"{finished} of {len(listing)} done.")
    if desk.local:
        st.caption(f"Progress is kept in `{desk.progress_file}`.")
    else:
        st.caption("Progress is kept in this browser session.")

st.header(outline.title if outline else f"⚠ {path.name}")
if outline is not None:
    colour = LEVEL_COLOURS.get(outline.level, "gray")
    tags = [f":{colour}-badge[{outline.level}]", f":gray-badge[{outline.spec}]"]
    tags += [f":red-badge[weakness on: {name}]" for name in outline.weaknesses]
    st.markdown(" ".join(tags) + f"  \n{outline.summary}")


def error_box(where: str, message: str, traceback: str) -> None:
    st.error(f"**{message}**\n\n`{where}`", icon=":material/bug_report:")
    if traceback:
        st.code(traceback.rstrip(), language="python")


if graded.error is not None:
    error = graded.error
    error_box(
        f"{error.path}, line {error.line}" if error.line else error.path,
        error.message,
        error.traceback,
    )

text = desk.text(path)
if outline is not None:
    for student in outline.students:
        st.subheader(f"Your function: `{student.signature}`")
        with st.container(border=True):
            st.markdown(student.contract)
        code = function_source(text, student)
        editor = f"editor:{path.name}:{student.name}"
        sources = session.setdefault(EDITOR_SOURCES, {})
        if editor not in session or sources.get(editor) != code:
            # New here, or the function changed (the learner saved it in their
            # own editor): the editor shows it, so saving from the page never
            # puts an older version back over it. A keyed text area keeps what
            # it first showed, whatever `value=` says later.
            session[editor] = sources[editor] = code
        with st.expander("Edit it here", icon=":material/edit:"):
            where = (
                f"Saving writes `{path}`."
                if desk.local
                else "This playground is shared: saving keeps your code in this "
                "browser session only. Copy it out to keep it."
            )
            st.caption(where)
            edited = st.text_area(
                "Your code", height=320, key=editor, label_visibility="collapsed"
            )
            if st.button(
                "Save and check", key=f"save:{path.name}:{student.name}", type="primary"
            ):
                saved_to = desk.save_function(path, student, edited)
                st.toast(f"Saved to {saved_to}.")
                st.rerun()
        st.code(code, language="python", line_numbers=True)
else:
    # The file does not load (a syntax error, say, saved from this page): no
    # function can be cut out of it, so the whole file is editable here.
    st.subheader("Mend the file")
    editor = f"file-editor:{path.name}"
    sources = session.setdefault(EDITOR_SOURCES, {})
    if editor not in session or sources.get(editor) != text:
        session[editor] = sources[editor] = text
    st.caption(
        f"Saving writes `{path}`."
        if desk.local
        else "This playground is shared: saving keeps the file in this browser "
        "session only."
    )
    edited = st.text_area(
        "The exercise file", height=480, key=editor, label_visibility="collapsed"
    )
    if st.button("Save and check", key=f"save-file:{path.name}", type="primary"):
        saved_to = desk.save_text(path, edited)
        st.toast(f"Saved to {saved_to}.")
        st.rerun()

left, right = st.columns([3, 1])
with left:
    if graded.outline is not None:
        st.progress(
            graded.passed_count / max(graded.total, 1),
            text=f"{graded.passed_count} of {graded.total} scenarios passed"
            + (": well done." if graded.passed else ""),
        )
with right:
    if st.button("Check with new inputs", key="new-inputs", icon=":material/casino:"):
        desk.new_inputs()
        st.rerun()
st.caption(
    f"Seed {graded.seed}: `oauth-playground check {path} --seed {graded.seed}` "
    "repeats this run in a terminal."
)


def scenario_panel(result: ScenarioResult, hints: tuple[str, ...]) -> None:
    scenario = outline.scenarios[result.number - 1] if outline else None
    mark = PASSED if result.passed else FAILED
    kind = "attack" if result.attack else "honest flow"
    with st.expander(
        f"{mark} {result.number}. {result.title} · {kind}", expanded=not result.passed
    ):
        if scenario is not None:
            st.markdown(scenario.narrative)
        if result.error is not None:
            error = result.error
            error_box(
                f"{error.path}, line {error.line}" if error.line else error.path,
                error.message,
                error.traceback,
            )
        rows = [
            f"- {PASSED if check.passed else FAILED} {check.description}"
            + (f": {check.detail}" if check.detail and not check.passed else "")
            for check in result.checks
        ]
        if rows:
            st.markdown("\n".join(rows))
        for gain, evidence in breaches(result):
            st.warning(f"**Mallory got:** {gain}", icon=":material/skull:")
            for exchange in evidence:
                st.code(brief_exchange(exchange), language="http", wrap_lines=True)
        if result.calls:
            st.markdown("**Your function was called:**")
            st.code(
                "\n".join(call_line(call) for call in result.calls[:12]),
                language="text",
                wrap_lines=True,
            )
        if result.output.strip():
            st.markdown("**It printed:**")
            st.code(result.output, language="text")
        if not result.passed and hints:
            key = f"hints:{path.name}:{result.number}"
            shown = session.get(key, 0)
            for number in range(1, shown + 1):
                st.info(
                    f"**Hint {number} of {len(hints)}:** {hints[number - 1]}",
                    icon=":material/lightbulb:",
                )
            if shown < len(hints):
                word = "a hint" if shown == 0 else "a more specific hint"
                if st.button(f"Show {word}", key=f"hint-button:{key}"):
                    session[key] = shown + 1
                    st.rerun()
        if result.exchanges:
            tab_diagram, tab_messages = st.tabs(["Sequence diagram", "Every message"])
            with tab_diagram:
                st.graphviz_chart(to_dot(result.exchanges, title=result.title))
            with tab_messages:
                for exchange in result.exchanges:
                    card = message_cards.message(exchange)
                    st.markdown(f"**{card.title}** {card.badges()}")
                    st.code(card.raw, language="http", wrap_lines=True)


if outline is not None:
    st.subheader("The scenarios")
    for result in graded.results:
        scenario_panel(result, outline.scenarios[result.number - 1].hints)
drafted = not desk.local and path.name in desk.drafts
if drafted and st.button("Forget my edits (back to the file)", key="discard"):
    desk.discard_draft(path)
    st.rerun()


@st.fragment(run_every=2)
def watch(path: Path, content: str) -> None:
    """A learner saves the exercise in their own editor: grade it again."""
    if path.name not in desk.drafts and desk.text(path) != content:
        st.rerun()


watch(path, text)
