"""Which grant? The decision guide as a few questions, ending in a lesson.

A view over `playground.grant_guide`, whose decision table is tested without
Streamlit. The lesson button selects the lesson for the Lessons page and goes
there.
"""

from __future__ import annotations

import streamlit as st

from playground.tools import grant_guide
from playground.tools.grant_guide import Grant
from playground.ui import state
from playground.ui.lesson_links import open_lesson

OPEN_LESSON = "open_lesson"  # button key for the recommended grant's lesson
QUESTION_KEY = "guide_{}"  # radio key per question id: guide_q1, guide_q2, ...


def ask() -> dict[str, str | None]:
    """Ask each question that applies, in order; the answers so far."""
    answers: dict[str, str | None] = {}
    for question in grant_guide.QUESTIONS:
        if not all(answers.get(name) == value for name, value in question.asked_if):
            continue
        answers[question.id] = st.radio(
            question.text,
            [choice.value for choice in question.choices],
            index=None,
            format_func=question.label,
            key=QUESTION_KEY.format(question.id),
            help=question.help,
        )
    return answers


def show_grant(grant: Grant, key: str, button: str) -> None:
    st.markdown(grant.why)
    st.caption(grant.spec)
    if st.button(button, key=key):
        open_lesson(grant.lesson)


def main() -> None:
    state.init()
    st.title("Which grant?")
    st.markdown(
        "A few questions about your client lead to the grant RFC 9700 (OAuth 2.0 "
        "Security Best Current Practice) recommends, and to the lesson that "
        "shows it on the wire."
    )
    recommendation = grant_guide.recommend(ask())
    st.divider()
    if recommendation is None:
        st.info("Answer the questions above to see a recommendation.")
    else:
        grant = recommendation.grant
        st.success(f"Use the {grant.name} grant.")
        show_grant(grant, OPEN_LESSON, f"Open the lesson: {grant.name}")
        for extra in recommendation.extras:
            st.markdown(f"**And add: {extra.name}.** {extra.why}")
            if st.button(
                f"Open the lesson: {extra.name}", key=f"open_lesson_{extra.question}"
            ):
                open_lesson(extra.lesson)
    st.subheader("History: grants not to choose")
    for grant in grant_guide.HISTORY:
        with st.expander(f"{grant.name}: why not"):
            show_grant(
                grant, f"open_lesson_{grant.id}", "See it go wrong in its lesson"
            )


main()
