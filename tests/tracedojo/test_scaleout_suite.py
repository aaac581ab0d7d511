"""The platform's tests, run again on PostgreSQL + Celery (``scaleout_stack.py``): the same files that
pass on SQLite + inline, in three groups so a failure names its group.

Every other file here is left out because it tests something that is not the platform on a
deployment, or is already tested on these services:

* ``test_grading_queue.py``: the embedded queue itself (resuming its rows at start-up, its warm
  sandbox's zygote dying); on Celery the workers' sweeper and leases do that job, tested in
  ``test_scaleout_grading_job.py`` and ``test_scaleout_celery.py`` (a worker killed mid-grade).
* ``test_live.py``: the in-process ``LiveHub`` alone, which a Celery web process does not use.
* ``test_live_source.py``: ``LiveSource`` over an in-process hub and a SQLite file of its own; on
  Redis it runs inside ``test_live_fallback.py``, ``test_live_real_clients.py`` and the API tests.
* ``test_models.py``: the result model alone, no database.
* ``test_browser_tool.py``: ``tools/browser.py`` (which browser the tests launch), no platform.
* ``test_review.py``: Review's FSRS schedule and deck on a SQLite file of its own (the routes over
  them run in the API group: ``test_api_review.py``).
* ``test_db.py``: migrations on a SQLite file it names; ``test_postgres.py`` is their PostgreSQL twin.
* ``test_browser_latency.py``: a figure (click to first row and to verdict) reported for one learner
  on an idle embedded server; the browser flow itself is rerun in ``test_browser.py``.
* ``test_event_relay.py``: the Redis relay alone, on the real Redis; nothing in it depends on the
  database or queue.
* ``test_postgres.py``, ``test_scaleout_celery.py``, ``test_scaleout_grading_job.py``: these
  already run on the services, each with databases, brokers and processes of its own.
* ``test_accessibility_browser.py``: axe, page widths and keyboard use check the pages' markup,
  CSS and scripts, which are the same whatever database and queue serve them (the learner flow
  itself is rerun in ``test_browser.py``).
* ``test_fair_share.py``: the inline pool's fair queue, the claim's rule (the Celery workers') on a
  SQLite file and on a PostgreSQL database of its own, then the inline pool end to end; the scale-out
  stack runs one worker process of concurrency 1, so there is no second worker to share.
* ``test_rate_limits_shared.py``: already runs on the real Redis, two platforms sharing one limit.
* ``test_text_clean.py``: stores a result row by hand with a lone surrogate in its JSON steps, as only
  SQLite's JSON text holds it; the cleaning itself is the same code whatever the database.
* ``test_cli.py``, ``test_lessons.py``, ``test_security.py``, ``test_settings.py``,
  ``test_frontend_build.py``, ``test_step_wording.py``, ``test_trace_view.py``: no platform runs
  in them (grading CLI, catalog, hashing, settings, the front-end bundle, result wording, the lanes
  derived from an exercise), so there is no database or queue to change.
* ``test_hint_links.py``: the quiz hints' wording and links, read from the exercise files alone.
* ``test_modes_browser.py``: the mode pages' keyboard play, axe and 390 px checks test their markup, CSS
  and scripts, the same whatever serves them; their API and grading are rerun in ``test_api_modes.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
GROUPS = {
    "api": [
        "test_api_auth.py",
        "test_api_learner.py",
        "test_api_instructor.py",
        "test_api_hostile_input.py",
        "test_instructor_api.py",
        "test_cli_platform.py",
        "test_api_stepper.py",
        "test_courses_api.py",
        "test_courses_service.py",
        "test_courses_feedback.py",
        "test_cli_courses.py",
        "test_similarity.py",
        "test_api_modes.py",
        "test_lti_launch.py",
        "test_lti_services.py",
        "test_lti_registration.py",
        "test_api_predict.py",
        "test_api_review.py",
        "test_predict_review_stats.py",
        "test_course_modes_service.py",
        "test_course_modes_api.py",
        "test_course_modes_lti.py",
        "test_burst.py",
        "test_sign_ins.py",
    ],
    "pages-and-live": [
        "test_pages.py",
        "test_pages_newcomer.py",
        "test_instructor_gradebook.py",
        "test_instructor_live.py",
        "test_instructor_charts.py",
        "test_instructor_regrade.py",
        "test_live_fallback.py",
        "test_live_real_clients.py",
        "test_course_pages.py",
        "test_modes_pages.py",
        "test_predict_review_pages.py",
        "test_course_modes_pages.py",
    ],
    "browser": [
        "test_browser.py",
        "test_instructor_browser.py",
        "test_course_browser.py",
        "test_lti_browser.py",
        "test_predict_review_browser.py",
        "test_course_modes_browser.py",
    ],
}
LEFT_OUT = {
    "test_review.py",
    "test_grading_queue.py",
    "test_live.py",
    "test_live_source.py",
    "test_models.py",
    "test_browser_tool.py",
    "test_db.py",
    "test_postgres.py",
    "test_scaleout_celery.py",
    "test_scaleout_grading_job.py",
    "test_scaleout_suite.py",
    "test_cli.py",
    "test_lessons.py",
    "test_security.py",
    "test_settings.py",
    "test_frontend_build.py",
    "test_accessibility_browser.py",
    "test_step_wording.py",
    "test_trace_view.py",
    "test_hint_links.py",
    "test_fair_share.py",
    "test_rate_limits_shared.py",
    "test_text_clean.py",
    "test_modes_browser.py",
    "test_event_relay.py",
    "test_browser_latency.py",
}


def test_every_test_file_is_rerun_or_left_out_for_a_stated_reason() -> None:
    rerun = [name for names in GROUPS.values() for name in names]
    assert len(rerun) == len(set(rerun)), "a file is in two groups"
    assert not set(rerun) & LEFT_OUT
    on_disk = {path.name for path in HERE.glob("test_*.py")}
    assert on_disk - set(rerun) - LEFT_OUT == set(), "new test files: add them to a group (or say why not above)"
    assert (set(rerun) | LEFT_OUT) - on_disk == set(), "listed files that do not exist"
    for name in LEFT_OUT - {Path(__file__).name}:
        assert f"``{name}``" in (__doc__ or ""), f"{name} is left out without a reason in the docstring"


@pytest.mark.services
@pytest.mark.slow
@pytest.mark.parametrize(
    "group",
    [pytest.param(name, marks=[pytest.mark.browser] if name == "browser" else []) for name in GROUPS],
)
def test_the_platform_tests_pass_on_postgres_and_celery(group: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "scaleout_stack",
            "-p",
            "no:cacheprovider",
            *(str(HERE / name) for name in GROUPS[group]),
        ],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=HERE.parent.parent,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert "platform stack: PostgreSQL + Celery" in run.stdout
    summary = run.stdout.strip().splitlines()[-1]
    assert " passed" in summary and not any(word in summary for word in ("failed", "skipped", "deselected", "error")), (
        summary
    )
