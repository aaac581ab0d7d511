"""``tracedojo worker``: a Celery worker that grades through this process's warm sandbox.

Each worker process owns one ``grader.Sandbox`` (grading parallelism comes from
more worker processes, on any number of machines) and runs a sweeper thread
that hands stale rows back to the broker: ``running`` rows whose worker died
(their lease expired) and ``queued`` rows nobody took (their message never
reached the broker, or was lost with it).
"""

from __future__ import annotations

import logging
import os
import socket
import threading

from celery import Celery, Task

from tracedojo.celery_app import GRADE_TASK, make_celery
from tracedojo.db import make_engine, migrate
from tracedojo.event_relay import RedisEventPublisher
from tracedojo.grading_job import (
    FAIR_SHARE_RETRY_SECONDS,
    EventSink,
    LearnerBusy,
    LeaseHeld,
    SubmissionGrader,
    WarmSandbox,
    requeue_stale,
)
from tracedojo.lessons import Catalog
from tracedojo.live import LiveEvent
from tracedojo.models import utcnow
from tracedojo.platform_state import lti_passback
from tracedojo.settings import Settings

log = logging.getLogger("tracedojo.worker")


class NoEvents:
    """No event bus configured: live pages fall back to reading the database."""

    def open(self, submission_id: int) -> None:
        pass

    def publish(self, submission_id: int, event: LiveEvent) -> None:
        pass

    def close(self, submission_id: int) -> None:
        pass


class SandboxUnavailableHere(RuntimeError):
    pass


class GradingWorker:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"
        self.engine = make_engine(
            settings.database_url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
        )
        self.catalog = Catalog.load(settings.exercises_dir)
        self.sandbox = WarmSandbox(settings.limits)
        bus = settings.event_bus_url
        self.events: EventSink = RedisEventPublisher(bus, prefix=settings.events_prefix) if bus else NoEvents()
        self.grader = SubmissionGrader(
            engine=self.engine,
            catalog=self.catalog,
            sandbox=self.sandbox,
            events=self.events,
            worker_id=self.worker_id,
            lease_seconds=settings.lease_seconds,
        )
        # Scores of LMS-linked assignments go back from the process that graded them.
        self.passback = lti_passback(self.engine, settings, self.catalog)
        self.grader.on_graded.append(self.passback.graded)
        self.celery: Celery = make_celery(settings)
        self._register_task()
        self._stopping = threading.Event()

    def _register_task(self) -> None:
        grader = self.grader

        @self.celery.task(name=GRADE_TASK, bind=True, max_retries=None)  # type: ignore[untyped-decorator]
        def grade_submission(task: Task, submission_id: int) -> None:
            outcome = grader.grade(submission_id)
            if isinstance(outcome, LearnerBusy):
                # Fair share: its learner has one running while others wait; their messages come first.
                raise task.retry(countdown=FAIR_SHARE_RETRY_SECONDS)
            if isinstance(outcome, LeaseHeld):
                # Another attempt holds it (a redelivered message while the first worker may still live):
                # look again once that lease has run out; the claim then succeeds or finds it final.
                wait = max(1.0, (outcome.until - utcnow()).total_seconds() + 1)
                raise task.retry(countdown=wait)

    def sweep(self) -> list[int]:
        ids = requeue_stale(self.engine, requeue_after=self.settings.requeue_after)
        for submission_id in ids:
            self.celery.send_task(GRADE_TASK, args=[submission_id], queue=self.settings.celery_queue)
        if ids:
            log.warning("sweeper: handed %d stale submission(s) back to the queue: %s", len(ids), ids)
        return ids

    def _sweep_forever(self) -> None:
        while not self._stopping.wait(self.settings.sweep_interval):
            try:
                self.sweep()
            except Exception as exc:
                log.warning("sweeper: %s", exc)

    def run(self, *, concurrency: int = 1, loglevel: str = "INFO") -> None:
        migrate(self.engine)
        self.sandbox.start()
        if self.sandbox.unavailable is not None:
            raise SandboxUnavailableHere(self.sandbox.unavailable)
        sweeper = threading.Thread(target=self._sweep_forever, name="tracedojo-sweeper", daemon=True)
        sweeper.start()
        self.passback.start()
        argv = [
            "worker",
            f"--concurrency={concurrency}",
            # One sandbox per process, shared by threads (it is thread-safe); never forked.
            f"--pool={'solo' if concurrency == 1 else 'threads'}",
            f"--loglevel={loglevel}",
            f"--queues={self.settings.celery_queue}",
            f"--hostname=tracedojo-{self.worker_id}",
            "--without-mingle",
            "--without-gossip",
        ]
        try:
            self.celery.worker_main(argv)
        finally:
            self._stopping.set()
            self.passback.stop()
            self.sandbox.close()
            self.engine.dispose()
