"""One grading job, shared by the embedded queue and the Celery worker.

A job claims a stored submission under a lease (a conditional UPDATE that also
draws a fresh token), grades it through the process's warm sandbox, and
stores the result with another conditional UPDATE that only succeeds while the
row is still ``running`` under that token. So however often a submission is
delivered (a redelivered message, a sweeper's requeue, a regrade), at most one
attempt writes its final result; a slower or presumed-dead attempt that
finishes later changes nothing.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, and_, exists, or_, select, update
from sqlalchemy.exc import OperationalError

from grader import (
    Exercise,
    Limits,
    Results,
    Sandbox,
    SandboxUnavailable,
    StepResult,
    grade_source,
)
from tracedojo.lessons import Catalog
from tracedojo.live import LiveEvent, ResultEvent, StepEvent
from tracedojo.models import (
    GradedResult,
    Submission,
    SubmissionPublic,
    SubmissionStatus,
    User,
    submission_name,
    utcnow,
)

log = logging.getLogger("tracedojo.grading")


class EventSink(Protocol):
    """Where a job's live events go: the in-process hub, or a cross-process relay."""

    def open(self, submission_id: int) -> None: ...

    def publish(self, submission_id: int, event: LiveEvent) -> None: ...

    def close(self, submission_id: int) -> None: ...


@dataclass(frozen=True)
class Claim:
    submission_id: int
    token: str
    attempt: int
    code: str
    exercise_slug: str


@dataclass(frozen=True)
class LeaseHeld:
    """Another attempt holds the submission until ``until``."""

    submission_id: int
    until: datetime


@dataclass(frozen=True)
class LearnerBusy:
    """Fair share: its learner already has a grading running while other learners wait; try it later."""

    submission_id: int


FAIR_SHARE_RETRY_SECONDS = 0.5
CLAIM_ATTEMPTS = 8


def claim(
    engine: Engine,
    submission_id: int,
    *,
    worker_id: str,
    lease_seconds: float,
    now: datetime | None = None,
    fair_share: bool = True,
) -> Claim | LeaseHeld | LearnerBusy | None:
    """Take a queued submission (or a running one whose lease expired); None when it is final or gone.

    With ``fair_share`` a learner who already has a grading running gets no second one while another
    learner's submission waits (``LearnerBusy``); with nobody else waiting, their next one runs at once.
    A database too busy to answer (SQLite's lock past its busy timeout) is asked again, never lost.
    """
    for attempt in range(1, CLAIM_ATTEMPTS + 1):
        try:
            return _claim(
                engine, submission_id, worker_id=worker_id, lease_seconds=lease_seconds, now=now, fair=fair_share
            )
        except OperationalError as exc:
            if attempt == CLAIM_ATTEMPTS:
                raise
            log.warning("submission %d: claim attempt %d failed (%s); trying again", submission_id, attempt, exc)
            time.sleep(min(2.0, 0.05 * 2**attempt))
    raise AssertionError("unreachable")


def _claim(
    engine: Engine, submission_id: int, *, worker_id: str, lease_seconds: float, now: datetime | None, fair: bool
) -> Claim | LeaseHeld | LearnerBusy | None:
    now = now or utcnow()
    token = secrets.token_hex(16)
    table = Submission.__table__  # type: ignore[attr-defined]
    users = User.__table__  # type: ignore[attr-defined]
    conditions = [
        table.c.id == submission_id,
        or_(
            table.c.status == SubmissionStatus.QUEUED.value,
            and_(
                table.c.status == SubmissionStatus.RUNNING.value,
                or_(table.c.lease_until.is_(None), table.c.lease_until < now),
            ),
        ),
    ]
    with engine.begin() as connection:
        learner_of = select(table.c.user_id).where(table.c.id == submission_id)
        if fair and connection.dialect.name == "postgresql":
            # One claim per learner at a time: the learner's row is locked as it is read (SQLite has one
            # writer anyway).
            learner = connection.execute(
                select(users.c.id).where(users.c.id == learner_of.scalar_subquery()).with_for_update()
            ).scalar()
        else:
            learner = connection.execute(learner_of).scalar()
        if learner is None:
            return None
        if fair:
            other, theirs = table.alias("other"), table.alias("theirs")
            busy = exists().where(
                other.c.user_id == learner,
                other.c.id != submission_id,
                other.c.status == SubmissionStatus.RUNNING.value,
                other.c.lease_until >= now,
            )
            # Someone else waits with nothing running: they go first (if every waiting learner already has
            # one running, nobody is held back and this one may use the free worker).
            waiting = exists().where(
                other.c.user_id != learner,
                other.c.status == SubmissionStatus.QUEUED.value,
                ~exists().where(
                    theirs.c.user_id == other.c.user_id,
                    theirs.c.status == SubmissionStatus.RUNNING.value,
                    theirs.c.lease_until >= now,
                ),
            )
            # Checked in the claim's own UPDATE (one round trip less per claim); asked on its own only when
            # the UPDATE took nothing, to tell "held back" from "held by another attempt" or "final".
            conditions.append(~and_(busy, waiting))
        taken = connection.execute(
            update(table)
            .where(*conditions)
            .values(
                status=SubmissionStatus.RUNNING.value,
                lease_token=token,
                lease_until=now + timedelta(seconds=lease_seconds),
                worker_id=worker_id[:128],
                attempts=table.c.attempts + 1,
                started_at=now,
            )
            .returning(table.c.attempts, table.c.code, table.c.exercise_slug)
        ).first()
        if taken is not None:
            return Claim(submission_id, token, taken.attempts, taken.code, taken.exercise_slug)
        if fair and connection.execute(select(and_(busy, waiting))).scalar():
            return LearnerBusy(submission_id)
        row = connection.execute(select(table.c.status, table.c.lease_until).where(table.c.id == submission_id)).first()
    if row is not None and row.status == SubmissionStatus.RUNNING.value and row.lease_until is not None:
        return LeaseHeld(submission_id, row.lease_until)
    return None


