"""The grading engine: exercises, the sandbox, step checks and results.

Usable alone (no database, no server); the platform in ``tracedojo`` builds on it.
"""

from __future__ import annotations

from grader.exercise import Exercise, QuizQuestion, TraceStep
from grader.grading import grade_file, grade_source
from grader.limits import Limits
from grader.loader import ExerciseError, UnknownExercise, find_exercise, load_exercise, load_exercises
from grader.results import Results, Status, StepResult, StepStatus
from grader.sandbox import Sandbox, SandboxUnavailable

__all__ = [
    "Exercise",
    "ExerciseError",
    "Limits",
    "QuizQuestion",
    "Results",
    "Sandbox",
    "SandboxUnavailable",
    "Status",
    "StepResult",
    "StepStatus",
    "TraceStep",
    "UnknownExercise",
    "find_exercise",
    "grade_file",
    "grade_source",
    "load_exercise",
    "load_exercises",
]
