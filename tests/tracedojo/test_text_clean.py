"""Learner text that no renderer can break on: a lone surrogate or a terminal sequence, wherever it was stored
or sent, never makes the learner's or the instructor's JSON (or pages) answer 500."""

from __future__ import annotations

from factories import bearer
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from grader import Exercise
from tracedojo.models import Submission, SubmissionStatus, User
from tracedojo.stepping import StepPrediction
from tracedojo.text_clean import clean_text

HOSTILE = "reply \ud800 then \x1b[2J\x1b]0;PASSED\x07 and \x00"
TERMINAL = "\x1b[2J\x1b]0;PASSED\x07 cleared"


def test_clean_text_leaves_visible_escapes() -> None:
    cleaned = clean_text(HOSTILE)
    assert cleaned == "reply \\ud800 then \\x1b[2J\\x1b]0;PASSED\\x07 and \\x00"
    cleaned.encode("utf-8")  # encodable
    assert clean_text("line one\n\tline two ✓") == "line one\n\tline two ✓"


def test_a_stored_lone_surrogate_does_not_break_any_submission_json(
    client: TestClient, session: Session, learner: User, instructor: User, echo_once: Exercise
) -> None:
    """A row stored before results were cleaned (or written from a forged report): the JSON column of its
    steps can hold a lone surrogate (as the escape ``\\ud800``), its text columns a terminal sequence."""
    assert learner.id is not None
    step = {"n": 1, "title": "Client connects", "status": "failed", "expected": "a reply", "actual": HOSTILE}
    row = Submission(
        user_id=learner.id,
        exercise_slug=echo_once.slug,
        exercise_version=echo_once.version,
        code="x = 1\n",
        max_score=echo_once.max_score,
        status=SubmissionStatus.ERROR,
        score=0.0,
        message=TERMINAL,
        output=TERMINAL,
        steps=[step],
    )
    session.add(row)
    session.commit()
    mine = client.get(f"/api/submissions/{row.id}", headers=bearer(client, learner))
    assert mine.status_code == 200
    body = mine.json()
    assert body["message"] == body["output"] == clean_text(TERMINAL)
    assert body["steps"][0]["actual"] == clean_text(HOSTILE)
    theirs = client.get(f"/api/instructor/submissions/{row.id}", headers=bearer(client, instructor))
    assert theirs.status_code == 200 and theirs.json()["steps"][0]["actual"] == clean_text(HOSTILE)
    for page in (f"/submissions/{row.id}", f"/instructor/submissions/{row.id}"):
        shown = client.get(page, headers=bearer(client, instructor))
        assert shown.status_code == 200 and "\\x1b[2J" in shown.text, page


def test_a_stepper_answer_is_cleaned_where_it_enters(client: TestClient, session: Session, learner: User) -> None:
    headers = {**bearer(client, learner), "Content-Type": "application/json"}
    sent = client.post(
        "/api/exercises/echo-once/predictions",
        content=b'{"step": 6, "answer": "Hello \\ud800 \\u001b[2J"}',
        headers=headers,
    )
    assert sent.status_code == 201, sent.text
    stored = session.exec(select(StepPrediction).where(StepPrediction.user_id == learner.id)).all()
    assert [p.answer for p in stored] == ["Hello \\ud800 \\x1b[2J"]
    assert client.get("/api/exercises/echo-once/predictions", headers=headers).status_code == 200


def test_a_lone_surrogate_in_code_is_refused_by_name_through_the_api(client: TestClient, learner: User) -> None:
    response = client.post(
        "/api/exercises/echo-once/submissions",
        content=b'{"code": "x = 1\\ny = \'\\ud800\'\\n"}',
        headers={**bearer(client, learner), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert "half of a surrogate pair (line 2)" in response.json()["message"]
