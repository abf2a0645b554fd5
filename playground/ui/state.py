"""Session state in one place: each browser session gets its own world.

Keys are nouns, named once here; pages read and write them through these
constants, never through scattered string literals.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from playground.lesson.catalog import LessonCatalog
from playground.lesson.pool import LessonPool
from playground.lesson.runner import default_lessons_dir
from playground.ui.diagram_svg import DiagramRenderer
from playground.ui.key_pool import KeyPool
from playground.ui.lesson_watch import LessonWatcher
from playground.ui.replay_cache import LessonMemo
from playground.world import World, WorldKeys

# session_state keys
KEYS = "world_keys"  # WorldKeys: this learner's signing keys, reused by replays
LESSON = "lesson"  # str path of the selected lesson file
STEP = "step"  # int: how many steps have run (0 = none yet)
WEAKNESSES = "weaknesses"  # list[str]: switches the instructor turned on
LESSONS_DIR = "lessons_dir"  # str: the folder lessons are discovered in
LESSON_MEMO = "lesson_memo"  # LessonMemo: this session's loaded lessons and replays
LESSON_LENGTH = "lesson_length"  # int | None: steps in the lesson on screen
DEFENDED = "defended"  # bool toggle: an attack lesson runs with its weakness off
TOOLS_WORLD = "tools_world"  # World: the tool pages' own (workbench, builder)
PRESENTING = "presenting"  # bool toggle: presenter mode (?mode=present)
WEAKNESS_PANEL = "weakness_panel"  # bool: the switches' panel is open


def init() -> None:
    """Set this session's defaults once; later reruns keep what the learner did."""
    if KEYS not in st.session_state:
        st.session_state[KEYS] = key_pool().take()
    st.session_state.setdefault(LESSON, None)
    st.session_state.setdefault(STEP, 0)
    st.session_state.setdefault(WEAKNESSES, [])
    st.session_state.setdefault(LESSONS_DIR, str(default_lessons_dir()))
    if LESSON_MEMO not in st.session_state:
        st.session_state[LESSON_MEMO] = LessonMemo(lesson_catalog())


@st.cache_resource(show_spinner=False)
def lesson_catalog() -> LessonCatalog:
    """The process's lesson workers and the outlines of the files they ran:
    shared by every session (they hold no learner's data at this level;
    each session's runs are keyed by its memo's token inside the workers)."""
    catalog = LessonCatalog(LessonPool())
    # Everything imported so far lives as long as the process: move it out of
    # the collector's sight, so a full collection walks learners' objects only.
    gc.freeze()
    return catalog


@st.cache_resource(show_spinner=False)
def key_pool() -> KeyPool:
    """Keys made ahead of need; each set is handed to one session only."""
    return KeyPool()


@st.cache_resource(show_spinner=False)
def diagram_renderer() -> DiagramRenderer:
    """Sequence diagrams as SVG, each distinct one laid out once per process."""
    return DiagramRenderer()


@st.cache_resource(show_spinner=False)
def lesson_watcher() -> LessonWatcher:
    """The process's one watcher of lesson folders (no poll per page), which
    also lets go of closed tabs' snapshots and runs."""
    pool = lesson_catalog().pool
    return LessonWatcher(
        _rerun_sessions,
        is_active=_is_active,
        linger=float(st.get_option("server.disconnectedSessionTTL")),
        # The workers drop forgotten runs with their next request: send one.
        on_released=pool.stats,
    )


def watch_lessons(folder: str) -> None:
    """Rerun this session when a file in `folder` changes; release its memo
    once its tab has been gone a while."""
    ctx = get_script_run_ctx()
    if ctx is not None:
        lesson_watcher().watch(ctx.session_id, folder, st.session_state[LESSON_MEMO])


def _is_active(session_id: str) -> bool:
    """Whether a tab is connected to this session (AppTest: always)."""
    return not Runtime.exists() or Runtime.instance().is_active_session(session_id)


def _rerun_sessions(ids: Iterable[str]) -> list[str]:
    """Rerun these sessions as Streamlit's own "run on save" does (with the
    client state of their last run: the same page and URL, no button pressed);
    the ids of sessions that are gone, to forget."""
    if not Runtime.exists():  # AppTest: its tests rerun by hand
        return []
    runtime = Runtime.instance()
    gone = []
    for session_id in ids:
        session = runtime.get_app_session(session_id)
        if session is None:
            gone.append(session_id)
            continue
        session.request_rerun(getattr(session, "_client_state", None))
    return gone


def weakness_key(name: str) -> str:
    """The toggle key of one weakness switch on the Lessons page."""
    return f"weakness:{name}"


def world_keys() -> WorldKeys:
    init()
    return st.session_state[KEYS]


def tools_world() -> World:
    """This session's tools world (the JWT workbench and the request builder
    share it), made on first use with the session's keys."""
    init()
    if TOOLS_WORLD not in st.session_state:
        st.session_state[TOOLS_WORLD] = World(keys=world_keys())
    return st.session_state[TOOLS_WORLD]
