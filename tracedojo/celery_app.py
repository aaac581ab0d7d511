"""Grading through Celery (``TRACEDOJO_QUEUE=celery``): the broker configuration and the web side's queue.

Messages carry only a submission id; the row, stored ``queued`` before its id is
sent, is the job. Late acknowledgement, rejection when a worker process is lost
and a prefetch of one mean a message is only gone once its grading finished;
the workers' sweeper (``tracedojo.worker``) covers what a broker cannot redeliver.
"""

from __future__ import annotations

import logging

from celery import Celery

from tracedojo.settings import Settings

log = logging.getLogger("tracedojo.grading")

GRADE_TASK = "tracedojo.grade_submission"


def make_celery(settings: Settings) -> Celery:
    app = Celery("tracedojo", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=settings.celery_queue,
        task_routes={GRADE_TASK: {"queue": settings.celery_queue}},
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,  # a failed task leaves its row queued; the sweeper sends it again
        worker_prefetch_multiplier=1,
        worker_enable_remote_control=False,
        worker_send_task_events=False,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        broker_connection_timeout=4,
        broker_heartbeat=30,
        # Redis: an unacknowledged message comes back after this long (RabbitMQ redelivers when the
        # connection drops). Longer than any grading, so a slow grading is never delivered twice.
        broker_transport_options={"visibility_timeout": int(settings.longest_grading_seconds) + 120},
        # A web request must not hang on a broker that is down: the row is stored, a sweeper sends it later.
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1},
    )
    return app


class CeleryQueue:
    """The web process's grading queue: sends submission ids to the broker; workers grade them."""

    unavailable: str | None = None

    def __init__(self, celery: Celery, *, queue_name: str) -> None:
        self.celery = celery
        self.queue_name = queue_name

    def start(self, *, resume: bool = True) -> None:
        log.info("grading through Celery: broker %s, queue %s", _redacted(self.celery.conf.broker_url), self.queue_name)

    def enqueue(self, submission_id: int, *, learner: int | None = None) -> None:
        """Send a stored submission to the workers (``learner`` is for the inline pool; fair share is the
        workers' claim here)."""
        try:
            self.celery.send_task(GRADE_TASK, args=[submission_id], queue=self.queue_name)
        except Exception as exc:
            log.warning("submission %d stays queued: the broker is unreachable (%s)", submission_id, exc)

    def stop(self, timeout: float = 5.0) -> None:
        self.celery.close()


def _redacted(url: str) -> str:
    from kombu.utils.url import maybe_sanitize_url

    return str(maybe_sanitize_url(url))
