"""The playground's entry point: `streamlit run playground/ui/app.py`.

A router only: it sets up the session and lists the pages, one file each.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from playground.ui import state

PAGES = Path(__file__).resolve().parent / "app_pages"

st.set_page_config(
    page_title="OAuth Playground",
    page_icon=":material/lock:",
    layout="wide",
    # Presenter mode (?mode=present) starts with the sidebar out of the way.
    initial_sidebar_state=(
        "collapsed" if st.query_params.get("mode") == "present" else "auto"
    ),
)
state.init()

navigation = st.navigation(
    {
        "Learn": [
            st.Page(
                PAGES / "lessons.py",
                title="Lessons",
                icon=":material/menu_book:",
                default=True,
            ),
            st.Page(
                PAGES / "exercises.py", title="Exercises", icon=":material/shield:"
            ),
            st.Page(
                PAGES / "which_grant.py",
                title="Which grant?",
                icon=":material/explore:",
            ),
            st.Page(
                PAGES / "glossary.py", title="Glossary", icon=":material/dictionary:"
            ),
        ],
        "Tools": [
            st.Page(
                PAGES / "jwt_workbench.py", title="JWT workbench", icon=":material/key:"
            ),
            st.Page(PAGES / "pkce_lab.py", title="PKCE lab", icon=":material/science:"),
            st.Page(
                PAGES / "request_builder.py",
                title="Request builder",
                icon=":material/send:",
            ),
        ],
    }
)
navigation.run()
