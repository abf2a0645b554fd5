"""Placeholder: pkce_lab page (being written)."""

import streamlit as st

st.title("pkce_lab")
