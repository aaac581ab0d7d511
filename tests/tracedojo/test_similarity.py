from __future__ import annotations

import json
import os
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import pytest
import typer
from factories import EXERCISES, bearer, create_learner, random_username
from fastapi.testclient import TestClient
from sqlmodel import Session
from test_pages import sign_in
from typer.testing import CliRunner

from grader import Exercise
from tracedojo.cli_platform import register
from tracedojo.db import make_engine, migrate
from tracedojo.models import Role, Submission, SubmissionStatus, User
from tracedojo.similarity import Candidate, boilerplate_of, compare, segments

# One learner's own echo loop (beyond the lesson's sample: a history, a helper, blank lines skipped) ...
ORIGINAL = """from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()
history: list[str] = []


def reply_for(text: str) -> str:
    history.append(text)
    if len(history) > 100:
        del history[:50]
    return f"Message text was: {text}"


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_text()
            if not data.strip():
                continue
            answer = reply_for(data)
            await websocket.send_text(answer)
    except WebSocketDisconnect:
        history.clear()
"""

# ... copied with every name changed ...
RENAMED = (
    ORIGINAL.replace("history", "seen_messages")
    .replace("reply_for", "make_reply")
    .replace("answer", "out")
    .replace("data", "incoming")
    .replace("(text: str)", "(msg: str)")
    .replace("append(text)", "append(msg)")
    .replace("{text}", "{msg}")
)

# ... and copied with the helper moved below the endpoint, names changed and a comment added.
REORDERED = """from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()
log: list[str] = []


@app.websocket("/ws")
async def websocket_endpoint(ws: WebSocket):
    # echo everything back
    await ws.accept()
    try:
        while True:
            received = await ws.receive_text()
            if not received.strip():
                continue
            response = respond(received)
            await ws.send_text(response)
    except WebSocketDisconnect:
        log.clear()


def respond(line: str) -> str:
    log.append(line)
    if len(log) > 100:
        del log[:50]
    return f"Message text was: {line}"
"""

# Independent solutions: the exercise's own alternative styles, written separately.
INDEPENDENT = {
    name: (EXERCISES / "echo-loop" / "styles" / f"{name}.py").read_text()
    for name in ("endpoint_class", "iter_text", "router", "disconnect_code")
}
COPIES = {"original": ORIGINAL, "renamed": RENAMED, "reordered": REORDERED}


@pytest.fixture(scope="module")
def echo_loop() -> Exercise:
    from grader.loader import find_exercise

    return find_exercise("echo-loop", EXERCISES)


def _candidates(codes: dict[str, str]) -> list[Candidate]:
    return [
        Candidate(submission_id=n, user_id=n, username=name, score=1.0, max_score=1.0, code=code)
        for n, (name, code) in enumerate(codes.items(), start=1)
    ]


def test_near_copies_rank_above_independent_solutions(echo_loop: Exercise) -> None:
    report = compare(
        _candidates({**INDEPENDENT, **COPIES}), boilerplate=boilerplate_of(echo_loop), exercise="echo-loop"
    )
    assert report.candidates == 7 and report.compared == 21
    ranked = [frozenset((p.left.username, p.right.username)) for p in report.pairs]
    copy_pairs = {frozenset(pair) for pair in combinations(COPIES, 2)}
    assert set(ranked[:3]) == copy_pairs, ranked
    top = {frozenset((p.left.username, p.right.username)): p for p in report.pairs}
    assert all(top[pair].share > 0.5 for pair in copy_pairs)
    others = [p.share for p in report.pairs if frozenset((p.left.username, p.right.username)) not in copy_pairs]
    assert all(share < min(top[pair].share for pair in copy_pairs) for share in others)


def test_the_lessons_sample_is_boilerplate(echo_loop: Exercise) -> None:
    sample = echo_loop.sample.code
    # Two learners who both typed out the lesson's sample share nothing once it is boilerplate ...
    twins = _candidates({"a": sample, "b": sample.replace("data", "text")})
    assert compare(twins, boilerplate=boilerplate_of(echo_loop)).pairs == []
    # ... and everything without it.
    plain = compare(twins, boilerplate=[])
    assert len(plain.pairs) == 1 and plain.pairs[0].share > 0.9


def test_shared_regions_are_marked_and_cover_the_code(echo_loop: Exercise) -> None:
    report = compare(_candidates(COPIES), boilerplate=boilerplate_of(echo_loop))
    for pair in report.pairs:
        for side, parts in ((pair.left, pair.left_segments), (pair.right, pair.right_segments)):
            assert "".join(part.text for part in parts) == side.code
            shared = "".join(part.text for part in parts if part.shared)
            assert "del " in shared and "Message text was" in shared
    assert segments("abcdef", [[1, 2], [3, 3]]) == [
        *segments("a", [[], []]),
        segments("abcdef", [[1], [3]])[1],
        *segments("def", [[], []]),
    ]


