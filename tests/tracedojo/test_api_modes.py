from __future__ import annotations

import csv
import io
import json

import pytest
from factories import bearer, create_learner, wait_for_result
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from grader import Exercise
from grader.puzzles import distractor_blocks, sample_blocks
from tracedojo.mode_attempts import ModeAttempt
from tracedojo.mode_puzzles import PARSONS, _token, seed_of
from tracedojo.models import Role, User

BASE = "/api/exercises/echo-once/modes"


def _ids(exercise: Exercise, user: User) -> tuple[list[str], list[str]]:
    """The learner's block ids: the sample's in order, and the distractors'."""
    assert user.id is not None
    seed = seed_of(user.id, exercise.slug, PARSONS)
    return [_token(seed, b.key) for b in sample_blocks(exercise)], [
        _token(seed, b.key) for b in distractor_blocks(exercise)
    ]


def _graded(client: TestClient, attempt: dict, headers: dict[str, str]) -> dict:  # type: ignore[type-arg]
    wait_for_result(client, attempt["submission_id"], headers)
    response = client.get(f"/api/mode-attempts/{attempt['id']}", headers=headers)
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", BASE),
        ("GET", f"{BASE}/parsons"),
        ("POST", f"{BASE}/parsons/attempts"),
        ("GET", f"{BASE}/blanks"),
        ("POST", f"{BASE}/blanks/attempts"),
        ("GET", f"{BASE}/fix"),
        ("POST", f"{BASE}/fix/attempts"),
        ("POST", f"{BASE}/fix/skip"),
        ("GET", f"{BASE}/parsons/attempts"),
        ("GET", "/api/mode-attempts/1"),
        ("GET", "/api/instructor/exercises/echo-once/modes"),
    ],
)
def test_mode_routes_need_a_sign_in(client: TestClient, method: str, url: str) -> None:
    assert client.request(method, url, json={}).status_code == 401


def test_the_modes_come_in_the_suggested_order_with_progress_in_words(client: TestClient, learner: User) -> None:
    headers = bearer(client, learner)
    modes = client.get(BASE, headers=headers).json()
    keys = ["read", "step", "predict", "quiz", "parsons", "blanks", "fix", "write", "review"]
    assert [m["key"] for m in modes] == keys
    assert [m["number"] for m in modes] == list(range(1, 10))
    parsons = modes[4]
    assert parsons["url"] == "/exercises/echo-once/parsons"
    assert parsons["progress"] == {"state": "not_started", "summary": "Not tried yet", "attempts": 0, "score": None}
    assert modes[3]["progress"]["summary"] == "0 of 3 questions solved"
    assert modes[2]["url"] == "/exercises/echo-once/predict" and modes[2]["progress"]["state"] == "not_started"
    assert modes[8]["url"] == "/exercises/echo-once/review"
    assert client.get("/api/exercises/nope/modes", headers=headers).status_code == 404


def test_a_parsons_puzzle_is_shuffled_per_learner_and_hides_its_answer(
    client: TestClient, learner: User, session: Session, echo_once: Exercise
) -> None:
    puzzle = client.get(f"{BASE}/parsons", headers=bearer(client, learner)).json()
    sample, distractors = _ids(echo_once, learner)
    assert sorted(b["id"] for b in puzzle["blocks"]) == sorted(sample + distractors)
    assert puzzle["distractors"] == len(distractors) == 3
    assert puzzle["subgoals"] == list(echo_once.concept_flow.nodes)
    assert set(puzzle["blocks"][0]) == {"id", "lines"}
    assert puzzle["help"] == {"failed_tries": 0, "removed": [], "joined": [], "levels": {}, "messages": []}
    again = client.get(f"{BASE}/parsons", headers=bearer(client, learner)).json()
    assert [b["id"] for b in again["blocks"]] == [b["id"] for b in puzzle["blocks"]]
    other = create_learner(session)
    theirs = client.get(f"{BASE}/parsons", headers=bearer(client, other)).json()
    assert {b["id"] for b in theirs["blocks"]}.isdisjoint({b["id"] for b in puzzle["blocks"]})


