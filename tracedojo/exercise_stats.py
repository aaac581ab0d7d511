"""Where learners get stuck in one exercise: the trace row each submission failed at first, and quiz item analysis."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from grader import Exercise
from grader.results import StepResult
from tracedojo.mode_attempts import mode_submission_ids
from tracedojo.models import QuizAnswer, Role, Submission, SubmissionStatus, User, first_failure, parse_steps
from tracedojo.predict_review_stats import (
    PredictLessonStats,
    ReviewLessonStats,
    predict_lesson_stats,
    review_lesson_stats,
)

_NOT_PASSED = ("failed", "timeout", "error")
WRONG_REPLIES_SHOWN = 3
REPLY_CHARS = 200


class WrongReply(BaseModel):
    actual: str
    count: int


class StepStats(BaseModel):
    n: int
    action: str
    expected: str  # the row's result column in the lesson
    failed_first: int  # submissions whose first failing step is this one
    learners: int  # distinct learners among them
    wrong_replies: list[WrongReply]  # what the endpoints did instead, most common first


class QuestionStats(BaseModel):
    id: str
    prompt: str
    answer: str
    answers: int
    learners: int
    share_correct: float | None
    first_try_share_correct: float | None
    choices: dict[str, int]  # every attempt
    first_choices: dict[str, int]  # each learner's first attempt


class ExerciseStats(BaseModel):
    slug: str
    version: str
    submissions: int
    graded: int
    passed: int
    did_not_load: int  # not passed, and no step failed: the code never ran (syntax error, no endpoint...)
    steps: list[StepStats]
    quiz: list[QuestionStats]
    predict: PredictLessonStats  # the Predict mode's runs and scores
    review: ReviewLessonStats  # the Review mode's cards and ratings


def exercise_stats(session: Session, *, exercise: Exercise) -> ExerciseStats:
    """Learners' work only: instructors trying an exercise out do not count."""
    learners = select(User.id).where(User.role == Role.LEARNER)
    submissions = session.exec(
        select(Submission.user_id, Submission.status, Submission.steps).where(
            Submission.exercise_slug == exercise.slug,
            col(Submission.user_id).in_(learners),
            col(Submission.id).not_in(mode_submission_ids()),
        )
    ).all()
    failed_first: Counter[int] = Counter()
    who: dict[int, set[int]] = defaultdict(set)
    replies: dict[int, Counter[str]] = defaultdict(Counter)
    graded = passed = did_not_load = 0
    for user_id, status, steps in submissions:
        if not SubmissionStatus(status).final:
            continue
        graded += 1
        passed += status == SubmissionStatus.PASSED
        first = first_failure(parse_steps(steps))
        if first is not None:
            n = first.n
            failed_first[n] += 1
            who[n].add(user_id)
            replies[n][_reply(first)] += 1
        elif status != SubmissionStatus.PASSED:
            did_not_load += 1
    return ExerciseStats(
        slug=exercise.slug,
        version=exercise.version,
        submissions=len(submissions),
        graded=graded,
        passed=passed,
        did_not_load=did_not_load,
        steps=[
            StepStats(
                n=row.n,
                action=row.action,
                expected=row.result,
                failed_first=failed_first[row.n],
                learners=len(who[row.n]),
                wrong_replies=[
                    WrongReply(actual=a, count=c) for a, c in replies[row.n].most_common(WRONG_REPLIES_SHOWN)
                ],
            )
            for row in exercise.execution_table
        ],
        quiz=_quiz_stats(session, exercise=exercise, learners=learners),
        predict=predict_lesson_stats(session, slug=exercise.slug),
        review=review_lesson_stats(session, slug=exercise.slug),
    )


def _reply(step: StepResult) -> str:
    actual = step.actual.strip() or step.message.strip() or "(nothing)"
    return actual if len(actual) <= REPLY_CHARS else actual[: REPLY_CHARS - 1] + "…"


def _quiz_stats(session: Session, *, exercise: Exercise, learners: Any) -> list[QuestionStats]:
    answers = session.exec(
        select(QuizAnswer)
        .where(QuizAnswer.exercise_slug == exercise.slug, col(QuizAnswer.user_id).in_(learners))
        .order_by(col(QuizAnswer.id))
    ).all()
    by_question: dict[str, list[QuizAnswer]] = defaultdict(list)
    for answer in answers:
        by_question[answer.question_id].append(answer)
    result = []
    for question in exercise.quiz:
        given = by_question.get(question.id, [])
        firsts: dict[int, QuizAnswer] = {}
        for answer in given:
            firsts.setdefault(answer.user_id, answer)
        counts = Counter(a.choice for a in given)
        first_counts = Counter(a.choice for a in firsts.values())
        result.append(
            QuestionStats(
                id=question.id,
                prompt=question.prompt,
                answer=question.answer,
                answers=len(given),
                learners=len(firsts),
                share_correct=sum(a.correct for a in given) / len(given) if given else None,
                first_try_share_correct=sum(a.correct for a in firsts.values()) / len(firsts) if firsts else None,
                choices={letter: counts[letter] for letter in question.choices},
                first_choices={letter: first_counts[letter] for letter in question.choices},
            )
        )
    return result
