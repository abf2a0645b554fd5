"""Going to a lesson from another page (the grant guide, the glossary)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from playground.ui import state

LESSONS_PAGE = Path(__file__).resolve().parent / "app_pages" / "lessons.py"


def open_lesson(file_name: str) -> None:
    """Select the lesson from its first step, then show it on the Lessons page."""
    lessons_dir = Path(st.session_state[state.LESSONS_DIR])
    st.session_state[state.LESSON] = str(lessons_dir / file_name)
    st.session_state[state.STEP] = 0
    try:
        st.switch_page(LESSONS_PAGE)
    except StreamlitPageNotFoundError:
        # This page was opened on its own, outside the app's navigation.
        st.info(f"Lesson {file_name} is selected: open **Lessons** to start it.")
