from __future__ import annotations

import html
import re

from factories import PASSWORD, create_learner, random_username, wait_for_result
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session

from grader import Exercise
from tracedojo.models import User


def csrf_of(page: Response | str) -> str:
    text = page if isinstance(page, str) else page.text
    match = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert match, "no CSRF field on the page"
    return match.group(1)


def sign_in(browser: TestClient, user: User) -> None:
    token = csrf_of(browser.get("/login"))
    response = browser.post(
        "/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def test_home_invites_strangers_and_lists_the_curriculum(anonymous: TestClient, echo_once: Exercise) -> None:
    page = anonymous.get("/")
    assert page.status_code == 200
    assert "Create account" in page.text and echo_once.title in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_register_through_the_form_signs_in(anonymous: TestClient) -> None:
    name = random_username()
    form = anonymous.get("/register")
    response = anonymous.post(
        "/register",
        data={"username": name, "password": PASSWORD, "password_again": PASSWORD, "csrf_token": csrf_of(form)},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    home = anonymous.get("/")
    assert "Your curriculum" in home.text and name in home.text


def test_register_form_explains_mistakes(anonymous: TestClient, learner: User) -> None:
    token = csrf_of(anonymous.get("/register"))
    taken = anonymous.post(
        "/register",
        data={"username": learner.username, "password": PASSWORD, "password_again": PASSWORD, "csrf_token": token},
    )
    assert taken.status_code == 400 and "is taken" in taken.text
    short = anonymous.post(
        "/register",
        data={"username": random_username(), "password": "abc", "password_again": "abc", "csrf_token": token},
    )
    assert short.status_code == 400 and "at least 8 characters" in short.text
    differ = anonymous.post(
        "/register",
        data={
            "username": random_username(),
            "password": PASSWORD,
            "password_again": PASSWORD + "!",
            "csrf_token": token,
        },
    )
    assert differ.status_code == 400 and "differ" in differ.text


def test_forms_without_the_csrf_token_are_refused(anonymous: TestClient, learner: User) -> None:
    anonymous.get("/login")
    response = anonymous.post("/login", data={"username": learner.username, "password": PASSWORD})
    assert response.status_code == 403 and "CSRF" in response.text
    wrong = anonymous.post("/login", data={"username": learner.username, "password": PASSWORD, "csrf_token": "x"})
    assert wrong.status_code == 403


def test_wrong_password_and_logout(anonymous: TestClient, learner: User) -> None:
    token = csrf_of(anonymous.get("/login"))
    wrong = anonymous.post("/login", data={"username": learner.username, "password": "nope nope", "csrf_token": token})
    assert wrong.status_code == 401 and "Wrong username or password" in wrong.text
    sign_in(anonymous, learner)
    home = anonymous.get("/")
    assert learner.username in home.text
    out = anonymous.post("/logout", data={"csrf_token": csrf_of(home)}, follow_redirects=False)
    assert out.status_code == 303
    assert anonymous.get("/api/exercises").status_code == 401


def test_pages_send_strangers_to_the_login(anonymous: TestClient) -> None:
    response = anonymous.get("/exercises/echo-once", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/exercises/echo-once"
    assert anonymous.get("/submissions/1", follow_redirects=False).status_code == 303
    # After signing in the learner lands where they wanted to go; foreign targets are ignored.
    assert 'name="next" value="/"' in anonymous.get("/login?next=//evil.example").text
    assert 'name="next" value="/exercises/echo-once"' in anonymous.get("/login?next=/exercises/echo-once").text


def test_lesson_page_shows_every_section_without_answers(
    anonymous: TestClient, learner: User, echo_once: Exercise
) -> None:
    sign_in(anonymous, learner)
    page = anonymous.get("/exercises/echo-once")
    assert page.status_code == 200
    text = page.text
    for heading in (
        "Concept flow",
        "Execution sample",
        "Execution table",
        "Variable tracker",
        "Key moments",
        "Visual quiz",
        "Concept snapshot",
        "Full transcript",
    ):
        assert heading in text, heading
    assert 'class="flow-node"' in text and text.count('class="flow-node"') == len(echo_once.concept_flow.nodes)
    assert 'class="codehilite"' in text  # Pygments
    for row in echo_once.execution_table:
        assert f'id="step-{row.n}"' in text
    for question in echo_once.quiz:
        assert question.explanation not in text and question.hint not in text
    assert "first answer is right" in text  # the score policy is stated


def test_quiz_state_survives_a_reload(anonymous: TestClient, learner: User, echo_once: Exercise) -> None:
    sign_in(anonymous, learner)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', anonymous.get("/").text)
    assert csrf
    question = echo_once.quiz[1]
    answer = anonymous.post(
        f"/api/exercises/echo-once/quiz/{question.id}",
        json={"choice": question.answer},
        headers={"X-CSRF-Token": csrf.group(1)},
    )
    assert answer.json()["correct"] is True
    page = anonymous.get("/exercises/echo-once").text
    assert "Solved on the first try" in page
    assert re.search(r"data-quiz-score>1<", page)


def test_editor_submission_and_result_pages(anonymous: TestClient, learner: User, echo_once: Exercise) -> None:
    sign_in(anonymous, learner)
    editor = anonymous.get("/exercises/echo-once/code")
    assert editor.status_code == 200
    assert 'id="code"' in editor.text and "/static/build/editor.js" in editor.text
    assert echo_once.starter.splitlines()[0] in editor.text
    submitted = anonymous.post(
        "/exercises/echo-once/code",
        data={"code": echo_once.source(echo_once.reference), "csrf_token": csrf_of(editor)},
        follow_redirects=False,
    )
    assert submitted.status_code == 303
    location = submitted.headers["location"]
    submission_id = int(location.rsplit("/", 1)[1])
    live = anonymous.get(location).text
    assert 'data-final="false"' in live or "Passed" in live
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', live)
    assert csrf
    wait_for_result(anonymous, submission_id, {})
    final = anonymous.get(location).text
    assert 'data-final="true"' in final
    assert final.count('class="step passed"') == len(echo_once.execution_table)
    assert "Your trace beside the lesson" in final
    assert 'class="tracker beside"' in final and 'class="your-value"' in final  # their own variables
    # The reference's variables match the lesson's tracker at the same rows: `data` holds the message
    # from "After Step 4", the row the client sends it, not one row late.
    tracked = next(row for row in echo_once.variable_tracker.rows if row.name == "data")
    columns = echo_once.variable_tracker.columns
    yours = _your_values(final, "data")
    for column, lesson_value, your_value in zip(columns, tracked.values, yours, strict=True):
        if column.lower().startswith("after step"):
            assert your_value == lesson_value, (column, yours)
    assert _every_step(final, "data")[2:4] == ["", tracked.values[columns.index("After Step 4")]]
    assert "not a variable of the sample (it is computed inline" in final  # the seed's `response`
    assert f"#{submission_id}" in final  # the history of attempts
    # The editor now starts from the latest attempt; the starter is one click away.
    again = anonymous.get("/exercises/echo-once/code").text
    assert "Message text was" in again and "Start over from the starter code" in again
    fresh = anonymous.get("/exercises/echo-once/code?starter=1").text
    textarea = fresh.split('id="code"')[1].split(">", 1)[1].split("</textarea>")[0]
    assert html.unescape(textarea) == echo_once.starter


def _your_values(page: str, name: str) -> list[str]:
    """The learner's cells of one variable's row in the "beside the lesson" tracker."""
    table = page.split('class="tracker beside"', 1)[1].split("</table>", 1)[0]
    row = re.search(rf'<th scope="row"><code>{re.escape(name)}</code></th>(.*?)</tr>', table, re.S)
    assert row, f"no row for {name} beside the lesson"
    return [html.unescape(v) for v in re.findall(r'class="your-value">.*?<code>(.*?)</code>', row.group(1), re.S)]


def _every_step(page: str, name: str) -> list[str]:
    """One variable's values after each execution-table row, from the "after every step" table."""
    table = page.split('class="every-step"', 1)[1].split("</table>", 1)[0]
    row = re.search(rf'<th scope="row"><code>{re.escape(name)}</code></th>(.*?)</tr>', table, re.S)
    assert row, f"no row for {name} in the every-step table"
    return [html.unescape(v) for v in re.findall(r"<td><code>(.*?)</code></td>", row.group(1), re.S)]


def test_editor_refuses_oversized_and_empty_code(anonymous: TestClient, learner: User, client: TestClient) -> None:
    sign_in(anonymous, learner)
    token = csrf_of(anonymous.get("/exercises/echo-once/code"))
    limit = client.app.state.platform.settings.limits.code_bytes  # type: ignore[attr-defined]
    big = anonymous.post("/exercises/echo-once/code", data={"code": "#" * (limit + 1), "csrf_token": token})
    assert big.status_code == 413 and "limited to" in big.text
    empty = anonymous.post("/exercises/echo-once/code", data={"code": "  ", "csrf_token": token})
    assert empty.status_code == 400 and "Write some code first" in empty.text


def test_another_learners_result_page_is_404(
    anonymous: TestClient, client: TestClient, learner: User, session: Session
) -> None:
    sign_in(anonymous, learner)
    token = csrf_of(anonymous.get("/exercises/echo-once/code"))
    location = anonymous.post(
        "/exercises/echo-once/code", data={"code": "x = 1\n", "csrf_token": token}, follow_redirects=False
    ).headers["location"]
    stranger = TestClient(client.app)
    sign_in(stranger, create_learner(session))
    response = stranger.get(location)
    assert response.status_code == 404 and "no submission" in response.text.lower()
    assert stranger.get("/exercises/no-such-lesson").status_code == 404


def test_home_shows_progress(anonymous: TestClient, learner: User, echo_once: Exercise) -> None:
    sign_in(anonymous, learner)
    token = csrf_of(anonymous.get("/exercises/echo-once/code"))
    location = anonymous.post(
        "/exercises/echo-once/code",
        data={"code": echo_once.source(echo_once.reference), "csrf_token": token},
        follow_redirects=False,
    ).headers["location"]
    wait_for_result(anonymous, int(location.rsplit("/", 1)[1]), {})
    home = anonymous.get("/").text
    assert "Code passing" in home and "7 / 7" in home


def test_pygments_stylesheet(anonymous: TestClient) -> None:
    css = anonymous.get("/assets/pygments.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert ".codehilite" in css.text


def test_beside_puts_the_learners_values_under_the_lessons_columns(echo_once: Exercise) -> None:
    from tracedojo.lessons import lesson_of
    from tracedojo.routes.pages import _beside

    lesson = lesson_of(echo_once)
    learner = {"data": {5: "'hi'", 7: "'hi'"}, "extra": {7: "1"}}
    beside = _beside(lesson, learner, untracked=["response"])
    rows = {row.name: row.cells for row in beside}
    columns = lesson.variable_tracker.columns
    data = dict(zip(columns, rows["data"], strict=True))
    assert data["Start"][1] == "—"
    assert data["After Step 5"] == ("'Hello'", "'hi'")
    assert data["Final"][1] == "'hi'"
    assert rows["extra"][-1] == ("—", "1")  # a variable the lesson does not track is still shown
    # The seed's `response` is never stored by the sample: said so, not an empty "yours" column.
    assert [row.name for row in beside if row.untracked] == ["response"]


def test_instructor_pages_are_for_instructors_only(
    anonymous: TestClient, client: TestClient, learner: User, instructor: User, echo_once: Exercise
) -> None:
    assert anonymous.get("/instructor", follow_redirects=False).status_code == 303
    sign_in(anonymous, learner)
    assert "/instructor" not in anonymous.get("/").text.split("<main>")[0]
    for path in ("/instructor", "/instructor/exercises/echo-once"):
        refused = anonymous.get(path)
        assert refused.status_code == 403 and "for instructors" in refused.text
    token = csrf_of(anonymous.get("/exercises/echo-once/code"))
    anonymous.post(
        "/exercises/echo-once/code", data={"code": echo_once.source(echo_once.reference), "csrf_token": token}
    )
    assert anonymous.post("/instructor/exercises/echo-once/regrade", data={"csrf_token": token}).status_code == 403

    teacher = TestClient(client.app)
    sign_in(teacher, instructor)
    dashboard = teacher.get("/instructor")
    assert dashboard.status_code == 200 and learner.username in dashboard.text and "Export CSV" in dashboard.text
    stats = teacher.get("/instructor/exercises/echo-once")
    assert stats.status_code == 200
    assert "Where submissions fail first" in stats.text and "Quiz item analysis" in stats.text
    assert learner.username in stats.text
    assert teacher.get("/instructor/exercises/nope").status_code == 404
    assert teacher.post("/instructor/exercises/echo-once/regrade", data={}).status_code == 403  # no CSRF token
    regraded = teacher.post("/instructor/exercises/echo-once/regrade", data={"csrf_token": csrf_of(stats)})
    assert regraded.status_code == 200 and "for regrading" in regraded.text
    assert teacher.get("/api/instructor/gradebook.csv").status_code == 200  # the export link works with the cookie
