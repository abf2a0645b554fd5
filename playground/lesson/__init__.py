"""Lessons: the API students write against, the runner that replays them, reports."""
