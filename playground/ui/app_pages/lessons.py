"""Lessons: step through any lesson and see everything that crossed the wire.

A view only: the place (lesson, step, switches, mode) lives in session state
and in the URL, the step's snapshot comes from `replay_cache` (the lesson
itself runs in a lesson worker, never in this process), the panels from
`lesson_panels`.

What a click costs is what it changes: Next, Back, Run to end and Reset
rerun only the step's fragment (the sidebar and the header are not sent
again), folded panels are drawn only once opened, and the diagram is an SVG
laid out once per process. A lesson file saved in an editor reruns the page
through the process's one watcher (`state.watch_lessons`), not a poll per page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from mock_servers.weaknesses import REGISTRY
from playground.lesson.outline import LessonOutline
from playground.lesson.runner import lesson_weaknesses
from playground.ui import (
    lesson_handout,
    lesson_picker,
    replay_cache,
    state,
    step_controls,
)
from playground.ui import lesson_panels as panels

state.init()
session = st.session_state
memo: replay_cache.LessonMemo = session[state.LESSON_MEMO]
folder = Path(session[state.LESSONS_DIR])
entries = memo.entries(folder)
state.watch_lessons(str(folder))


def pick(path: str) -> None:
    """A new lesson starts at step 0; clicking the current one keeps the place."""
    if path != session[state.LESSON]:
        session[state.LESSON] = path
        session[state.STEP] = 0


def act(action: str) -> None:
    total = session.get(state.LESSON_LENGTH)
    session[state.STEP] = step_controls.step_after(action, session[state.STEP], total)


# The place survives a browser refresh, and a link sent to the class, through
# the URL (?lesson=&step=&weak=&defended=&mode=); what in it names nothing is
# said so, once.
params = st.query_params
notices: list[str] = []
if session[state.LESSON] is None:
    place = lesson_picker.place_from_url(
        entries, folder, params.get("lesson"), params.get("step")
    )
    if place is not None:
        session[state.LESSON], session[state.STEP] = place.lesson, place.step
        notices += place.notices
    switches = lesson_picker.switches_from_url(params.get("weak"))
    session[state.WEAKNESSES] = list(switches.weaknesses)
    notices += switches.notices
    session.setdefault(state.DEFENDED, params.get("defended") == "1")
    session.setdefault(state.PRESENTING, params.get("mode") == "present")

presenting = panels.presenter_switch()
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
weaknesses = tuple(w.name for w in REGISTRY if session.get(state.weakness_key(w.name)))
session[state.WEAKNESSES] = list(weaknesses)
defended = bool(session.get(state.DEFENDED))
found = replay_cache.outline(memo, path)
lesson = found if isinstance(found, LessonOutline) else None
switches_on = lesson_weaknesses(lesson, weaknesses, defended=defended) if lesson else ()

for notice in notices:
    st.warning(notice, icon=":material/link_off:")
if presenting:
    panels.presenter_style()
panels.weakness_switches(lesson.weakness if lesson else None, presenting=presenting)

st.header(lesson.title if lesson else f"⚠ {path.name}")
if lesson is not None:
    tags = [f":blue-badge[{lesson.kind}]", f":gray-badge[{lesson.level}]"]
    tags += [f":red-badge[weakness on: {name}]" for name in switches_on]
    st.markdown(" ".join(tags) + (f"  \n{lesson.summary}" if lesson.summary else ""))
    if lesson.defence:  # folded: the step buttons stay near the top
        with st.expander("The defence", icon=":material/shield:"):
            st.markdown(lesson.defence)
    panels.handout_button(
        lesson_handout.maker(
            memo,
            path,
            weaknesses=weaknesses,
            defended=defended,
            keys=state.world_keys(),
            renderer=state.diagram_renderer(),
        ),
        file_name=lesson_handout.file_name(path, switches_on, defended=defended),
    )


@st.fragment
def step_view(
    path: Path, weaknesses: tuple[str, ...], defended: bool, presenting: bool
) -> None:
    """The step and its panels: a step button reruns only this."""
    replay = replay_cache.replay(
        memo,
        path,
        session[state.STEP],
        weaknesses=weaknesses,
        defended=defended,
        keys=state.world_keys(),
    )
    if replay.loaded:
        session[state.STEP] = replay.step  # clamped when the lesson got shorter
    session[state.LESSON_LENGTH] = replay.total
    lesson_picker.update_url(
        params,
        lesson_picker.url_place(
            lesson_picker.lesson_key(path, folder),
            replay.step,
            weaknesses=weaknesses,
            defended=defended,
            presenting=presenting,
        ),
    )
    current = replay.current
    panels.controls(
        replay.step, replay.total, act, current.step.title if current else ""
    )
    if presenting:
        panels.class_link(params)
    if replay.error is not None:
        panels.lesson_error(replay.error)
    if replay.lesson is not None and current is None:
        panels.outline(replay.lesson, path)
        panels.source(replay, folded=presenting)
    elif current is not None:
        panels.step(replay, state.diagram_renderer(), presenting=presenting)
    else:
        panels.source(replay, folded=presenting)


step_view(path, weaknesses, defended, presenting)
