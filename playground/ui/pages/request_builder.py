"""Placeholder: request_builder page (being written)."""

import streamlit as st

st.title("request_builder")
