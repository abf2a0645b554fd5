"""Lessons: the API students write against, the runner that replays them, the
workers that run them contained (catalog, pool, worker), reports; exercises
(exercise, student_code, plugs), graded in the same workers (grading, grader)."""
