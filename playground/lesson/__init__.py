"""Lessons: the API students write against, the runner that replays them, the
workers that run them contained (catalog, pool, worker), reports."""
