"""The embedded grading queue: a pool of threads fed from the database.

A submission is stored ``queued`` before it is handed to the pool, so a restart
resumes whatever was queued or running. All threads grade through one warm
``grader.Sandbox`` (thread-safe), restarted if grading through it breaks; each
job claims its submission under a lease (``tracedojo.grading_job``), the same
way the Celery workers do.

Fair share: the pool takes the oldest waiting submission of a learner who has
no grading running, so one learner's many submissions never hold another's
back; only when nobody else waits does a learner get a second worker.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from grader import Limits, Sandbox
from tracedojo.grading_job import FAIR_SHARE_RETRY_SECONDS, LearnerBusy, SubmissionGrader, WarmSandbox
from tracedojo.lessons import Catalog
from tracedojo.live import LiveHub
from tracedojo.models import Submission, SubmissionStatus

log = logging.getLogger("tracedojo.grading")

_STOP = -1
RETRY_FAILED_SECONDS = 2.0  # a job that failed for the grader's own reasons is tried again after this
MAX_JOB_FAILURES = 3


@dataclass(frozen=True)
class Job:
    submission_id: int
    learner: int | None  # None: not known (then it counts as nobody's)


class FairQueue:
    """The pool's waiting jobs, taken oldest first among learners with nothing running (thread-safe)."""

    def __init__(self) -> None:
        self._waiting: list[Job] = []
        self._running: Counter[int] = Counter()
        self._cond = threading.Condition()

    def put(self, job: Job) -> None:
        with self._cond:
            self._waiting.append(job)
            self._cond.notify()

    def take(self) -> Job:
        """The next job (blocking); its learner counts as running until ``done``."""
        with self._cond:
            while not self._waiting:
                self._cond.wait()
            job = next(
                (j for j in self._waiting if j.learner is None or not self._running[j.learner]),
                self._waiting[0],  # every waiting learner has one running: nobody else is held back
            )
            self._waiting.remove(job)
            if job.learner is not None:
                self._running[job.learner] += 1
            return job

    def done(self, job: Job) -> None:
        with self._cond:
            if job.learner is not None:
                self._running[job.learner] -= 1
                if self._running[job.learner] <= 0:
                    del self._running[job.learner]
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._waiting)


class GradingQueue:
    def __init__(
        self,
        *,
        engine: Engine,
        catalog: Catalog,
        limits: Limits,
        workers: int,
        hub: LiveHub,
        lease_seconds: float | None = None,
    ) -> None:
        self.engine = engine
        self.catalog = catalog
        self.limits = limits
        self.workers = workers
        self.hub = hub
        self.warm = WarmSandbox(limits)
        self.grader = SubmissionGrader(
            engine=engine,
            catalog=catalog,
            sandbox=self.warm,
            events=hub,
            worker_id=f"inline@{socket.gethostname()}:{os.getpid()}",
            lease_seconds=lease_seconds or 2 * limits.submission_timeout + limits.load_timeout + 30,
        )
        self._jobs = FairQueue()
        self._threads: list[threading.Thread] = []
        self._failures: Counter[int] = Counter()

    @property
    def unavailable(self) -> str | None:
        return self.warm.unavailable

    @property
    def _sandbox(self) -> Sandbox | None:
        return self.warm.sandbox

    def start(self, *, resume: bool = True) -> None:
        self.warm.start()
        for n in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"tracedojo-grader-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        resumed = self.resume() if resume else 0
        if resumed:
            log.info("resumed %d submission(s) left queued or running", resumed)

    def resume(self) -> int:
        """One process owns the embedded queue: whatever was queued or running is this process's to redo."""
        with Session(self.engine) as session:
            pending = session.exec(
                select(Submission)
                .where(col(Submission.status).in_([SubmissionStatus.QUEUED, SubmissionStatus.RUNNING]))
                .order_by(col(Submission.id))
            ).all()
            jobs = [Job(row.id, row.user_id) for row in pending if row.id is not None]
            for row in pending:
                row.status = SubmissionStatus.QUEUED
                row.lease_token = None
                row.lease_until = None
                session.add(row)
            session.commit()
        for job in jobs:
            self.hub.open(job.submission_id)
            self._jobs.put(job)
        return len(jobs)

    def enqueue(self, submission_id: int, *, learner: int | None = None) -> None:
        """Hand a stored submission to the pool; ``learner`` (its author) saves looking it up."""
        self.hub.open(submission_id)
        self._jobs.put(Job(submission_id, learner if learner is not None else self._learner_of(submission_id)))

    def _learner_of(self, submission_id: int) -> int | None:
        with Session(self.engine) as session:
            return session.exec(select(Submission.user_id).where(Submission.id == submission_id)).first()

    def stop(self, timeout: float = 5.0) -> None:
        for _ in self._threads:
            self._jobs.put(Job(_STOP, None))
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads.clear()
        self.warm.close()

    def _work(self) -> None:
        while True:
            job = self._jobs.take()
            if job.submission_id == _STOP:
                return
            try:
                outcome = self.grader.grade(job.submission_id)
            except Exception:  # never lose a worker thread, nor the submission: it is tried again later
                self._failures[job.submission_id] += 1
                if self._failures[job.submission_id] < MAX_JOB_FAILURES:
                    log.exception("grading submission %d failed; trying it again", job.submission_id)
                    self._later(job, RETRY_FAILED_SECONDS)
                else:
                    log.exception("grading submission %d failed; it stays queued until restart", job.submission_id)
                    del self._failures[job.submission_id]
            else:
                self._failures.pop(job.submission_id, None)
                if isinstance(outcome, LearnerBusy):
                    self._later(job, FAIR_SHARE_RETRY_SECONDS)
            finally:
                self._jobs.done(job)

    def _later(self, job: Job, seconds: float) -> None:
        timer = threading.Timer(seconds, self._jobs.put, args=(job,))
        timer.daemon = True
        timer.start()
