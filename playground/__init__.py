"""The OAuth Playground: lessons, actors, the virtual network and the views.

Lesson scripts import only what is re-exported here (see lessons/README.md).
"""

from playground.lesson.api import Lesson, LessonRun
from playground.tools import jwt_forge

__all__ = ["Lesson", "LessonRun", "jwt_forge"]