def test_parsons_wrong_then_right_with_feedback_and_help(
    client: TestClient, learner: User, echo_once: Exercise, session: Session
) -> None:
    headers = bearer(client, learner)
    sample, distractors = _ids(echo_once, learner)
    levels = [b.level for b in sample_blocks(echo_once)]
    not_awaited = next(
        i for i, b in zip(distractors, distractor_blocks(echo_once), strict=True) if b.text == "websocket.accept()"
    )
    wrong = [{"id": i, "indent": lv} for i, lv in zip(sample, levels, strict=True)]
    wrong[4] = {"id": not_awaited, "indent": 1}  # the accept, without its await
    posted = client.post(f"{BASE}/parsons/attempts", json={"blocks": wrong}, headers=headers)
    assert posted.status_code == 202, posted.text
    failed = _graded(client, posted.json(), headers)
    assert failed["passed"] is False and failed["status"] == "failed"
    assert failed["feedback"].startswith("Step 2 (Server calls websocket.accept()) did not pass")
    assert "block 5 of your program" in failed["feedback"].lower()
    helped = client.get(f"{BASE}/parsons", headers=headers).json()["help"]
    assert helped["failed_tries"] == 1 and len(helped["removed"]) == 1
    right = [{"id": i, "indent": lv} for i, lv in zip(sample, levels, strict=True)]
    passed = _graded(
        client, client.post(f"{BASE}/parsons/attempts", json={"blocks": right}, headers=headers).json(), headers
    )
    assert passed["passed"] is True and passed["score"] == passed["max_score"] == 7
    stored = session.exec(select(ModeAttempt).where(ModeAttempt.user_id == learner.id)).all()
    key = next(b.key for b in distractor_blocks(echo_once) if b.text == "websocket.accept()")
    assert [(a.mode, a.passed, a.detail["distractors"]) for a in stored] == [
        ("parsons", False, [key]),
        ("parsons", True, []),
    ]
    mine = client.get(f"{BASE}/parsons/attempts", headers=headers).json()
    assert [a["passed"] for a in mine] == [False, True]
    modes = {m["key"]: m for m in client.get(BASE, headers=headers).json()}
    assert modes["parsons"]["progress"]["summary"] == "Solved on try 2 of 2"
    assert modes["write"]["progress"]["summary"] == "Not submitted yet"  # a mode's submissions are not written code
    listing = {e["slug"]: e for e in client.get("/api/exercises", headers=headers).json()}
    assert listing["echo-once"]["progress"]["attempts"] == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"blocks": []}, "blocks"),
        ({"blocks": [{"id": "nope", "indent": 0}]}, "'nope' is not a block of your puzzle"),
        ({"blocks": [{"id": "x", "indent": 9}]}, "indent"),
        ({"blocks": [{"id": "x", "indent": 0, "key": "s1"}]}, "key"),
        ({"order": []}, "blocks"),
    ],
)
def test_bad_parsons_answers_are_refused_by_name(client: TestClient, learner: User, body: dict, message: str) -> None:  # type: ignore[type-arg]
    response = client.post(f"{BASE}/parsons/attempts", json=body, headers=bearer(client, learner))
    assert response.status_code == 422
    assert message in str(response.json())


def test_a_block_placed_twice_is_refused(client: TestClient, learner: User, echo_once: Exercise) -> None:
    sample, _ = _ids(echo_once, learner)
    body = {"blocks": [{"id": sample[0], "indent": 0}, {"id": sample[0], "indent": 0}]}
    response = client.post(f"{BASE}/parsons/attempts", json=body, headers=bearer(client, learner))
    assert response.status_code == 422 and "placed more than once" in response.json()["detail"]


def test_blanks_an_equivalent_fill_passes_and_a_wrong_one_names_its_blank(client: TestClient, learner: User) -> None:
    headers = bearer(client, learner)
    puzzle = client.get(f"{BASE}/blanks", headers=headers).json()
    assert [b["id"] for b in puzzle["blanks"]] == ["blank-1", "blank-2", "blank-3"]
    assert puzzle["blanks"][0]["label"] == "Blank 1, line 6 (step 2: Server calls websocket.accept())"
    assert puzzle["lines"][6]["blank"]["prefix"] == "    data = "
    assert "await websocket.accept()" not in str(puzzle)
    fills = {
        "blank-1": "await websocket.accept()",
        "blank-2": "await websocket.receive_text()",
        "blank-3": 'await websocket.send_text("You said: " + data)',
    }
    wrong = _graded(
        client, client.post(f"{BASE}/blanks/attempts", json={"fills": fills}, headers=headers).json(), headers
    )
    assert wrong["passed"] is False
    assert (
        wrong["feedback"].startswith("Step 6 (Server sends response) did not pass") and "blank 3" in wrong["feedback"]
    )
    fills["blank-3"] = 'await websocket.send_text("Message text was: " + data)'  # not the sample's text, same behaviour
    right = _graded(
        client, client.post(f"{BASE}/blanks/attempts", json={"fills": fills}, headers=headers).json(), headers
    )
    assert right["passed"] is True and right["answer"]["fills"]["blank-3"] == fills["blank-3"]


