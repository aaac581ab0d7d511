"""What a newcomer who has read no docs meets in the pages: error pages, logging out, odd input, results."""

from __future__ import annotations

import re

from factories import wait_for_result
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select
from test_pages import csrf_of, sign_in

from grader import Exercise
from tracedojo.models import Submission, User


def submit_page(browser: TestClient, code: str) -> tuple[int, str]:
    token = csrf_of(browser.get("/exercises/echo-once/code"))
    response = browser.post(
        "/exercises/echo-once/code", data={"code": code, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    return int(location.rsplit("/", 1)[1]), location


def error_message(page: str) -> str:
    match = re.search(r'<p class="error-message">(.*?)</p>', page, re.S)
    assert match, "not the error page"
    return match.group(1).strip()


def test_error_pages_keep_the_learner_signed_in_and_speak_plainly(anonymous: TestClient, learner: User) -> None:
    sign_in(anonymous, learner)
    missing = anonymous.get("/no-such-page")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert error_message(missing.text) == "There is no page at /no-such-page."
    # The header still shows who is signed in, with the way out, not "Log in / Create account".
    assert learner.username in missing.text and 'action="/logout"' in missing.text
    assert 'href="/register"' not in missing.text

    not_an_id = anonymous.get("/submissions/abc")
    assert not_an_id.status_code == 422
    assert "<h1>That request was not valid</h1>" in not_an_id.text
    assert error_message(not_an_id.text).startswith("submission_id: Input should be a valid integer")


def test_strangers_on_an_error_page_are_offered_the_login(anonymous: TestClient) -> None:
    page = anonymous.get("/no-such-page").text
    assert 'href="/login"' in page and "Back to the curriculum" in page


def test_typing_logout_in_the_address_bar_offers_a_button(anonymous: TestClient, learner: User) -> None:
    assert anonymous.get("/logout", follow_redirects=False).headers["location"] == "/"  # nobody to log out
    sign_in(anonymous, learner)
    page = anonymous.get("/logout")
    assert page.status_code == 200 and "Log out?" in page.text and learner.username in page.text
    done = anonymous.post("/logout", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert done.status_code == 303
    assert learner.username not in anonymous.get("/").text


def test_register_form_says_a_password_is_too_long_not_too_short(anonymous: TestClient) -> None:
    token = csrf_of(anonymous.get("/register"))
    long_password = "p" * 200
    page = anonymous.post(
        "/register",
        data={"username": "longpass1", "password": long_password, "password_again": long_password, "csrf_token": token},
    )
    assert page.status_code == 400 and "at most 128" in page.text
    assert 'maxlength="128"' in page.text  # and the form stops the browser from sending one


def test_the_editor_refuses_nul_bytes_without_storing_them(
    anonymous: TestClient, learner: User, session: Session
) -> None:
    sign_in(anonymous, learner)
    before = session.exec(select(func.count()).select_from(Submission)).one()
    token = csrf_of(anonymous.get("/exercises/echo-once/code"))
    page = anonymous.post("/exercises/echo-once/code", data={"code": "x = 1\n\x00\n", "csrf_token": token})
    assert page.status_code == 400
    assert "Your code contains a NUL character (line 2)" in page.text
    session.expire_all()
    assert session.exec(select(func.count()).select_from(Submission)).one() == before


def test_a_huge_form_is_a_413_page_not_json(anonymous: TestClient, learner: User) -> None:
    sign_in(anonymous, learner)
    token = csrf_of(anonymous.get("/exercises/echo-once/code"))
    page = anonymous.post("/exercises/echo-once/code", data={"code": "#" * (3 * 1024 * 1024), "csrf_token": token})
    assert page.status_code == 413 and page.headers["content-type"].startswith("text/html")
    assert "<h1>Too large</h1>" in page.text and learner.username in page.text


def test_submitting_the_starter_unchanged_says_so(anonymous: TestClient, learner: User, echo_once: Exercise) -> None:
    sign_in(anonymous, learner)
    submission_id, location = submit_page(anonymous, echo_once.starter)
    wait_for_result(anonymous, submission_id, {})
    page = anonymous.get(location).text
    assert 'id="starter-note"' in page and "starter code unchanged" in page
    # It did not pass, so the way forward is editing, not the next lesson.
    assert re.search(r'<a class="button primary" id="edit-code"', page)
    assert re.search(r'id="next-lesson"[^>]*hidden', page)

    solved_id, solved = submit_page(anonymous, echo_once.source(echo_once.reference))
    wait_for_result(anonymous, solved_id, {})
    passed = anonymous.get(solved).text
    assert 'id="starter-note"' not in passed
    assert re.search(r'<a class="button" id="edit-code"', passed)
    assert not re.search(r'id="next-lesson"[^>]*hidden', passed)


def test_a_syntax_error_marks_its_line_in_the_code(anonymous: TestClient, learner: User) -> None:
    sign_in(anonymous, learner)
    broken = "from fastapi import WebSocket\n\nasync def websocket_endpoint(websocket: WebSocket)\n    pass\n"
    submission_id, location = submit_page(anonymous, broken)
    result = wait_for_result(anonymous, submission_id, {})
    assert result["status"] == "error" and "line 3" in result["message"]
    page = anonymous.get(location).text
    assert "Line 3, named in the message above, is marked." in page
    marked = re.findall(r'<span class="hll">(.*?)</span>\n', page)
    assert len(marked) == 1 and "websocket_endpoint" in marked[0]


def test_the_hidden_attribute_beats_the_button_style() -> None:
    from tracedojo.app import STATIC

    css = (STATIC / "app.css").read_text()
    assert re.search(r"\[hidden\]\s*\{\s*display:\s*none\s*!important;?\s*\}", css)


def test_a_lesson_that_does_not_exist_is_named_as_a_lesson(anonymous: TestClient, learner: User) -> None:
    sign_in(anonymous, learner)
    for path in ("/exercises/no-such-lesson", "/exercises/no-such-lesson/code"):
        page = anonymous.get(path)
        assert page.status_code == 404
        assert error_message(page.text) == "There is no lesson &#39;no-such-lesson&#39;; the curriculum lists them all."
