"""Placeholder: glossary page (being written)."""

import streamlit as st

st.title("glossary")
