"""Feedback on code: staff comments on a submission, and reusable feedback tied to a failure pattern.

A failure pattern is the first failing trace row and the kind of its message. Reusable feedback is
matched when it is read, never stored per submission, so its count stays true after a regrade.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from grader.results import StepResult
from tracedojo.course_models import CourseMember, CourseRole, FeedbackRule, SubmissionComment, as_utc
from tracedojo.courses import CourseError
from tracedojo.models import Submission, SubmissionStatus, User, first_failure, utcnow

MAX_COMMENT_CHARS = 4000

# What the endpoint did instead, read from the step's "actual" text; the first match names the kind.
_ACTUAL_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("exception", re.compile(r"\braised\b|\b\w+(Error|Exception)\b")),
    ("denied", re.compile(r"\bden(ied|y)\b|\bHTTP \d{3}\b|\brejected\b", re.IGNORECASE)),
    ("closed", re.compile(r"\bclos(e|ed|ing)\b|\bdisconnect", re.IGNORECASE)),
    ("no reply", re.compile(r"\bnothing\b|\bno (message|reply)\b|\bwaiting\b|\bsilent\b", re.IGNORECASE)),
    ("json", re.compile(r"\bjson\b|^\s*[\[{]", re.IGNORECASE)),
    ("bytes", re.compile(r"\bbytes\b|^b['\"]", re.IGNORECASE)),
    ("text", re.compile(r"\btext\b|^['\"]", re.IGNORECASE)),
)
FAILURE_KINDS = ("timeout", "error", *(name for name, _ in _ACTUAL_KINDS), "other")


def failure_kind(step: StepResult) -> str:
    """The kind of a failing step's message: from its status and actual text."""
    status = str(step.status)
    if status in ("timeout", "error"):
        return status
    actual = step.actual
    for name, pattern in _ACTUAL_KINDS:
        if pattern.search(actual):
            return name
    return "other"


def failure_pattern(steps: Sequence[StepResult]) -> tuple[int, str] | None:
    failed = first_failure(steps)
    if failed is None:
        return None
    return failed.n, failure_kind(failed)


# Comments


class CommentPublic(BaseModel):
    id: int
    submission_id: int
    course_id: int
    author: str
    line: int | None
    body: str
    created_at: datetime
    seen: bool


def check_comment(*, body: str, line: int | None, code: str) -> str:
    body = body.strip()
    if not body:
        raise CourseError("body: is empty; write the comment")
    if len(body) > MAX_COMMENT_CHARS:
        raise CourseError(f"body: is {len(body)} characters; at most {MAX_COMMENT_CHARS}")
    lines = code.count("\n") + 1
    if line is not None and not 1 <= line <= lines:
        raise CourseError(f"line: the submission has lines 1 to {lines}, not {line}")
    return body


def add_comment(
    session: Session, *, submission: Submission, course_id: int, author: User, body: str, line: int | None = None
) -> SubmissionComment:
    assert submission.id is not None and author.id is not None
    text = check_comment(body=body, line=line, code=submission.code)
    row = SubmissionComment(submission_id=submission.id, course_id=course_id, author_id=author.id, line=line, body=text)
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def comments_on(session: Session, *, submission_id: int) -> list[CommentPublic]:
    rows = session.exec(
        select(SubmissionComment, User.username)
        .join(User, col(User.id) == col(SubmissionComment.author_id))
        .where(SubmissionComment.submission_id == submission_id)
        .order_by(col(SubmissionComment.line).is_(None).desc(), col(SubmissionComment.line), col(SubmissionComment.id))
    ).all()
    return [_public(row, author) for row, author in rows]


def _public(row: SubmissionComment, author: str) -> CommentPublic:
    assert row.id is not None
    return CommentPublic(
        id=row.id,
        submission_id=row.submission_id,
        course_id=row.course_id,
        author=author,
        line=row.line,
        body=row.body,
        created_at=as_utc(row.created_at),
        seen=row.seen_at is not None,
    )


def mark_seen(session: Session, *, submission_id: int) -> int:
    """The owner opened their result: its comments are no longer news on their home page."""
    rows = session.exec(
        select(SubmissionComment).where(
            SubmissionComment.submission_id == submission_id, col(SubmissionComment.seen_at).is_(None)
        )
    ).all()
    for row in rows:
        row.seen_at = utcnow()
        session.add(row)
    if rows:
        session.commit()
    return len(rows)


class UnseenFeedback(BaseModel):
    submission_id: int
    exercise: str
    comments: int


def unseen_feedback(session: Session, *, user_id: int) -> list[UnseenFeedback]:
    """The learner's submissions with comments they have not opened yet, newest first."""
    rows = session.exec(
        select(Submission.id, Submission.exercise_slug, SubmissionComment.id)
        .join(SubmissionComment, col(SubmissionComment.submission_id) == col(Submission.id))
        .where(Submission.user_id == user_id, col(SubmissionComment.seen_at).is_(None))
        .order_by(col(Submission.id).desc())
    ).all()
    found: dict[int, UnseenFeedback] = {}
    for submission_id, slug, _ in rows:
        assert submission_id is not None
        entry = found.setdefault(submission_id, UnseenFeedback(submission_id=submission_id, exercise=slug, comments=0))
        entry.comments += 1
    return list(found.values())


