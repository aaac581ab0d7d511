"""Registering an LMS platform: the instructors' page (with its validation errors) and the command line."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
import typer
from course_factories import create_course_with_staff, enrol
from factories import create_learner
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from test_pages import csrf_of, sign_in
from typer.testing import CliRunner

from tracedojo.cli_platform import register
from tracedojo.course_models import CourseRole
from tracedojo.db import make_engine, migrate
from tracedojo.lti.models import LtiDeployment, LtiPlatform
from tracedojo.lti.people import course_role
from tracedojo.models import Role


def form(base: str, **changes: str) -> dict[str, str]:
    fields = {
        "title": "School Moodle",
        "issuer": base,
        "client_id": "client-" + secrets.token_hex(3),
        "deployment_ids": "1, 2",
        "auth_login_url": f"{base}/mod/lti/auth.php",
        "auth_token_url": f"{base}/mod/lti/token.php",
        "key_set_url": f"{base}/mod/lti/certs.php",
        "auth_audience": "",
    }
    return {**fields, **changes}


def test_an_instructor_registers_a_platform_and_sees_the_tools_urls(client: TestClient, session: Session) -> None:
    browser = TestClient(client.app)
    sign_in(browser, create_learner(session, role=Role.INSTRUCTOR))
    page = browser.get("/lti/platforms")
    assert page.status_code == 200
    assert '<code id="url-login">http://testserver/lti/login</code>' in page.text
    assert '<code id="url-jwks">http://testserver/lti/jwks</code>' in page.text

    issuer = f"https://moodle-{secrets.token_hex(3)}.school.example"
    saved = browser.post("/lti/platforms", data={**form(issuer), "csrf_token": csrf_of(page)})
    assert saved.status_code == 200
    assert "Saved the registration of School Moodle." in saved.text
    with Session(session.get_bind()) as check:
        platform = check.exec(select(LtiPlatform).where(LtiPlatform.issuer == issuer)).one()
        deployments = check.exec(select(LtiDeployment.deployment_id).where(LtiDeployment.platform_id == platform.id))
        assert sorted(deployments.all()) == ["1", "2"]
        assert platform.auth_token_url == f"{issuer}/mod/lti/token.php"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"issuer": "  "}, "issuer: is empty"),
        ({"client_id": ""}, "client id: is empty"),
        ({"deployment_ids": " , "}, "deployment id: give at least one"),
        ({"auth_login_url": "moodle/auth.php"}, "auth login URL: &#39;moodle/auth.php&#39; is not an http(s) URL"),
        (
            {"key_set_url": "ftp://x.example/certs"},
            "key set URL: &#39;ftp://x.example/certs&#39; is not an http(s) URL",
        ),
    ],
)
def test_a_bad_registration_is_shown_again_with_the_reason(
    client: TestClient, session: Session, changes: dict[str, str], message: str
) -> None:
    browser = TestClient(client.app)
    sign_in(browser, create_learner(session, role=Role.INSTRUCTOR))
    page = browser.get("/lti/platforms")
    fields = form("https://canvas.school.example", **changes)
    answer = browser.post("/lti/platforms", data={**fields, "csrf_token": csrf_of(page)})
    assert answer.status_code == 422
    assert f"Not saved: {message}" in answer.text
    assert f'value="{fields["title"]}"' in answer.text  # what was typed stays in the form


def test_the_platforms_page_is_for_instructors(client: TestClient, session: Session) -> None:
    browser = TestClient(client.app)
    assert browser.get("/lti/platforms", follow_redirects=False).status_code == 303
    sign_in(browser, create_learner(session))
    assert browser.get("/lti/platforms").status_code == 403
    token = csrf_of(browser.get("/courses"))
    assert browser.post("/lti/platforms", data={**form("https://x.example"), "csrf_token": token}).status_code == 403


def test_register_and_list_from_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TRACEDOJO_DATABASE_URL", url)
    monkeypatch.setenv("TRACEDOJO_PUBLIC_URL", "https://dojo.school.example")
    migrate(make_engine(url))
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    args = [
        "lti", "register", "--issuer", "https://canvas.instructure.com", "--client-id", "10000000000042",
        "--deployment-id", "7:abc", "--deployment-id", "8:def", "--login-url", "https://sso.canvaslms.com/api/lti/authorize_redirect",
        "--token-url", "https://sso.canvaslms.com/login/oauth2/token", "--keyset-url", "https://sso.canvaslms.com/api/lti/security/jwks",
        "--title", "School Canvas",
    ]  # fmt: skip
    made = runner.invoke(app, args)
    assert made.exit_code == 0, made.output
    assert "registered platform 1: https://canvas.instructure.com (client id 10000000000042)" in made.output
    assert "login URL https://dojo.school.example/lti/login" in made.output
    assert "key set URL https://dojo.school.example/lti/jwks" in made.output

    listed = runner.invoke(app, ["lti", "list"])
    assert listed.exit_code == 0
    assert "platform 1: School Canvas" in listed.output and "deployments: 7:abc, 8:def" in listed.output

    bad = runner.invoke(app, [*args[:-2], "--token-url", "not a url"])
    assert bad.exit_code == 2
    assert "auth token URL: 'not a url' is not an http(s) URL" in bad.output


def test_lms_roles_map_to_course_roles() -> None:
    membership = "http://purl.imsglobal.org/vocab/lis/v2/membership"
    assert course_role([f"{membership}#Instructor"]) == CourseRole.INSTRUCTOR
    assert (
        course_role([f"{membership}/Instructor#TeachingAssistant", f"{membership}#Instructor"]) == CourseRole.ASSISTANT
    )
    assert course_role([f"{membership}#Learner"]) == CourseRole.LEARNER
    assert course_role(["Instructor"]) == CourseRole.INSTRUCTOR  # NRPS may send short names
    # An institution-wide role says nothing about this course.
    assert course_role(["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor"]) == CourseRole.LEARNER
    assert course_role([]) == CourseRole.LEARNER


def test_a_course_without_an_lms_says_so(client: TestClient, session: Session) -> None:
    course, teacher = create_course_with_staff(session)
    browser = TestClient(client.app)
    sign_in(browser, teacher)
    page = browser.get(f"/lti/courses/{course.id}")
    assert page.status_code == 200
    assert "This course is not linked to an LMS course." in page.text
    assert "No grade has been sent yet." in page.text
    fetched = browser.post(f"/lti/courses/{course.id}/roster", data={"csrf_token": csrf_of(page)})
    assert fetched.status_code == 409
    assert "not linked to an LMS course yet: open a tracedojo link from the LMS first" in fetched.text

    other, _ = create_course_with_staff(session)
    assert browser.get(f"/lti/courses/{other.id}").status_code == 404  # another course's staff page
    learner = enrol(session, course)
    sign_in(browser, learner)
    assert browser.get(f"/lti/courses/{course.id}").status_code == 403