def _store(session: Session, user: User, code: str, *, score: float, status: str = "passed") -> Submission:
    row = Submission(
        user_id=user.id or 0,
        exercise_slug="echo-loop",
        exercise_version="test",
        code=code,
        status=SubmissionStatus(status),
        score=score,
        max_score=6.0,
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def test_instructor_page_and_api_rank_best_submissions(client: TestClient, session: Session) -> None:
    learners = {name: create_learner(session, username=random_username()) for name in ("orig", "copy", "own")}
    # The copier's best submission is the copy; an earlier, worse one and a queued one are not compared.
    _store(session, learners["orig"], ORIGINAL + "\n# <b>mine</b> & not yours\n", score=6.0)
    _store(session, learners["copy"], INDEPENDENT["iter_text"] + "\n# first try\n", score=2.0)
    best = _store(session, learners["copy"], RENAMED, score=6.0)
    _store(session, learners["copy"], "x = '<script>alert(1)</script>'\n" + RENAMED, score=0, status="queued")
    _store(session, learners["own"], INDEPENDENT["endpoint_class"] + "\n\nprint('<b>mine</b>')\n", score=6.0)
    instructor = create_learner(session, role=Role.INSTRUCTOR)
    names = {u.username: k for k, u in learners.items()}

    body = client.get("/api/instructor/exercises/echo-loop/similarity", headers=bearer(client, instructor)).json()
    mine = [p for p in body["pairs"] if p["left"]["username"] in names and p["right"]["username"] in names]
    first = mine[0]
    assert {names[first["left"]["username"]], names[first["right"]["username"]]} == {"orig", "copy"}
    assert best.id in (first["left"]["submission"], first["right"]["submission"])
    assert first["share"] > 0.5 and first["shared_tokens"] > 0
    assert all(p["share"] < first["share"] for p in mine[1:])

    learner = create_learner(session)
    refused = client.get("/api/instructor/exercises/echo-loop/similarity", headers=bearer(client, learner))
    assert refused.status_code == 403
    unknown = client.get("/api/instructor/exercises/no-such/similarity", headers=bearer(client, instructor))
    assert unknown.status_code == 404

    page = TestClient(client.app)
    sign_in(page, instructor)
    html = page.get("/instructor/exercises/echo-loop/similarity?top=500").text
    assert f'data-left="{first["left"]["username"]}" data-right="{first["right"]["username"]}"' in html
    assert "<mark>" in html and "&lt;b&gt;mine&lt;/b&gt;" in html and "<b>mine</b>" not in html
    assert "alert(1)" not in html  # the queued submission is not anyone's best graded one
    for verdict in ("plagiar", "cheat", "guilty", "suspicious"):
        assert verdict not in html.lower()


def test_cli_ranks_pairs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TRACEDOJO_DATABASE_URL", url)
    engine = make_engine(url)
    migrate(engine)
    with Session(engine, expire_on_commit=False) as session:
        for name, code in {**COPIES, "classy": INDEPENDENT["endpoint_class"]}.items():
            _store(session, create_learner(session, username=name), code, score=6.0)
    engine.dispose()
    app = typer.Typer()
    register(app)
    runner = CliRunner()

    result = runner.invoke(app, ["similarity", "echo-loop", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["learners"] == 4 and report["pairs_compared"] == 6
    top3 = [{p["left"]["username"], p["right"]["username"]} for p in report["pairs"][:3]]
    assert all(pair <= set(COPIES) for pair in top3)

    table = runner.invoke(app, ["similarity", "echo-loop", "--top", "1"])
    assert table.exit_code == 0 and "4 learner(s)" in table.output and "side by side" in table.output
    unknown = runner.invoke(app, ["similarity", "nope"])
    assert unknown.exit_code == 2 and "unknown exercise 'nope'" in unknown.output


_FIGURES = """
import json, sys
sys.path.insert(0, sys.argv[1])
from test_similarity import COPIES, _candidates
from grader.loader import find_exercise
from tracedojo.similarity import boilerplate_of, compare
report = compare(_candidates(COPIES), boilerplate=boilerplate_of(find_exercise("echo-loop")))
print(json.dumps([
    [p.left.username, p.right.username, p.shared_tokens, p.left_share, p.right_share,
     [s.text for s in p.left_segments if s.shared]]
    for p in report.pairs
]))
"""


def test_the_figures_are_the_same_in_every_process() -> None:
    """Python salts ``hash()`` per process; the ranking and the marked regions must not depend on it."""
    here = str(Path(__file__).resolve().parent)
    runs = {
        subprocess.run(
            [sys.executable, "-c", _FIGURES, here],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(runs) == 1, runs
    assert json.loads(runs.pop())  # some pair was found
