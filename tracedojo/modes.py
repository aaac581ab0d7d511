"""The ways to learn a lesson, in one list: their titles, pages, suggested order, and each learner's
progress in each, computed from what is stored (visits, predictions, quiz answers, attempts, submissions).

A new mode is one more ``Mode`` in ``MODES`` (its ``number`` places it in the suggested order) with a
function that reads its progress from ``LessonActivity``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel
from sqlmodel import Session, col, select

from grader import Exercise
from tracedojo.mode_attempts import READ, ModeAttempt, mode_submission_ids, settle
from tracedojo.models import QuizAnswer, Submission, SubmissionStatus, utcnow
from tracedojo.predict_mode import PredictRun, progress_of_runs
from tracedojo.review import ReviewCard, progress_of_cards
from tracedojo.stepping import StepPrediction, StepVisit


class ModeState(StrEnum):
    NOT_STARTED = "not_started"
    STARTED = "started"
    DONE = "done"


STATE_WORDS = {ModeState.NOT_STARTED: "Not started", ModeState.STARTED: "In progress", ModeState.DONE: "Done"}


class ModeProgress(BaseModel):
    state: ModeState
    summary: str  # the progress in words: never only a colour or an icon
    attempts: int = 0
    score: float | None = None  # 0..1 where the mode is scored


@dataclass
class LessonActivity:
    """Everything one learner has stored in one lesson, read once for every mode's progress."""

    exercise: Exercise
    attempts: list[ModeAttempt] = field(default_factory=list)
    visited_rows: set[int] = field(default_factory=set)
    predictions: list[StepPrediction] = field(default_factory=list)
    quiz: list[QuizAnswer] = field(default_factory=list)
    written: list[Submission] = field(default_factory=list)
    predict_runs: list[PredictRun] = field(default_factory=list)
    review_cards: list[ReviewCard] = field(default_factory=list)

    def in_mode(self, mode: str) -> list[ModeAttempt]:
        return [a for a in self.attempts if a.mode == mode]


def learner_activity(session: Session, *, user_id: int, exercises: list[Exercise]) -> dict[str, LessonActivity]:
    """Everything one learner has stored in these lessons, by slug: each table is read once, whether for
    one lesson page or for the whole curriculum on the home page."""
    found = {e.slug: LessonActivity(exercise=e) for e in exercises}
    slugs = list(found)
    attempts = list(
        session.exec(
            select(ModeAttempt)
            .where(ModeAttempt.user_id == user_id, col(ModeAttempt.exercise_slug).in_(slugs))
            .order_by(col(ModeAttempt.id))
        ).all()
    )
    settle(session, attempts)
    for attempt in attempts:
        found[attempt.exercise_slug].attempts.append(attempt)
    for visit in session.exec(
        select(StepVisit).where(StepVisit.user_id == user_id, col(StepVisit.exercise_slug).in_(slugs))
    ).all():
        found[visit.exercise_slug].visited_rows.add(visit.step)
    for prediction in session.exec(
        select(StepPrediction).where(StepPrediction.user_id == user_id, col(StepPrediction.exercise_slug).in_(slugs))
    ).all():
        found[prediction.exercise_slug].predictions.append(prediction)
    for answer in session.exec(
        select(QuizAnswer).where(QuizAnswer.user_id == user_id, col(QuizAnswer.exercise_slug).in_(slugs))
    ).all():
        found[answer.exercise_slug].quiz.append(answer)
    for submission in session.exec(
        select(Submission).where(
            Submission.user_id == user_id,
            col(Submission.exercise_slug).in_(slugs),
            col(Submission.id).not_in(mode_submission_ids()),
        )
    ).all():
        found[submission.exercise_slug].written.append(submission)
    for run in session.exec(
        select(PredictRun).where(PredictRun.user_id == user_id, col(PredictRun.exercise_slug).in_(slugs))
    ).all():
        found[run.exercise_slug].predict_runs.append(run)
    for card in session.exec(
        select(ReviewCard).where(ReviewCard.user_id == user_id, col(ReviewCard.exercise_slug).in_(slugs))
    ).all():
        found[card.exercise_slug].review_cards.append(card)
    return found


@dataclass(frozen=True)
class Mode:
    key: str
    number: int  # the numbering, which is also the suggested order
    title: str
    blurb: str
    path: str  # under /exercises/{slug}; may start with "#" for a part of the lesson page
    progress: Callable[[LessonActivity], ModeProgress]
    graded: bool = False  # its attempts are graded submissions (per-mode scores in the gradebook)

    def url(self, slug: str) -> str:
        return f"/exercises/{slug}{self.path}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _tries(count: int) -> str:
    return f"{count} {'try' if count == 1 else 'tries'}"


def _read(activity: LessonActivity) -> ModeProgress:
    seen = activity.in_mode(READ)
    if not seen:
        return ModeProgress(state=ModeState.NOT_STARTED, summary="Not opened yet")
    return ModeProgress(state=ModeState.DONE, summary=f"Opened on {seen[0].created_at:%d %b %Y}")


def _step(activity: LessonActivity) -> ModeProgress:
    rows = len(activity.exercise.execution_table)
    seen = len(activity.visited_rows & set(range(1, rows + 1)))
    state = ModeState.DONE if seen == rows else ModeState.STARTED if seen else ModeState.NOT_STARTED
    return ModeProgress(state=state, summary=f"{seen} of {rows} rows stepped through", score=seen / rows)


def _predict(activity: LessonActivity) -> ModeProgress:
    progress = progress_of_runs(activity.predict_runs)
    return ModeProgress(
        state=ModeState(progress.state), summary=progress.summary, attempts=progress.runs, score=progress.best_score
    )


