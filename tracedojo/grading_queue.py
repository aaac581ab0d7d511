"""The embedded grading queue: a pool of threads fed from the database.

A submission is stored ``queued`` before it is handed to the pool, so a restart
resumes whatever was queued or running. All threads grade through one warm
``grader.Sandbox`` (thread-safe), restarted if grading through it breaks; each
job claims its submission under a lease (``tracedojo.grading_job``), the same
way the Celery workers do.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from grader import Limits, Sandbox
from tracedojo.grading_job import SubmissionGrader, WarmSandbox
from tracedojo.lessons import Catalog
from tracedojo.live import LiveHub
from tracedojo.models import Submission, SubmissionStatus

log = logging.getLogger("tracedojo.grading")

_STOP = -1


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
        self._jobs: queue.Queue[int] = queue.Queue()
        self._threads: list[threading.Thread] = []

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
            ids = [row.id for row in pending if row.id is not None]
            for row in pending:
                row.status = SubmissionStatus.QUEUED
                row.lease_token = None
                row.lease_until = None
                session.add(row)
            session.commit()
        for submission_id in ids:
            self.enqueue(submission_id)
        return len(ids)

    def enqueue(self, submission_id: int) -> None:
        self.hub.open(submission_id)
        self._jobs.put(submission_id)

    def stop(self, timeout: float = 5.0) -> None:
        for _ in self._threads:
            self._jobs.put(_STOP)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads.clear()
        self.warm.close()

    def _work(self) -> None:
        while True:
            submission_id = self._jobs.get()
            if submission_id == _STOP:
                return
            try:
                self.grader.grade(submission_id)
            except Exception:  # never lose a worker thread; the row stays queued for the next start
                log.exception("grading submission %d failed", submission_id)
