"""Accounts: sign-ins end on the server (logout, token revocation), passwords that are easy to guess are
refused, spraying one password over many usernames is limited per address, and older hashes are redone."""

from __future__ import annotations

from pathlib import Path

from argon2 import PasswordHasher
from factories import PASSWORD, create_learner, make_settings, random_username
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from test_pages import csrf_of, sign_in

from tracedojo.app import create_app
from tracedojo.login_sessions import LoginSession
from tracedojo.models import User
from tracedojo.platform_state import Platform


def _token(client: TestClient, user: User) -> str:
    response = client.post("/api/auth/token", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def test_a_revoked_token_answers_401_and_the_others_still_work(client: TestClient, learner: User) -> None:
    first, second = _token(client, learner), _token(client, learner)
    bearer = {"Authorization": f"Bearer {first}"}
    assert client.get("/api/exercises", headers=bearer).status_code == 200
    assert client.post("/api/auth/logout", headers=bearer).status_code == 204
    refused = client.get("/api/exercises", headers=bearer)
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert client.post("/api/auth/logout", headers=bearer).status_code == 401
    with client.websocket_connect(f"/api/submissions/1/live?token={first}") as ws:
        assert ws.receive()["code"] == 4401
    assert client.get("/api/exercises", headers={"Authorization": f"Bearer {second}"}).status_code == 200


def test_logout_ends_the_browser_session_even_for_a_kept_cookie(anonymous: TestClient, learner: User) -> None:
    sign_in(anonymous, learner)
    kept = dict(anonymous.cookies)
    home = anonymous.get("/")
    assert learner.username in home.text
    assert anonymous.post("/logout", data={"csrf_token": csrf_of(home)}, follow_redirects=False).status_code == 303
    replayed = TestClient(anonymous.app, cookies=kept)
    assert replayed.get("/api/exercises").status_code == 401
    assert replayed.get("/exercises/echo-once", follow_redirects=False).status_code == 303  # to sign in


def test_api_logout_ends_a_browser_session_too(anonymous: TestClient, learner: User) -> None:
    sign_in(anonymous, learner)
    token = csrf_of(anonymous.get("/"))
    assert anonymous.post("/api/auth/logout", headers={"X-CSRF-Token": token}).status_code == 204
    assert anonymous.get("/api/exercises").status_code == 401


def test_passwords_equal_to_the_username_or_common_are_refused(client: TestClient) -> None:
    name = random_username() + "xyz"
    same = client.post("/api/auth/register", json={"username": name, "password": name.upper()})
    assert same.status_code == 422
    assert same.json()["message"] == "password: must not be the same as the username"
    common = client.post("/api/auth/register", json={"username": random_username(), "password": "password123"})
    assert common.status_code == 422
    assert common.json()["message"].startswith("password: is too easy to guess (this is a very common password)")
    assert "password123" not in common.text


def test_the_register_page_says_why_a_password_is_refused(anonymous: TestClient) -> None:
    token = csrf_of(anonymous.get("/register"))
    page = anonymous.post(
        "/register",
        data={
            "username": random_username(),
            "password": "qwertyuiop",
            "password_again": "qwertyuiop",
            "csrf_token": token,
        },
    )
    assert page.status_code == 400
    assert "The password is too easy to guess" in page.text


def test_spraying_one_password_over_many_usernames_is_limited_per_address(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, failed_logins_per_address=3))) as client:
        platform: Platform = client.app.state.platform  # type: ignore[attr-defined]
        with Session(platform.engine, expire_on_commit=False) as session:
            victims = [create_learner(session) for _ in range(4)]
        for victim in victims[:3]:
            wrong = client.post("/api/auth/token", data={"username": victim.username, "password": "Summer2026!"})
            assert wrong.status_code == 401
        blocked = client.post("/api/auth/token", data={"username": victims[3].username, "password": "Summer2026!"})
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
        assert "failed sign-ins from this address" in blocked.json()["detail"]
        # Even the right password waits: the address is the one spraying.
        right = client.post("/api/auth/token", data={"username": victims[3].username, "password": PASSWORD})
        assert right.status_code == 429


def test_a_hash_made_with_heavier_parameters_still_signs_in_and_is_redone(
    client: TestClient, session: Session, learner: User
) -> None:
    learner.password_hash = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(PASSWORD)
    session.add(learner)
    session.commit()
    _token(client, learner)
    session.refresh(learner)
    assert learner.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_ended_sign_ins_are_forgotten_at_the_next_one(client: TestClient, session: Session, learner: User) -> None:
    ended = _token(client, learner)
    assert client.post("/api/auth/logout", headers={"Authorization": f"Bearer {ended}"}).status_code == 204
    live = _token(client, learner)
    rows = session.exec(select(LoginSession).where(LoginSession.user_id == learner.id)).all()
    assert len(rows) == 1 and rows[0].revoked_at is None
    assert client.get("/api/exercises", headers={"Authorization": f"Bearer {live}"}).status_code == 200
    assert client.get("/api/exercises", headers={"Authorization": f"Bearer {ended}"}).status_code == 401