# Reusable feedback


class RulePublic(BaseModel):
    id: int
    course_id: int
    exercise: str
    step: int
    kind: str
    body: str
    author: str
    created_at: datetime
    fired: int  # later submissions of the course's learners with this pattern
    learners: int


def create_rule(
    session: Session, *, course_id: int, exercise_slug: str, step_n: int, kind: str, body: str, author: User
) -> FeedbackRule:
    assert author.id is not None
    text = body.strip()
    if not text:
        raise CourseError("body: is empty; write the feedback")
    if len(text) > MAX_COMMENT_CHARS:
        raise CourseError(f"body: is {len(text)} characters; at most {MAX_COMMENT_CHARS}")
    if kind not in FAILURE_KINDS:
        raise CourseError(f"kind: {kind[:32]!r} is not a failure kind; use one of {', '.join(FAILURE_KINDS)}")
    row = FeedbackRule(
        course_id=course_id, exercise_slug=exercise_slug, step_n=step_n, kind=kind, body=text, author_id=author.id
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def rule_from_submission(
    session: Session, *, submission: Submission, course_id: int, body: str, author: User
) -> FeedbackRule:
    """Reusable feedback for the failure pattern of this submission."""
    pattern = failure_pattern(submission.step_results)
    if pattern is None:
        raise CourseError("this submission has no failing step, so it has no failure pattern to attach feedback to")
    step_n, kind = pattern
    return create_rule(
        session,
        course_id=course_id,
        exercise_slug=submission.exercise_slug,
        step_n=step_n,
        kind=kind,
        body=body,
        author=author,
    )


def _course_learners(course_id: int) -> Any:
    return select(CourseMember.user_id).where(
        CourseMember.course_id == course_id, CourseMember.role == CourseRole.LEARNER
    )


def _matches(rule: FeedbackRule, row: Submission) -> bool:
    return (
        row.exercise_slug == rule.exercise_slug
        and SubmissionStatus(row.status).final
        and as_utc(row.created_at) >= as_utc(rule.created_at)
        and failure_pattern(row.step_results) == (rule.step_n, rule.kind)
    )


def rules_of(session: Session, *, course_id: int) -> list[RulePublic]:
    rules = session.exec(
        select(FeedbackRule, User.username)
        .join(User, col(User.id) == col(FeedbackRule.author_id))
        .where(FeedbackRule.course_id == course_id)
        .order_by(col(FeedbackRule.exercise_slug), col(FeedbackRule.step_n), col(FeedbackRule.id))
    ).all()
    slugs = {rule.exercise_slug for rule, _ in rules}
    candidates = (
        session.exec(
            select(Submission).where(
                col(Submission.exercise_slug).in_(slugs), col(Submission.user_id).in_(_course_learners(course_id))
            )
        ).all()
        if slugs
        else []
    )
    found = []
    for rule, author in rules:
        assert rule.id is not None
        hits = [row for row in candidates if _matches(rule, row)]
        found.append(
            RulePublic(
                id=rule.id,
                course_id=rule.course_id,
                exercise=rule.exercise_slug,
                step=rule.step_n,
                kind=rule.kind,
                body=rule.body,
                author=author,
                created_at=as_utc(rule.created_at),
                fired=len(hits),
                learners=len({row.user_id for row in hits}),
            )
        )
    return found


class ReusableFeedback(BaseModel):
    id: int
    step: int
    kind: str
    body: str


def feedback_for(session: Session, *, submission: Submission) -> list[ReusableFeedback]:
    """Reusable feedback of the author's courses that matches this submission's failure pattern."""
    pattern = failure_pattern(submission.step_results)
    if pattern is None or not SubmissionStatus(submission.status).final:
        return []
    courses = select(CourseMember.course_id).where(
        CourseMember.user_id == submission.user_id, CourseMember.role == CourseRole.LEARNER
    )
    rules = session.exec(
        select(FeedbackRule)
        .where(
            FeedbackRule.exercise_slug == submission.exercise_slug,
            FeedbackRule.step_n == pattern[0],
            FeedbackRule.kind == pattern[1],
            col(FeedbackRule.course_id).in_(courses),
        )
        .order_by(col(FeedbackRule.id))
    ).all()
    return [
        ReusableFeedback(id=rule.id, step=rule.step_n, kind=rule.kind, body=rule.body)
        for rule in rules
        if rule.id is not None and _matches(rule, submission)
    ]


def delete_rule(session: Session, *, rule: FeedbackRule) -> None:
    session.delete(rule)
    session.commit()
