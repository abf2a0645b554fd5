"""Lessons: step through any lesson and see everything that crossed the wire.

A view only: the place (lesson, step, switches) lives in session state, the
step's snapshot comes from `replay_cache` (the lesson itself runs in a lesson
worker, never in this process), the panels from `lesson_panels`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from mock_servers.weaknesses import REGISTRY
from playground.ui import lesson_panels as panels
from playground.ui import (
    lesson_picker,
    replay_cache,
    state,
    step_controls,
)

state.init()
session = st.session_state
memo: replay_cache.LessonMemo = session[state.LESSON_MEMO]
folder = Path(session[state.LESSONS_DIR])
seen_folder = replay_cache.folder_fingerprint(folder)
entries = memo.entries(folder)


def pick(path: str) -> None:
    """A new lesson starts at step 0; clicking the current one keeps the place."""
    if path != session[state.LESSON]:
        session[state.LESSON] = path
        session[state.STEP] = 0


def act(action: str) -> None:
    total = session.get(state.LESSON_LENGTH)
    session[state.STEP] = step_controls.step_after(action, session[state.STEP], total)


# The place survives a browser refresh through the URL (?lesson=...&step=...);
# a URL that names no lesson or no step is said so, once.
params = st.query_params
notices: list[str] = []
if session[state.LESSON] is None:
    place = lesson_picker.place_from_url(
        entries, folder, params.get("lesson"), params.get("step")
    )
    if place is not None:
        session[state.LESSON], session[state.STEP] = place.lesson, place.step
        notices += place.notices

panels.picker(
    lesson_picker.picker_groups(entries),
    folder=folder,
    current=session[state.LESSON],
    on_pick=pick,
)
for weakness in REGISTRY:  # the switches start from the session's list
    if state.weakness_key(weakness.name) not in session:
        on = weakness.name in session[state.WEAKNESSES]
        session[state.weakness_key(weakness.name)] = on

if session[state.LESSON] is None:
    st.title("Lessons")
    st.info(f"No lessons found in `{folder}`.")
    st.stop()

path = Path(session[state.LESSON])
# The switches are read before the replay so a flip replays at once.
weaknesses = [w.name for w in REGISTRY if session.get(state.weakness_key(w.name))]
session[state.WEAKNESSES] = weaknesses
replay = replay_cache.replay(
    memo,
    path,
    session[state.STEP],
    weaknesses=weaknesses,
    defended=bool(session.get(state.DEFENDED)),
    keys=state.world_keys(),
)
if replay.loaded:
    session[state.STEP] = replay.step  # clamped when the lesson got shorter
session[state.LESSON_LENGTH] = replay.total
for notice in notices:
    st.warning(notice, icon=":material/link_off:")
panels.weakness_switches(replay.lesson.weakness if replay.lesson else None)
params.update(lesson=lesson_picker.lesson_key(path, folder), step=str(replay.step))

lesson = replay.lesson
st.header(lesson.title if lesson else f"⚠ {path.name}")
if lesson is not None:
    tags = [f":blue-badge[{lesson.kind}]", f":gray-badge[{lesson.level}]"]
    tags += [f":red-badge[weakness on: {name}]" for name in replay.switches]
    st.markdown(" ".join(tags) + (f"  \n{lesson.summary}" if lesson.summary else ""))
    if lesson.defence:  # folded: the step buttons stay near the top
        with st.expander("The defence", icon=":material/shield:"):
            st.markdown(lesson.defence)
current = replay.current
panels.controls(replay.step, replay.total, act, current.step.title if current else "")
if replay.error is not None:
    panels.lesson_error(replay.error)

if lesson is not None and current is None:
    panels.outline(lesson)
    panels.source(replay)
elif current is not None:
    if not current.ran:
        st.warning(f"Step {current.step.number} did not run: an earlier step failed.")
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.subheader(f"Step {current.step.number}: {current.step.title}")
        st.markdown(current.step.narrative)
        panels.checks(current.checks)
    with right:
        panels.browser(replay.browser)
    panels.diagram(replay)
    left, right = st.columns(2, gap="large")
    with left:
        panels.messages(current.exchanges)
    with right:
        panels.findings(current)
    panels.source(replay)
    panels.earlier_steps(replay.earlier)
    if replay.earlier_hidden:
        st.caption(
            f"…and {replay.earlier_hidden} steps before these: **Back** or "
            "**Reset** reaches them."
        )
else:
    panels.source(replay)


@st.fragment(run_every=2)
def watch(path: Path, digest: str | None) -> None:
    """A student saves a lesson in an editor: replay it to the same step."""
    changed = replay_cache.folder_fingerprint(folder) != seen_folder
    if changed or replay_cache.fingerprint(path) != digest:
        st.rerun()


watch(path, replay.digest)
