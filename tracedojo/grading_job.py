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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, and_, or_, select, update
from sqlmodel import Session

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


def claim(
    engine: Engine, submission_id: int, *, worker_id: str, lease_seconds: float, now: datetime | None = None
) -> Claim | LeaseHeld | None:
    """Take a queued submission (or a running one whose lease expired); None when it is final or gone."""
    now = now or utcnow()
    token = secrets.token_hex(16)
    table = Submission.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        taken = connection.execute(
            update(table)
            .where(
                table.c.id == submission_id,
                or_(
                    table.c.status == SubmissionStatus.QUEUED.value,
                    and_(
                        table.c.status == SubmissionStatus.RUNNING.value,
                        or_(table.c.lease_until.is_(None), table.c.lease_until < now),
                    ),
                ),
            )
            .values(
                status=SubmissionStatus.RUNNING.value,
                lease_token=token,
                lease_until=now + timedelta(seconds=lease_seconds),
                worker_id=worker_id[:128],
                attempts=table.c.attempts + 1,
                started_at=now,
            )
        ).rowcount
        row = connection.execute(
            select(table.c.status, table.c.lease_until, table.c.attempts, table.c.code, table.c.exercise_slug).where(
                table.c.id == submission_id
            )
        ).first()
    if row is None:
        return None
    if taken == 1:
        return Claim(submission_id, token, row.attempts, row.code, row.exercise_slug)
    if row.status == SubmissionStatus.RUNNING.value and row.lease_until is not None:
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


class LeaseHeartbeat:
    """Renews a claim's lease while its grading runs, so the lease can be short.

    A worker that dies (SIGKILL, lost machine) stops renewing, and its submission is
    free again within one lease rather than after the longest grading possible.
    """

    def __init__(self, engine: Engine, held: Claim, *, lease_seconds: float) -> None:
        self.engine = engine
        self.held = held
        self.lease_seconds = lease_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{held.submission_id}", daemon=True)

    def __enter__(self) -> LeaseHeartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.lease_seconds / 3):
            try:
                if not renew(self.engine, self.held, lease_seconds=self.lease_seconds):
                    return  # lost: the final write will be refused, nothing more to keep
            except Exception as exc:
                log.warning("submission %d: could not renew its lease: %s", self.held.submission_id, exc)


def _finish(engine: Engine, held: Claim, values: dict[str, Any]) -> SubmissionPublic | None:
    table = Submission.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        stored = connection.execute(
            update(table)
            .where(
                table.c.id == held.submission_id,
                table.c.status == SubmissionStatus.RUNNING.value,
                table.c.lease_token == held.token,
            )
            .values(**values, finished_at=utcnow(), lease_until=None)
        ).rowcount
    if stored != 1:
        log.warning(
            "submission %d: attempt %d lost its lease before finishing; its result is dropped",
            held.submission_id,
            held.attempt,
        )
        return None
    with Session(engine, expire_on_commit=False) as session:
        row = session.get(Submission, held.submission_id)
        return SubmissionPublic.of(row) if row is not None else None


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
        # Called with the submission's id once its final result is stored (LMS grade passback); each must
        # return quickly, and a failing one never fails the grading.
        self.on_graded: list[Callable[[int], None]] = []

    def grade(self, submission_id: int) -> Claim | LeaseHeld | None:
        """Claim, grade and store; returns the claim, the lease someone else holds, or None (final or gone)."""
        held = claim(self.engine, submission_id, worker_id=self.worker_id, lease_seconds=self.lease_seconds)
        if held is None:
            self.events.close(submission_id)
            return None
        if isinstance(held, LeaseHeld):
            return held
        try:
            with LeaseHeartbeat(self.engine, held, lease_seconds=self.lease_seconds):
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
