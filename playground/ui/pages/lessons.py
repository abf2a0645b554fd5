"""Placeholder: lessons page (being written)."""

import streamlit as st

st.title("lessons")
