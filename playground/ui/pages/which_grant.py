"""Placeholder: which_grant page (being written)."""

import streamlit as st

st.title("which_grant")
