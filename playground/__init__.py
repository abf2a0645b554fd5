"""The OAuth Playground: lessons, actors, the virtual network and the views.

Lesson and exercise scripts import only what is re-exported here (see
lessons/README.md).
"""

from playground.lesson.api import Lesson, LessonRun
from playground.lesson.exercise import Exercise, ScenarioRun
from playground.lesson.student_code import Refused
from playground.tools import jwt_forge

__all__ = ["Exercise", "Lesson", "LessonRun", "Refused", "ScenarioRun", "jwt_forge"]
