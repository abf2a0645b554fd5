"""The Streamlit adapter: pages that draw the playground's views.

Only this package imports streamlit; logic lives in importable modules that
are tested without it.
"""