def renew(engine: Engine, held: Claim, *, lease_seconds: float, now: datetime | None = None) -> bool:
    """Extend ``held``'s lease; False once another attempt owns the row or it is final."""
    now = now or utcnow()
    table = Submission.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        return bool(
            connection.execute(
                update(table)
                .where(
                    table.c.id == held.submission_id,
                    table.c.status == SubmissionStatus.RUNNING.value,
                    table.c.lease_token == held.token,
                )
                .values(lease_until=now + timedelta(seconds=lease_seconds))
            ).rowcount
            == 1
        )


class LeaseKeeper:
    """One thread per process renews every lease its gradings hold, every third of a lease.

    A worker that dies (SIGKILL, lost machine) stops renewing, and its submission is free again within
    one lease rather than after the longest grading possible. One thread serves every grading of the
    process: none is started and joined per submission (under a burst that cost the web process CPU).
    """

    def __init__(self, engine: Engine, *, lease_seconds: float) -> None:
        self.engine = engine
        self.lease_seconds = lease_seconds
        self._held: dict[str, Claim] = {}
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None

    @contextmanager
    def holding(self, held: Claim) -> Iterator[None]:
        with self._lock:
            self._held[held.token] = held
            if self._thread is None:
                self._thread = threading.Thread(target=self._renew_forever, name="lease-keeper", daemon=True)
                self._thread.start()
            self._lock.notify_all()
        try:
            yield
        finally:
            with self._lock:
                self._held.pop(held.token, None)

    def _renew_forever(self) -> None:
        while True:
            with self._lock:
                while not self._held:
                    self._lock.wait()
            time.sleep(self.lease_seconds / 3)
            with self._lock:
                held = list(self._held.values())
            for claim_ in held:
                try:
                    if not renew(self.engine, claim_, lease_seconds=self.lease_seconds):
                        with self._lock:  # lost: the final write will be refused, nothing more to keep
                            self._held.pop(claim_.token, None)
                except Exception as exc:
                    log.warning("submission %d: could not renew its lease: %s", claim_.submission_id, exc)


def _finish(engine: Engine, held: Claim, values: dict[str, Any]) -> SubmissionPublic | None:
    table = Submission.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        # The stored row comes back from the UPDATE itself: no second connection or read per result.
        stored = connection.execute(
            update(table)
            .where(
                table.c.id == held.submission_id,
                table.c.status == SubmissionStatus.RUNNING.value,
                table.c.lease_token == held.token,
            )
            .values(**values, finished_at=utcnow(), lease_until=None)
            .returning(*table.c)
        ).first()
    if stored is None:
        log.warning(
            "submission %d: attempt %d lost its lease before finishing; its result is dropped",
            held.submission_id,
            held.attempt,
        )
        return None
    return SubmissionPublic.of(Submission(**stored._mapping))


def store_results(engine: Engine, held: Claim, results: Results, *, version: str) -> SubmissionPublic | None:
    """The final write, only while ``held`` is still the current claim; None if another attempt owns it."""
    return _finish(
        engine,
        held,
        {**GradedResult.of_results(results).columns(), "exercise_version": version},
    )


def store_error(engine: Engine, held: Claim, message: str) -> SubmissionPublic | None:
    return _finish(engine, held, GradedResult(status=SubmissionStatus.ERROR, score=0.0, message=message).columns())


