"""Glossary: the words of RFC 6749 and the seeds, each linked to a lesson.

A view over `playground.glossary`; a term's button selects the lesson that
shows it and goes to the Lessons page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from playground import glossary
from playground.ui import state

SEARCH = "glossary_search"
LESSON_BUTTON = "glossary_lesson_{}"  # per term slug
LESSONS_PAGE = Path(__file__).resolve().with_name("lessons.py")


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


def main() -> None:
    state.init()
    st.title("Glossary")
    st.markdown(
        "The words of OAuth 2.0 (RFC 6749) and its companions, in plain "
        "language. Each one links to the lesson where you can watch it happen."
    )
    terms = glossary.search(st.text_input("Search", key=SEARCH))
    if not terms:
        st.info("No term matches; try another word.")
    for term in terms:
        with st.container(border=True):
            st.subheader(term.term)
            st.markdown(term.definition)
            st.caption(term.spec)
            if st.button(
                glossary.lesson_label(term.lesson),
                key=LESSON_BUTTON.format(term.slug),
            ):
                open_lesson(term.lesson)


main()
