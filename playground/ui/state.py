"""Session state in one place: each browser session gets its own world.

Keys are nouns, named once here; pages read and write them through these
constants, never through scattered string literals.
"""

from __future__ import annotations

import streamlit as st

from playground.lesson.catalog import LessonCatalog
from playground.lesson.pool import LessonPool
from playground.lesson.runner import default_lessons_dir
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


def init() -> None:
    """Set this session's defaults once; later reruns keep what the learner did."""
    if KEYS not in st.session_state:
        st.session_state[KEYS] = WorldKeys.generate()
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
    return LessonCatalog(LessonPool())


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
