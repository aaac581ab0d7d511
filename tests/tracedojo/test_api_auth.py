from __future__ import annotations

from pathlib import Path

from factories import PASSWORD, make_settings, random_username
from fastapi.testclient import TestClient
from sqlmodel import Session

from tracedojo.app import create_app
from tracedojo.models import User


def test_register_creates_a_learner(client: TestClient, session: Session) -> None:
    name = random_username()
    response = client.post("/api/auth/register", json={"username": name.upper(), "password": PASSWORD})
    assert response.status_code == 201
    body = response.json()
    assert body["username"] == name and body["role"] == "learner" and isinstance(body["id"], int)
    assert "password" not in response.text and "hash" not in response.text
    stored = session.get(User, body["id"])
    assert stored is not None and stored.password_hash.startswith("$argon2")


def test_register_twice_is_a_conflict(client: TestClient) -> None:
    name = random_username()
    assert client.post("/api/auth/register", json={"username": name, "password": PASSWORD}).status_code == 201
    again = client.post("/api/auth/register", json={"username": name, "password": PASSWORD})
    assert again.status_code == 409
    assert "taken" in again.json()["detail"]


def test_register_rejects_bad_bodies_with_clear_messages(client: TestClient) -> None:
    short = client.post("/api/auth/register", json={"username": random_username(), "password": "short-1"})
    assert short.status_code == 422
    assert "password" in short.json()["message"] and "8 characters" in short.json()["message"]
    assert "short-1" not in short.text  # submitted values are not echoed back
    bad_name = client.post("/api/auth/register", json={"username": "a b", "password": PASSWORD})
    assert bad_name.status_code == 422 and "username" in bad_name.json()["message"]
    missing = client.post("/api/auth/register", json={})
    assert missing.status_code == 422 and "Field required" in missing.json()["message"]
    not_json = client.post("/api/auth/register", content=b"{nope", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 422


def test_token_for_the_right_password_only(client: TestClient) -> None:
    name = random_username()
    client.post("/api/auth/register", json={"username": name, "password": PASSWORD})
    good = client.post("/api/auth/token", data={"username": name, "password": PASSWORD})
    assert good.status_code == 200
    assert good.json()["token_type"] == "bearer" and good.json()["access_token"]
    wrong = client.post("/api/auth/token", data={"username": name, "password": PASSWORD + "x"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    unknown = client.post("/api/auth/token", data={"username": random_username(), "password": PASSWORD})
    assert unknown.status_code == 401
    assert client.post("/api/auth/token", data={"username": name}).status_code == 422


def test_bad_or_forged_tokens_are_401(client: TestClient) -> None:
    assert client.get("/api/exercises").status_code == 401
    assert client.get("/api/exercises", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    forged = create_app.__module__  # any string that is not signed by this server's key
    assert client.get("/api/exercises", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_login_and_registration_are_rate_limited(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, login_attempts_per_minute=3, registrations_per_minute=2)
    with TestClient(create_app(settings)) as limited:
        name = random_username()
        assert limited.post("/api/auth/register", json={"username": name, "password": PASSWORD}).status_code == 201
        assert (
            limited.post("/api/auth/register", json={"username": name + "b", "password": PASSWORD}).status_code == 201
        )
        third = limited.post("/api/auth/register", json={"username": name + "c", "password": PASSWORD})
        assert third.status_code == 429 and int(third.headers["retry-after"]) >= 1
        for _ in range(3):
            assert limited.post("/api/auth/token", data={"username": name, "password": "wrong pass"}).status_code == 401
        blocked = limited.post("/api/auth/token", data={"username": name, "password": PASSWORD})
        assert blocked.status_code == 429
        assert "too many login attempts" in blocked.json()["detail"]