def _review(activity: LessonActivity) -> ModeProgress:
    progress = progress_of_cards(activity.review_cards, exercise=activity.exercise, now=utcnow())
    return ModeProgress(
        state=ModeState(progress.state), summary=progress.summary, attempts=progress.reviews, score=progress.score
    )


def _quiz(activity: LessonActivity) -> ModeProgress:
    questions = [q.id for q in activity.exercise.quiz]
    solved = {a.question_id for a in activity.quiz if a.correct} & set(questions)
    state = (
        ModeState.DONE
        if len(solved) == len(questions)
        else ModeState.STARTED
        if activity.quiz
        else ModeState.NOT_STARTED
    )
    return ModeProgress(
        state=state,
        summary=f"{len(solved)} of {len(questions)} questions solved",
        attempts=len(activity.quiz),
        score=len(solved) / len(questions),
    )


def _graded(mode: str) -> Callable[[LessonActivity], ModeProgress]:
    def progress(activity: LessonActivity) -> ModeProgress:
        return graded_progress(activity.in_mode(mode), activity.exercise.max_score)

    return progress


def graded_progress(attempts: list[ModeAttempt], max_score: float) -> ModeProgress:
    if not attempts:
        return ModeProgress(state=ModeState.NOT_STARTED, summary="Not tried yet")
    best = max((a.score for a in attempts if a.score is not None), default=None)
    score = best / max_score if best is not None and max_score else None
    passed = [i for i, a in enumerate(attempts, start=1) if a.passed]
    if passed:
        return ModeProgress(
            state=ModeState.DONE,
            summary=f"Solved on try {passed[0]} of {len(attempts)}",
            attempts=len(attempts),
            score=score,
        )
    waiting = sum(a.passed is None for a in attempts)
    tail = f", {waiting} being graded" if waiting else ""
    return ModeProgress(
        state=ModeState.STARTED,
        summary=f"{_tries(len(attempts))}, not solved yet{tail}",
        attempts=len(attempts),
        score=score,
    )


def _fix(activity: LessonActivity) -> ModeProgress:
    attempts = activity.in_mode("fix")
    base = graded_progress(attempts, activity.exercise.max_score)
    if not attempts:
        return base
    fixed = len({a.variant for a in attempts if a.passed})
    total = len(activity.exercise.variants)
    return base.model_copy(update={"summary": f"{fixed} of {total} bugs fixed in {_tries(len(attempts))}"})


def _write(activity: LessonActivity) -> ModeProgress:
    written = activity.written
    if not written:
        return ModeProgress(state=ModeState.NOT_STARTED, summary="Not submitted yet")
    best = max((s.score for s in written if s.score is not None), default=None)
    score = best / activity.exercise.max_score if best is not None else None
    if any(s.status == SubmissionStatus.PASSED for s in written):
        return ModeProgress(
            state=ModeState.DONE,
            summary=f"Passed ({_plural(len(written), 'submission')})",
            attempts=len(written),
            score=score,
        )
    return ModeProgress(
        state=ModeState.STARTED,
        summary=f"{_plural(len(written), 'submission')}, not passed yet",
        attempts=len(written),
        score=score,
    )


MODES: list[Mode] = [
    Mode("read", 1, "Read the trace", "The concept flow, sample, execution table and key moments.", "#flow", _read),
    Mode("step", 2, "Step through", "Run the trace one row at a time in the stepper.", "#stepper", _step),
    Mode("predict", 3, "Predict", "Say what each row will do before it is shown; scored.", "/predict", _predict),
    Mode("quiz", 4, "Quiz", "Questions on the trace, with hints.", "#quiz", _quiz),
    Mode(
        "parsons",
        5,
        "Parsons puzzle",
        "Put the program's lines in order and indent them.",
        "/parsons",
        _graded("parsons"),
        graded=True,
    ),
    Mode(
        "blanks",
        6,
        "Fill in the blanks",
        "Write the missing accept, receive and reply.",
        "/blanks",
        _graded("blanks"),
        graded=True,
    ),
    Mode("fix", 7, "Fix the bug", "Repair a known-wrong endpoint until it passes.", "/fix", _fix, graded=True),
    Mode("write", 8, "Write it", "Write the whole endpoint yourself.", "/code", _write),
    Mode("review", 9, "Review", "Spaced repetition of the key moments and quiz items.", "/review", _review),
]


def modes_in_order() -> list[Mode]:
    return sorted(MODES, key=lambda mode: mode.number)


def mode_named(key: str) -> Mode | None:
    return next((m for m in MODES if m.key == key), None)


GRADED_MODES = tuple(m.key for m in modes_in_order() if m.graded)


class ModeView(BaseModel):
    key: str
    number: int
    title: str
    blurb: str
    url: str
    progress: ModeProgress
    state_words: str


def lesson_modes(session: Session, *, user_id: int, exercise: Exercise) -> list[ModeView]:
    """Every mode of the lesson with the learner's progress, in the suggested order."""
    return mode_views(learner_activity(session, user_id=user_id, exercises=[exercise])[exercise.slug])


def mode_views(activity: LessonActivity) -> list[ModeView]:
    """Every mode of ``activity``'s lesson with the learner's progress in it, in the suggested order."""
    exercise = activity.exercise
    views = []
    for mode in modes_in_order():
        progress = mode.progress(activity)
        views.append(
            ModeView(
                key=mode.key,
                number=mode.number,
                title=mode.title,
                blurb=mode.blurb,
                url=mode.url(exercise.slug),
                progress=progress,
                state_words=STATE_WORDS[progress.state],
            )
        )
    return views
