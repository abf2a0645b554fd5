"""Placeholder: jwt_workbench page (being written)."""

import streamlit as st

st.title("jwt_workbench")