def requeue_stale(engine: Engine, *, requeue_after: float, now: datetime | None = None, limit: int = 500) -> list[int]:
    """The sweeper: submissions to hand to the queue again; each is returned by one sweeper only.

    * ``running`` whose lease expired (its worker died or vanished): back to ``queued``;
    * ``queued`` for longer than ``requeue_after`` without being taken (its message may
      never have reached the broker, or was lost with it): enqueued again. Taking it
      twice is harmless, since only one claim can hold it.
    Each returned row gets ``lease_until = now + requeue_after`` so it is not returned
    again before then.
    """
    now = now or utcnow()
    table = Submission.__table__  # type: ignore[attr-defined]
    stale_running = and_(
        table.c.status == SubmissionStatus.RUNNING.value,
        or_(table.c.lease_until.is_(None), table.c.lease_until < now),
    )
    stale_queued = and_(
        table.c.status == SubmissionStatus.QUEUED.value,
        or_(
            table.c.lease_until < now,
            and_(table.c.lease_until.is_(None), table.c.created_at < now - timedelta(seconds=requeue_after)),
        ),
    )
    again = now + timedelta(seconds=requeue_after)
    requeued: list[int] = []
    with engine.begin() as connection:
        candidates = (
            connection.execute(
                select(table.c.id).where(or_(stale_running, stale_queued)).order_by(table.c.id).limit(limit)
            )
            .scalars()
            .all()
        )
    for submission_id in candidates:
        with engine.begin() as connection:
            changed = connection.execute(
                update(table)
                .where(table.c.id == submission_id, or_(stale_running, stale_queued))
                .values(status=SubmissionStatus.QUEUED.value, lease_token=None, lease_until=again)
            ).rowcount
        if changed == 1:
            requeued.append(submission_id)
    return requeued


class WarmSandbox:
    """The process's one ``grader.Sandbox`` (thread-safe), started lazily and restarted when it breaks."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.sandbox: Sandbox | None = None
        self.unavailable: str | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        try:
            self._current()
        except SandboxUnavailable as exc:
            self.unavailable = str(exc)
            log.error("grading is unavailable on this machine: %s", exc)

    def grade(self, exercise: Exercise, code: str, *, submission: str, on_step: Any) -> Results:
        for attempt in (1, 2):
            sandbox = self._current()
            try:
                return grade_source(exercise, code, sandbox=sandbox, submission=submission, on_step=on_step)
            except Exception:
                if attempt == 2:
                    raise
                log.exception("the sandbox broke while grading %s; restarting it", submission)
                self._restart(sandbox)
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            if self.sandbox is not None:
                self.sandbox.close()
                self.sandbox = None

    def _current(self) -> Sandbox:
        with self._lock:
            if self.sandbox is None:
                self.sandbox = Sandbox(self.limits).start()
            return self.sandbox

    def _restart(self, broken: Sandbox) -> None:
        with self._lock:
            if self.sandbox is broken:
                try:
                    broken.close()
                except Exception:
                    log.exception("closing the broken sandbox failed")
                self.sandbox = None


class SubmissionGrader:
    """Grades one submission id at a time (callable from several threads)."""

    def __init__(
        self,
        *,
        engine: Engine,
        catalog: Catalog,
        sandbox: WarmSandbox,
        events: EventSink,
        worker_id: str,
        lease_seconds: float,
    ) -> None:
        self.engine = engine
        self.catalog = catalog
        self.sandbox = sandbox
        self.events = events
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self.leases = LeaseKeeper(engine, lease_seconds=lease_seconds)
        # Called with the submission's id once its final result is stored (LMS grade passback); each must
        # return quickly, and a failing one never fails the grading.
        self.on_graded: list[Callable[[int], None]] = []

    def grade(self, submission_id: int) -> Claim | LeaseHeld | LearnerBusy | None:
        """Claim, grade and store; returns the claim, the lease someone else holds, ``LearnerBusy`` (fair share:
        hand it back to the queue for later), or None (final or gone)."""
        held = claim(self.engine, submission_id, worker_id=self.worker_id, lease_seconds=self.lease_seconds)
        if held is None:
            self.events.close(submission_id)
            return None
        if isinstance(held, LeaseHeld | LearnerBusy):
            return held
        try:
            with self.leases.holding(held):
                final = self._grade(held)
        except Exception:  # a grader crash becomes a clear error result, never a hang
            log.exception("grading submission %d failed", submission_id)
            final = store_error(self.engine, held, "The grader failed unexpectedly; please submit again.")
        if final is not None:
            self.events.publish(submission_id, ResultEvent(result=final))
            self.events.close(submission_id)
            for hook in self.on_graded:
                try:
                    hook(submission_id)
                except Exception:
                    log.exception("after grading submission %d: %s failed", submission_id, hook)
        return held

    def _grade(self, held: Claim) -> SubmissionPublic | None:
        exercise = self.catalog.current(held.exercise_slug)
        if exercise is None:
            return store_error(self.engine, held, f"The exercise {held.exercise_slug!r} is no longer available.")
        if self.sandbox.unavailable is not None:
            return store_error(self.engine, held, f"Grading is unavailable on this server: {self.sandbox.unavailable}")

        def on_step(step: StepResult) -> None:
            self.events.publish(held.submission_id, StepEvent(step=step))

        results = self.sandbox.grade(
            exercise, held.code, submission=submission_name(held.submission_id), on_step=on_step
        )
        return store_results(self.engine, held, results, version=exercise.version)
