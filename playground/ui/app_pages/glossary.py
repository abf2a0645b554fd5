"""Glossary: the words of RFC 6749 and the seeds, each linked to a lesson.

A view over `playground.glossary`; a term's button selects the lesson that
shows it and goes to the Lessons page.
"""

from __future__ import annotations

import streamlit as st

from playground.tools import glossary
from playground.ui import state
from playground.ui.lesson_links import open_lesson

SEARCH = "glossary_search"
LESSON_BUTTON = "glossary_lesson_{}"  # per term slug


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
