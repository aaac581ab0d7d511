"""Everything one running platform holds: settings, database, exercises, grading queue, limiters."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from tracedojo.celery_app import CeleryQueue, make_celery
from tracedojo.db import make_engine
from tracedojo.event_relay import RedisRelayHub
from tracedojo.grading_queue import GradingQueue
from tracedojo.lessons import Catalog
from tracedojo.live import LiveHub
from tracedojo.lti.passback import GradePassback, RetryPolicy
from tracedojo.security import RateLimit, TokenSigner, rate_limit_storage
from tracedojo.settings import Settings


@dataclass
class Platform:
    settings: Settings
    engine: Engine
    catalog: Catalog
    hub: LiveHub | RedisRelayHub
    queue: GradingQueue | CeleryQueue
    tokens: TokenSigner
    login_limit: RateLimit
    register_limit: RateLimit
    submission_limit: RateLimit
    spray_limit: RateLimit
    passback: GradePassback

    @classmethod
    def build(cls, settings: Settings) -> Platform:
        engine = make_engine(
            settings.database_url, pool_size=settings.database_pool_size, max_overflow=settings.database_max_overflow
        )
        catalog = Catalog.load(settings.exercises_dir)
        hub: LiveHub | RedisRelayHub
        queue: GradingQueue | CeleryQueue
        if settings.queue == "celery":
            # Workers elsewhere grade; their live events come over Redis (or, with none, from the database).
            bus = settings.event_bus_url
            hub = (
                RedisRelayHub(bus, prefix=settings.events_prefix, quiet_check=settings.live_quiet_check)
                if bus
                else LiveHub()
            )
            queue = CeleryQueue(make_celery(settings), queue_name=settings.celery_queue)
        else:
            hub = LiveHub()
            queue = GradingQueue(
                engine=engine,
                catalog=catalog,
                limits=settings.limits,
                workers=settings.grading_workers,
                hub=hub,
                lease_seconds=settings.lease_seconds,
            )
        passback = lti_passback(engine, settings, catalog)
        if isinstance(queue, GradingQueue):
            queue.grader.on_graded.append(passback.graded)
        storage = rate_limit_storage(settings.rate_limit_storage_url)
        prefix = settings.events_prefix
        return cls(
            settings=settings,
            engine=engine,
            catalog=catalog,
            hub=hub,
            queue=queue,
            tokens=TokenSigner(settings.secret_key, max_age=settings.token_max_age),
            login_limit=RateLimit(
                "login attempts", limit=settings.login_attempts_per_minute, storage=storage, namespace=prefix
            ),
            register_limit=RateLimit(
                "registrations", limit=settings.registrations_per_minute, storage=storage, namespace=prefix
            ),
            submission_limit=RateLimit(
                "submissions", limit=settings.submissions_per_minute, storage=storage, namespace=prefix
            ),
            # Password spraying: one address trying a few passwords on many usernames.
            spray_limit=RateLimit(
                "failed sign-ins from this address",
                limit=settings.failed_logins_per_address,
                window=15 * 60,
                storage=storage,
                namespace=prefix,
            ),
            passback=passback,
        )


def lti_passback(engine: Engine, settings: Settings, catalog: Catalog | None = None) -> GradePassback:
    policy = RetryPolicy(first_delay=settings.lti_retry_seconds, max_attempts=settings.lti_max_attempts)
    return GradePassback(engine, policy=policy, poll=settings.lti_poll_seconds, lessons=catalog)