@pytest.mark.parametrize(
    ("fills", "message"),
    [
        ({"blank-1": "x", "blank-2": "y"}, "blank-3 is empty"),
        ({"blank-1": "x", "blank-2": "y", "blank-3": "  "}, "blank-3 is empty"),
        ({"blank-1": "x", "blank-2": "y", "blank-3": "z", "blank-9": "w"}, "'blank-9' is not a blank of this lesson"),
        ({"blank-1": "x\nimport os", "blank-2": "y", "blank-3": "z"}, "fills.blank-1: one line of code"),
        ({"blank-1": "x" * 301, "blank-2": "y", "blank-3": "z"}, "at most 300 characters"),
        ({"blank-1": "\ud800", "blank-2": "y", "blank-3": "z"}, "fills.blank-1: contains half of a surrogate pair"),
        ({"blank-1": "a\x00", "blank-2": "y", "blank-3": "z"}, "fills.blank-1: contains a NUL character"),
    ],
)
def test_bad_fills_are_refused_by_name(client: TestClient, learner: User, fills: dict[str, str], message: str) -> None:
    # Sent as escaped JSON text, as a browser would: a lone surrogate cannot be encoded otherwise.
    body = json.dumps({"fills": fills}).encode("ascii")
    headers = {**bearer(client, learner), "Content-Type": "application/json"}
    response = client.post(f"{BASE}/blanks/attempts", content=body, headers=headers)
    assert response.status_code == 422 and message in response.json()["detail"]


def test_fix_the_bug_moves_on_to_another_variant_once_fixed(
    client: TestClient, learner: User, echo_once: Exercise
) -> None:
    headers = bearer(client, learner)
    puzzle = client.get(f"{BASE}/fix", headers=headers).json()
    sources = {echo_once.source(v.file) for v in echo_once.variants}
    assert puzzle["code"] in sources and puzzle["fixed"] == 0 and puzzle["variants"] == len(echo_once.variants)
    unchanged = {"variant": puzzle["variant"], "code": puzzle["code"]}
    still = _graded(client, client.post(f"{BASE}/fix/attempts", json=unchanged, headers=headers).json(), headers)
    assert still["passed"] is False and "still does not pass" in still["feedback"]
    fixed = {"variant": puzzle["variant"], "code": echo_once.source(echo_once.reference)}
    done = _graded(client, client.post(f"{BASE}/fix/attempts", json=fixed, headers=headers).json(), headers)
    assert done["passed"] is True and done["feedback"].startswith("Fixed. The bug was: ")
    following = client.get(f"{BASE}/fix", headers=headers).json()
    assert following["variant"] != puzzle["variant"] and following["fixed"] == 1
    modes = {m["key"]: m for m in client.get(BASE, headers=headers).json()}
    assert modes["fix"]["progress"]["summary"] == f"1 of {len(echo_once.variants)} bugs fixed in 2 tries"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"variant": "0123456789", "code": "x = 1"}, "is not one of this lesson's bugs"),
        ({"variant": "0123456789"}, "code"),
        ({"code": "x = 1"}, "variant"),
    ],
)
def test_bad_fix_answers_are_refused_by_name(client: TestClient, learner: User, body: dict, message: str) -> None:  # type: ignore[type-arg]
    response = client.post(f"{BASE}/fix/attempts", json=body, headers=bearer(client, learner))
    assert response.status_code == 422 and message in str(response.json())


def test_try_another_bug_moves_on_without_a_fix_and_is_stored(
    client: TestClient, learner: User, echo_once: Exercise, session: Session
) -> None:
    headers = bearer(client, learner)
    first = client.get(f"{BASE}/fix", headers=headers).json()
    tried = {"variant": first["variant"], "code": first["code"]}
    assert (
        _graded(client, client.post(f"{BASE}/fix/attempts", json=tried, headers=headers).json(), headers)["passed"]
        is False
    )
    teacher = bearer(client, create_learner(session, role=Role.INSTRUCTOR))

    def per_variant() -> dict[str, int]:
        stats = client.get("/api/instructor/exercises/echo-once/modes", headers=teacher).json()
        return {v["file"]: v["attempts"] for v in stats["fix_variants"]}

    before = per_variant()
    moved = client.post(f"{BASE}/fix/skip", json={"variant": first["variant"]}, headers=headers)
    assert moved.status_code == 200
    second = moved.json()
    assert second["variant"] != first["variant"] and second["fixed"] == 0 and second["skipped"] == 1
    assert second["code"] in {echo_once.source(v.file) for v in echo_once.variants} - {first["code"]}
    # A second click with the old token (a double click, a stale tab) skips nothing more.
    again = client.post(f"{BASE}/fix/skip", json={"variant": first["variant"]}, headers=headers).json()
    assert again["variant"] == second["variant"] and again["skipped"] == 1
    assert client.get(f"{BASE}/fix", headers=headers).json()["variant"] == second["variant"]
    # The skip is stored apart from the graded attempts: one try at the first variant, none at the second.
    assert len(client.get(f"{BASE}/fix/attempts", headers=headers).json()) == 1
    rows = session.exec(select(ModeAttempt).where(ModeAttempt.user_id == learner.id)).all()
    assert [(r.mode, r.submission_id is None) for r in rows if r.mode.startswith("fix")] == [
        ("fix", False),
        ("fix-skip", True),
    ]
    assert per_variant() == before  # attempts per variant count tries, not skips


