"""What the learner's own pages (home, result) show of their courses: notices of new comments,
the comments and reusable feedback on a result. Called by tracedojo.routes.pages."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from tracedojo import courses as course_service
from tracedojo import feedback
from tracedojo.models import Submission, User


def home_notices(session: Session, user: User | None) -> dict[str, Any]:
    """The home page's course list and its notice of new comments on the learner's code."""
    if user is None or user.id is None:
        return {"my_courses": [], "unseen_feedback": []}
    return {
        "my_courses": course_service.courses_of(session, user_id=user.id),
        "unseen_feedback": feedback.unseen_feedback(session, user_id=user.id),
    }


def result_feedback(session: Session, *, submission_id: int, viewer: User) -> dict[str, Any]:
    """Comments and reusable feedback for the result page; the owner opening it marks the comments seen."""
    row = session.get(Submission, submission_id)
    if row is None:
        return {"comments": [], "reusable": []}
    found = {
        "comments": feedback.comments_on(session, submission_id=submission_id),
        "reusable": feedback.feedback_for(session, submission=row),
    }
    if row.user_id == viewer.id:
        feedback.mark_seen(session, submission_id=submission_id)
    return found
