"""LTI 1.3 launches from a real platform over HTTP: OIDC login, signed id_token, deep linking, and every
launch the tool must refuse (with a clear 4xx, never a 500)."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator

import pytest
from lti_platform import (
    INSTRUCTOR,
    LEARNER,
    LTI,
    TEACHING_ASSISTANT,
    LmsUser,
    Message,
    SigningKey,
    authorize,
    drive_launch,
)
from lti_setup import LtiSetup, csrf_of, lti_tool
from sqlmodel import Session, select

from tracedojo.course_models import Assignment, Course, CourseMember, CourseRole, Enrolment
from tracedojo.lti.models import LtiContext, LtiResourceLink, LtiUser
from tracedojo.models import Role, User


@pytest.fixture(scope="module")
def lti(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LtiSetup]:
    with lti_tool(tmp_path_factory.mktemp("lti-launch")) as setup:
        yield setup


def person(roles: list[str], name: str = "Ada Lovelace") -> LmsUser:
    sub = "lms-user-" + secrets.token_hex(4)
    return LmsUser(sub=sub, name=name, email=f"{sub}@school.example", roles=roles)


def lesson_link(user: LmsUser, **fields: object) -> Message:
    return Message(user=user, custom={"lesson": "echo-once"}, **fields)  # type: ignore[arg-type]


def account(lti: LtiSetup, user: LmsUser) -> tuple[User, CourseMember, Course]:
    with Session(lti.engine) as session:
        found = session.exec(
            select(User, CourseMember, Course)
            .join(LtiUser, LtiUser.user_id == User.id)  # type: ignore[arg-type]
            .join(CourseMember, CourseMember.user_id == User.id)  # type: ignore[arg-type]
            .join(Course, Course.id == CourseMember.course_id)  # type: ignore[arg-type]
            .where(LtiUser.sub == user.sub)
        ).one()
        return found


def test_a_learner_launch_signs_in_enrols_and_opens_the_assignment(lti: LtiSetup) -> None:
    learner = person([LEARNER])
    with lti.browser() as browser:
        answer = drive_launch(browser, lti.lms, lesson_link(learner))
        assert answer.status_code == 303, answer.text
        target = answer.headers["location"]
        assert re.fullmatch(r"/courses/\d+/assignments/\d+", target), target
        page = browser.get(lti.tool_url + target)
        assert page.status_code == 200, page.text
        assert "Echo once" in page.text or "echo-once" in page.text

    user, member, course = account(lti, learner)
    assert course.title == "Networking 201"
    assert (member.role, member.enrolment) == (CourseRole.LEARNER, Enrolment.LMS)
    assert user.role == Role.LEARNER and user.username.startswith(learner.sub.split("@")[0][:20])
    with Session(lti.engine) as session:
        link = session.exec(select(LtiResourceLink).where(LtiResourceLink.resource_link_id == "link-1")).one()
        assert link.exercise_slug == "echo-once"
        assert link.lineitem_url == lti.lms.lineitem_url("link-1")
        assignment = session.get(Assignment, link.assignment_id)
        assert assignment is not None and f"/assignments/{assignment.id}" in target
        context = session.exec(select(LtiContext).where(LtiContext.context_id == lti.lms.context_id)).one()
        assert context.course_id == course.id
        assert context.memberships_url == f"{lti.lms.url}/courses/{lti.lms.context_id}/memberships"


def test_instructors_and_teaching_assistants_get_their_course_roles(lti: LtiSetup) -> None:
    teacher, assistant = person([INSTRUCTOR], "Grace Hopper"), person([TEACHING_ASSISTANT, INSTRUCTOR], "Alan Turing")
    for user, role in ((teacher, CourseRole.INSTRUCTOR), (assistant, CourseRole.ASSISTANT)):
        with lti.browser() as browser:
            answer = drive_launch(browser, lti.lms, lesson_link(user))
            assert answer.status_code == 303, answer.text
            _, member, course = account(lti, user)
            assert member.role == role
            staff_page = browser.get(f"{lti.tool_url}/lti/courses/{course.id}")
            assert staff_page.status_code == 200, staff_page.text
            assert "Fetch the roster from the LMS" in staff_page.text if role == CourseRole.INSTRUCTOR else True
            assert "Networking 201" in staff_page.text
    # Both launches landed in the one course the LMS context maps to.
    assert account(lti, teacher)[2].id == account(lti, assistant)[2].id


def test_deep_linking_returns_a_signed_link_to_the_picked_lesson(lti: LtiSetup) -> None:
    teacher = person([INSTRUCTOR])
    with lti.browser() as browser:
        picker = drive_launch(browser, lti.lms, Message(user=teacher, message_type="LtiDeepLinkingRequest"))
        assert picker.status_code == 200, picker.text
        assert "Pick a lesson for the LMS" in picker.text
        launch_id = re.search(r'name="launch_id" value="([^"]+)"', picker.text)
        assert launch_id
        fields = {"csrf_token": csrf_of(picker.text), "launch_id": launch_id[1]}

        unknown = browser.post(f"{lti.tool_url}/lti/deep-link", data={**fields, "lesson": "no-such-lesson"})
        assert unknown.status_code == 422
        assert "There is no lesson &#39;no-such-lesson&#39;" in unknown.text

        chosen = browser.post(f"{lti.tool_url}/lti/deep-link", data={**fields, "lesson": "echo-once"})
        assert chosen.status_code == 200, chosen.text
        assert f"form-action 'self' {lti.lms.url}" in chosen.headers["content-security-policy"]
        action = re.search(r'<form method="post" action="([^"]+)" id="deep-link-return"', chosen.text)
        token = re.search(r'name="JWT" value="([^"]+)"', chosen.text)
        assert action and token and action[1] == f"{lti.lms.url}/deep-link-return"
        assert "Send the link to the LMS" in chosen.text  # works without scripts too

        returned = browser.post(action[1], data={"JWT": token[1]})  # the browser posts it to the LMS
        assert returned.status_code == 200, returned.text

        again = browser.post(f"{lti.tool_url}/lti/deep-link", data={**fields, "lesson": "echo-once"})
        assert again.status_code == 400 and "expired" in again.text  # one response per picker

    claims = lti.lms.deep_link_returns[-1]  # verified by the platform against the tool's JWKS
    assert claims["iss"] == lti.lms.client_id and claims["aud"] == [lti.lms.issuer]
    assert claims[LTI + "message_type"] == "LtiDeepLinkingResponse"
    assert claims[LTI + "deployment_id"] == lti.lms.deployment_id
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "opaque-platform-data"
    (item,) = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == f"{lti.tool_url}/lti/launch"
    assert item["custom"] == {"lesson": "echo-once"}
    assert item["lineItem"]["scoreMaximum"] == 10

    # The LMS now launches that link with the item's custom parameters: it opens the picked lesson.
    learner = person([LEARNER])
    with lti.browser() as browser:
        opened = drive_launch(
            browser, lti.lms, Message(user=learner, resource_link_id="deep-linked", custom=item["custom"])
        )
        assert opened.status_code == 303, opened.text


def test_a_learner_cannot_open_the_instructors_lesson_picker(lti: LtiSetup) -> None:
    learner = person([LEARNER])
    with lti.browser() as browser:
        answer = drive_launch(browser, lti.lms, Message(user=learner, message_type="LtiDeepLinkingRequest"))
        assert answer.status_code == 403
        assert "Only the course&#39;s instructors can pick tracedojo lessons" in answer.text
        assert browser.get(f"{lti.tool_url}/courses").status_code == 303  # not signed in


def refusal(lti: LtiSetup, message: Message) -> str:
    with lti.browser() as browser:
        answer = drive_launch(browser, lti.lms, message)
        assert answer.status_code == 400, answer.text
        assert "LTI launch refused" in answer.text
        assert browser.get(f"{lti.tool_url}/courses").status_code == 303  # nobody was signed in
        return answer.text


def test_a_token_from_another_issuer_is_refused(lti: LtiSetup) -> None:
    text = refusal(lti, lesson_link(person([LEARNER]), overrides={"iss": "https://lms.elsewhere.example"}))
    assert "no platform is registered with issuer &#39;https://lms.elsewhere.example&#39;" in text


def test_an_expired_token_is_refused(lti: LtiSetup) -> None:
    now = int(time.time())
    text = refusal(lti, lesson_link(person([LEARNER]), overrides={"iat": now - 900, "exp": now - 600}))
    assert "the id_token has expired" in text


def test_an_unknown_deployment_is_refused(lti: LtiSetup) -> None:
    text = refusal(
        lti, lesson_link(person([LEARNER]), overrides={LTI + "deployment_id": "deployment-nobody-registered"})
    )
    assert "the deployment id &#39;deployment-nobody-registered&#39; is not registered" in text


def test_a_token_signed_with_another_key_is_refused(lti: LtiSetup) -> None:
    forger = SigningKey.new()
    forger.kid = lti.lms.key.kid  # claims to be the platform's key
    text = refusal(lti, lesson_link(person([LEARNER]), signing_key=forger))
    assert "signature does not match the keys published by" in text


def test_a_replayed_launch_is_refused(lti: LtiSetup) -> None:
    with lti.browser() as browser:
        form = authorize(browser, lti.lms, lesson_link(person([LEARNER])))
        first = browser.post(form.action, data={"id_token": form.id_token, "state": form.state})
        assert first.status_code == 303
        replayed = browser.post(form.action, data={"id_token": form.id_token, "state": form.state})
        assert replayed.status_code == 400
        assert "a replayed launch" in replayed.text


def test_broken_logins_and_launches_are_explained(lti: LtiSetup) -> None:
    with lti.browser() as browser:
        stranger = browser.get(
            f"{lti.tool_url}/lti/login", params={"iss": "https://unknown.example", "login_hint": "someone"}
        )
        assert stranger.status_code == 400
        assert "no platform is registered with issuer &#39;https://unknown.example&#39;" in stranger.text
        no_hint = browser.post(f"{lti.tool_url}/lti/login", data={"iss": lti.lms.issuer})
        assert no_hint.status_code == 400 and "no login_hint" in no_hint.text
        bare = browser.post(f"{lti.tool_url}/lti/launch", data={})
        assert bare.status_code == 400 and "LTI launch refused" in bare.text
        garbage = browser.post(f"{lti.tool_url}/lti/launch", data={"id_token": "not.a.jwt", "state": "state-x"})
        assert garbage.status_code == 400 and "LTI launch refused" in garbage.text


def test_the_jwks_publishes_the_tools_key(lti: LtiSetup) -> None:
    with lti.browser() as browser:
        keys = browser.get(f"{lti.tool_url}/lti/jwks").json()["keys"]
    assert keys and all(key["kty"] == "RSA" and key["alg"] == "RS256" and "d" not in key for key in keys)


def test_a_link_without_a_known_lesson_is_explained(lti: LtiSetup) -> None:
    with lti.browser() as browser:
        bare = drive_launch(browser, lti.lms, Message(user=person([LEARNER]), resource_link_id="bare-link"))
        assert bare.status_code == 400
        assert "This LMS link names no tracedojo lesson" in bare.text
        gone = drive_launch(
            browser, lti.lms, Message(user=person([LEARNER]), resource_link_id="gone", custom={"lesson": "retired"})
        )
        assert gone.status_code == 404
        assert "opens the lesson &#39;retired&#39;, which this tracedojo does not have" in gone.text


def test_a_token_without_a_nonce_is_refused(lti: LtiSetup) -> None:
    text = refusal(lti, lesson_link(person([LEARNER]), overrides={"nonce": ""}))
    assert "the id_token carries no nonce" in text