@pytest.mark.parametrize(
    ("body", "message"),
    [({"variant": "0123456789"}, "is not one of this lesson's bugs"), ({}, "variant"), ({"variant": ""}, "variant")],
)
def test_bad_skips_are_refused_by_name(client: TestClient, learner: User, body: dict, message: str) -> None:  # type: ignore[type-arg]
    response = client.post(f"{BASE}/fix/skip", json=body, headers=bearer(client, learner))
    assert response.status_code == 422 and message in str(response.json())


def test_empty_fixed_code_is_refused(client: TestClient, learner: User) -> None:
    headers = bearer(client, learner)
    variant = client.get(f"{BASE}/fix", headers=headers).json()["variant"]
    response = client.post(f"{BASE}/fix/attempts", json={"variant": variant, "code": "  "}, headers=headers)
    assert response.status_code == 422 and response.json()["detail"].startswith("code: is empty")


def test_another_learners_attempt_is_not_found_but_an_instructor_sees_it(
    client: TestClient, learner: User, session: Session, echo_once: Exercise
) -> None:
    headers = bearer(client, learner)
    sample, _ = _ids(echo_once, learner)
    attempt = client.post(
        f"{BASE}/parsons/attempts", json={"blocks": [{"id": sample[0], "indent": 0}]}, headers=headers
    ).json()
    stranger = create_learner(session)
    assert client.get(f"/api/mode-attempts/{attempt['id']}", headers=bearer(client, stranger)).status_code == 404
    assert client.get(f"{BASE}/parsons/attempts", headers=bearer(client, stranger)).json() == []
    teacher = create_learner(session, role=Role.INSTRUCTOR)
    seen = client.get(f"/api/mode-attempts/{attempt['id']}", headers=bearer(client, teacher))
    assert seen.status_code == 200 and seen.json()["mode"] == "parsons"
    assert client.get("/api/mode-attempts/0", headers=headers).status_code == 422
    assert client.get(f"/api/mode-attempts/{2**31}", headers=headers).status_code == 422
    assert client.get(f"{BASE}/review/attempts", headers=headers).status_code == 404


def test_instructors_see_per_mode_scores_item_analysis_and_the_gradebook(
    client: TestClient, session: Session, echo_once: Exercise
) -> None:
    learner = create_learner(session)
    headers = bearer(client, learner)
    sample, distractors = _ids(echo_once, learner)
    levels = [b.level for b in sample_blocks(echo_once)]
    blocks = [{"id": i, "indent": lv} for i, lv in zip(sample, levels, strict=True)]
    blocks[6] = {"id": distractors[0], "indent": 1}
    _graded(client, client.post(f"{BASE}/parsons/attempts", json={"blocks": blocks}, headers=headers).json(), headers)
    fills = {"blank-1": "await websocket.accept()", "blank-2": "await websocket.receive_text()", "blank-3": "pass"}
    _graded(client, client.post(f"{BASE}/blanks/attempts", json={"fills": fills}, headers=headers).json(), headers)
    teacher = bearer(client, create_learner(session, role=Role.INSTRUCTOR))
    assert client.get("/api/instructor/exercises/echo-once/modes", headers=headers).status_code == 403
    stats = client.get("/api/instructor/exercises/echo-once/modes", headers=teacher).json()
    by_mode = {m["mode"]: m for m in stats["modes"]}
    assert by_mode["parsons"]["attempts"] >= 1 and by_mode["blanks"]["attempts"] >= 1
    chosen = {d["text"]: d["chosen"] for d in stats["distractors"]}
    assert chosen[distractor_blocks(echo_once)[0].text] >= 1
    assert [d["chosen"] for d in stats["distractors"]] == sorted(chosen.values(), reverse=True)  # most chosen first
    assert "pass" in [w["text"] for w in stats["blanks"][2]["wrong_fills"]]
    assert [v["file"] for v in stats["fix_variants"]] == [v.file for v in echo_once.variants]
    book = {r["username"]: r for r in client.get("/api/instructor/gradebook", headers=teacher).json()}
    cell = book[learner.username]["exercises"]["echo-once"]
    assert (
        cell["attempts"] == 0
        and cell["modes"]["parsons"]["attempts"] == 1
        and cell["modes"]["blanks"]["passed"] is False
    )
    exported = client.get("/api/instructor/gradebook.csv", headers=teacher)
    row = next(r for r in csv.DictReader(io.StringIO(exported.text)) if r["username"] == learner.username)
    assert row["echo-once parsons attempts"] == "1" and row["echo-once blanks passed"] == "no"
    assert client.get("/api/instructor/exercises/nope/modes", headers=teacher).status_code == 404
