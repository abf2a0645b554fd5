"""Session state in one place: each browser session gets its own world.

Keys are nouns, named once here; pages read and write them through these
constants, never through scattered string literals.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from playground.world import WorldKeys

# session_state keys
KEYS = "world_keys"  # WorldKeys: this learner's signing keys, reused by replays
LESSON = "lesson"  # str path of the selected lesson file
STEP = "step"  # int: how many steps have run (0 = none yet)
WEAKNESSES = "weaknesses"  # list[str]: switches the instructor turned on
LESSONS_DIR = "lessons_dir"  # str: the folder lessons are discovered in

LESSONS_DIR_ENV = "OAUTH_PLAYGROUND_LESSONS"


def default_lessons_dir() -> Path:
    """`--lessons DIR` reaches the app through the environment; else ./lessons
    beside the package (a source checkout) or in the working directory."""
    configured = os.environ.get(LESSONS_DIR_ENV)
    if configured:
        return Path(configured)
    beside = Path(__file__).resolve().parents[2] / "lessons"
    return beside if beside.is_dir() else Path.cwd() / "lessons"


def init() -> None:
    """Set this session's defaults once; later reruns keep what the learner did."""
    if KEYS not in st.session_state:
        st.session_state[KEYS] = WorldKeys.generate()
    st.session_state.setdefault(LESSON, None)
    st.session_state.setdefault(STEP, 0)
    st.session_state.setdefault(WEAKNESSES, [])
    st.session_state.setdefault(LESSONS_DIR, str(default_lessons_dir()))


def world_keys() -> WorldKeys:
    init()
    return st.session_state[KEYS]
