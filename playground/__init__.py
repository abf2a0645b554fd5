"""The OAuth Playground: lessons, actors, the virtual network and the views.

Lesson scripts import only what is re-exported here.
"""

from .lesson import Lesson, LessonRun

__all__ = ["Lesson", "LessonRun"]
