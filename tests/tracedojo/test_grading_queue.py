from __future__ import annotations

import time
from pathlib import Path

import pytest
from factories import EXERCISES, make_settings
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from tracedojo import grading_job, grading_queue
from tracedojo.app import create_app
from tracedojo.db import make_engine, migrate
from tracedojo.models import Submission, SubmissionStatus, User


def _wait_final(engine: object, submission_id: int, timeout: float = 60) -> Submission:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Session(engine) as session:  # type: ignore[arg-type]
            row = session.get(Submission, submission_id)
            assert row is not None
            if SubmissionStatus(row.status).final:
                return row
        time.sleep(0.05)
    raise AssertionError("not graded")


def test_a_restart_resumes_queued_and_running_submissions(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    engine = make_engine(settings.database_url)
    migrate(engine)
    reference = (EXERCISES / "echo-once" / "solution.py").read_text()
    with Session(engine, expire_on_commit=False) as session:
        user = User(username="resumer", password_hash="x")
        session.add(user)
        session.commit()
        assert user.id is not None
        left = [
            Submission(
                user_id=user.id,
                exercise_slug="echo-once",
                exercise_version="old",
                code=reference,
                max_score=7.0,
                status=status,
            )
            for status in (SubmissionStatus.QUEUED, SubmissionStatus.RUNNING)
        ]
        gone = Submission(
            user_id=user.id,
            exercise_slug="no-longer-here",
            exercise_version="v",
            code="x = 1",
            max_score=3.0,
            status=SubmissionStatus.QUEUED,
        )
        session.add_all([*left, gone])
        session.commit()
    with TestClient(create_app(settings)):
        results = [_wait_final(engine, row.id) for row in left if row.id is not None]
        missing = _wait_final(engine, gone.id) if gone.id is not None else None
    assert [r.status for r in results] == ["passed", "passed"]
    assert all(r.score == 7.0 and r.finished_at is not None and r.exercise_version != "old" for r in results)
    assert missing is not None and missing.status == "error" and "no longer available" in missing.message
    engine.dispose()


def test_grading_goes_on_after_the_sandbox_zygote_dies(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    reference = (EXERCISES / "echo-once" / "solution.py").read_text()
    app = create_app(settings)
    platform = app.state.platform
    with TestClient(app) as client:
        client.post("/api/auth/register", json={"username": "phoenix", "password": "long enough pw"})
        token = client.post("/api/auth/token", data={"username": "phoenix", "password": "long enough pw"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        zygote = platform.queue._sandbox._process  # the warm pre-imported process all grading forks from
        assert zygote is not None
        zygote.kill()
        zygote.wait()
        submitted = client.post("/api/exercises/echo-once/submissions", json={"code": reference}, headers=headers)
        row = _wait_final(platform.engine, submitted.json()["id"])
    assert row.status == "passed", row.message


def test_a_claim_that_meets_a_locked_database_is_tried_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings(tmp_path)
    engine = make_engine(settings.database_url)
    migrate(engine)
    with Session(engine, expire_on_commit=False) as session:
        user = User(username="contended", password_hash="x")
        session.add(user)
        session.commit()
        assert user.id is not None
        row = Submission(user_id=user.id, exercise_slug="echo-once", exercise_version="v", code="x", max_score=7.0)
        session.add(row)
        session.commit()
    real, failures = grading_job._claim, [0]

    def locked_twice(*args: object, **kwargs: object) -> object:
        if failures[0] < 2:
            failures[0] += 1
            raise OperationalError("UPDATE submission", {}, Exception("database is locked"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(grading_job, "_claim", locked_twice)
    assert row.id is not None
    held = grading_job.claim(engine, row.id, worker_id="w", lease_seconds=60)
    assert isinstance(held, grading_job.Claim) and failures[0] == 2
    engine.dispose()


def test_a_job_that_fails_for_the_graders_own_reasons_is_queued_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(grading_queue, "RETRY_FAILED_SECONDS", 0.1)
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings)) as client:
        platform = client.app.state.platform  # type: ignore[attr-defined]
        grader = platform.queue.grader
        real, failures = grader.grade, [0]

        def broken_once(submission_id: int) -> object:
            if failures[0] == 0:
                failures[0] += 1
                raise OperationalError("UPDATE submission", {}, Exception("disk I/O error"))
            return real(submission_id)

        monkeypatch.setattr(grader, "grade", broken_once)
        with Session(platform.engine, expire_on_commit=False) as session:
            user = User(username="unlucky", password_hash="x")
            session.add(user)
            session.commit()
            assert user.id is not None
            reference = (EXERCISES / "echo-once" / "solution.py").read_text()
            row = Submission(
                user_id=user.id, exercise_slug="echo-once", exercise_version="v", code=reference, max_score=7.0
            )
            session.add(row)
            session.commit()
        assert row.id is not None
        platform.queue.enqueue(row.id)
        assert _wait_final(platform.engine, row.id).status == "passed"
        assert failures[0] == 1
