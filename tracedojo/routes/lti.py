"""LTI 1.3 routes: the tool's key set, OIDC login initiation, launches, deep linking, platform registration,
and each course's LMS page (roster and grade passback with retry)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.lineitem import LineItem
from requests import RequestException
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from tracedojo.assignment_work import ASSIGNABLE_MODES, WRITE
from tracedojo.course_access import Need, course_access
from tracedojo.course_schemas import mode_choices, mode_url
from tracedojo.deps import CheckedForm, InstructorPage, PageUser, PlatformDep, SessionDep, sign_in_browser
from tracedojo.lti import passback, registry
from tracedojo.lti.adapter import LtiRequest, LtiTool, PlatformHttp
from tracedojo.lti.keys import jwks
from tracedojo.lti.launches import LESSON_PARAMETER, MODE_PARAMETER, LaunchOutcome, LaunchRefused, accept_launch
from tracedojo.lti.refusals import explain_launch, explain_login
from tracedojo.lti.roster import RosterError, contexts_of_course, sync_roster
from tracedojo.models import MAX_ID, User
from tracedojo.modes import mode_named
from tracedojo.platform_state import Platform
from tracedojo.views import render

router = APIRouter(prefix="/lti", include_in_schema=False)

CourseId = Annotated[int, Path(ge=1, le=MAX_ID)]
SyncId = Annotated[int, Path(ge=1, le=MAX_ID)]
DEEP_LINK_SESSION_KEY = "lti_deep_link"
DEEP_LINKING_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"


def tool_url(request: Request, platform: Platform, path: str = "") -> str:
    """An absolute URL of this tool: on the configured public address, else the request's own."""
    base = platform.settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
    return base + path


def tool_urls(request: Request, platform: Platform) -> dict[str, str]:
    """What an LMS administrator types in when registering tracedojo."""
    return {
        "login": tool_url(request, platform, "/lti/login"),
        "launch": tool_url(request, platform, "/lti/launch"),
        "deep_link": tool_url(request, platform, "/lti/launch"),
        "jwks": tool_url(request, platform, "/lti/jwks"),
    }


def _secure(request: Request, platform: Platform) -> bool:
    return request.url.scheme == "https" or platform.settings.public_url.startswith("https://")


async def _params(request: Request) -> dict[str, str]:
    params = dict(request.query_params)
    if request.method == "POST":
        form = await request.form()
        params.update({key: value for key, value in form.items() if isinstance(value, str)})
    return params


def _lti_request(request: Request, platform: Platform, params: dict[str, str]) -> LtiRequest:
    return LtiRequest(params=params, cookies=dict(request.cookies), secure=_secure(request, platform))


@router.get("/jwks")
def key_set(session: SessionDep) -> JSONResponse:
    """The tool's public keys (JWKS): the platform checks the tool's signatures with them."""
    return JSONResponse(jwks(session), headers={"Cache-Control": "max-age=300"})


@router.api_route("/login", methods=["GET", "POST"])
async def login(request: Request, platform: PlatformDep) -> Response:
    """OIDC login initiation: the LMS sends the browser here first; it goes on to the LMS's auth endpoint."""
    params = await _params(request)
    lti_request = _lti_request(request, platform, params)
    launch_url = tool_url(request, platform, "/lti/launch")

    def start() -> Response:
        try:
            response: Response = LtiTool(platform.engine, lti_request).login().redirect(launch_url)
        except (OIDCException, LtiException) as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, explain_login(str(exc), params)) from None
        return response

    return await run_in_threadpool(start)


def _validate(platform: Platform, lti_request: LtiRequest) -> tuple[LaunchOutcome, str]:
    id_token = lti_request.get_param("id_token")
    tool = LtiTool(platform.engine, lti_request)
    message = tool.launch(PlatformHttp())
    try:
        message.validate()
        body: dict[str, Any] = dict(message.get_launch_data())
    except (LtiException, OIDCException, RequestException, ValueError, KeyError, TypeError) as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, explain_launch(str(exc), id_token)) from None
    aud = body.get("aud")
    client_id = str(aud[0] if isinstance(aud, list) else aud)
    for attempt in (1, 2):
        with Session(platform.engine, expire_on_commit=False) as session:
            registered = registry.find_platform(session, issuer=str(body.get("iss")), client_id=client_id)
            assert registered is not None  # pylti1p3 found its registration a moment ago
            try:
                outcome = accept_launch(session, platform=registered, body=body, catalog=platform.catalog)
                break
            except LaunchRefused as exc:
                raise HTTPException(exc.status, exc.message) from None
            except IntegrityError:
                # A classmate's first launch made the same course, account or link at the same moment:
                # theirs stands, and this launch finds it on the second try.
                session.rollback()
                if attempt == 2:
                    raise HTTPException(
                        status.HTTP_409_CONFLICT,
                        "The LMS course was being set up by another launch; open the link again.",
                    ) from None
    return outcome, message.get_launch_id()


def _sign_in(request: Request, platform: Platform, user: User) -> None:
    """A revocable browser sign-in (``login_sessions``), as the sign-in page starts one."""
    with Session(platform.engine, expire_on_commit=False) as session:
        sign_in_browser(request, session, user, max_age=platform.settings.session_max_age)


@router.post("/launch")
async def launch(request: Request, platform: PlatformDep) -> Response:
    """The LMS's signed launch (id_token): signs the LMS user in and opens the link's assignment."""
    params = await _params(request)
    outcome, launch_id = await run_in_threadpool(_validate, platform, _lti_request(request, platform, params))
    await run_in_threadpool(_sign_in, request, platform, outcome.user)
    if outcome.deep_linking:
        request.session[DEEP_LINK_SESSION_KEY] = launch_id
        return _picker(request, platform, outcome.user, launch_id=launch_id, course_title=outcome.course.title)
    assert outcome.assignment is not None
    target = f"/courses/{outcome.course.id}/assignments/{outcome.assignment.id}"
    if outcome.assignment.mode != WRITE and not outcome.role.staff:
        target = mode_url(outcome.assignment)  # a learner goes straight to the mode's page; staff to its grades
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


# Deep linking: an instructor picks a lesson, and the LMS gets a signed link to it.


def _picker(
    request: Request,
    platform: Platform,
    user: User,
    *,
    launch_id: str,
    course_title: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "launch_id": launch_id,
        "lessons": platform.catalog.exercises,
        "modes": mode_choices(),
        "course_title": course_title,
        "error": error,
    }
    return render(request, "lti/deep_link.html", context, user=user, status_code=status_code)


def _deep_link_response(
    platform: Platform, user: User, launch_id: str, slug: str, mode: str, launch_url: str
) -> tuple[str, str]:
    """The signed LtiDeepLinkingResponse for one lesson in one mode, and where the browser posts it."""
    tool = LtiTool(platform.engine, LtiRequest(params={}, cookies={}, secure=False))
    try:
        message = tool.restored(launch_id, PlatformHttp())
    except LtiException:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, "This lesson picker has expired; open it again from the LMS."
        ) from None
    body = dict(message.get_launch_data())
    aud = body.get("aud")
    with Session(platform.engine) as session:
        lms_user = registry.lms_user_of(
            session,
            issuer=str(body.get("iss")),
            client_id=str(aud[0] if isinstance(aud, list) else aud),
            sub=str(body.get("sub")),
        )
    if lms_user is None or lms_user.user_id != user.id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "This lesson picker belongs to another LMS user.")
    exercise = platform.catalog.get(slug)
    assert exercise is not None
    # A write link carries only its lesson, as links made before modes existed do.
    custom = {LESSON_PARAMETER: slug} if mode == WRITE else {LESSON_PARAMETER: slug, MODE_PARAMETER: mode}
    named = mode_named(mode)
    title = exercise.title if mode == WRITE or named is None else f"{exercise.title}: {named.title}"
    resource_id = slug if mode == WRITE else f"{slug}/{mode}"
    lineitem = LineItem().set_score_maximum(10).set_label(title).set_resource_id(resource_id)
    resource = DeepLinkResource().set_url(launch_url).set_title(title).set_custom_params(custom).set_lineitem(lineitem)
    settings = body.get(DEEP_LINKING_CLAIM)
    return_url = settings.get("deep_link_return_url", "") if isinstance(settings, dict) else ""
    return message.get_deep_link().get_response_jwt([resource]), str(return_url)


@router.post("/deep-link")
async def deep_link(request: Request, user: PageUser, platform: PlatformDep, fields: CheckedForm) -> Response:
    """The instructor's pick: answers with a page that posts the signed link back to the LMS."""
    launch_id = fields.get("launch_id", "")
    if not launch_id or request.session.get(DEEP_LINK_SESSION_KEY) != launch_id:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "This lesson picker has expired; open it again from the LMS.")
    slug = fields.get("lesson", "").strip()
    if platform.catalog.get(slug) is None:
        message = (
            "Pick a lesson from the list." if not slug else f"There is no lesson {slug[:64]!r}; pick one from the list."
        )
        return _picker(request, platform, user, launch_id=launch_id, error=message, status_code=422)
    mode = fields.get("mode", "").strip() or WRITE
    if mode not in ASSIGNABLE_MODES:
        message = f"There is no graded mode {mode[:16]!r}; pick one of the list ({', '.join(ASSIGNABLE_MODES)})."
        return _picker(request, platform, user, launch_id=launch_id, error=message, status_code=422)
    launch_url = tool_url(request, platform, "/lti/launch")
    token, return_url = await run_in_threadpool(_deep_link_response, platform, user, launch_id, slug, mode, launch_url)
    parts = urlsplit(return_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "The LMS gave no valid address to return the link to.")
    request.session.pop(DEEP_LINK_SESSION_KEY, None)
    exercise = platform.catalog.get(slug)
    assert exercise is not None
    response = render(
        request, "lti/deep_link_return.html", {"jwt": token, "return_url": return_url, "lesson": exercise}, user=user
    )
    # This page's one form goes to the LMS, so its policy allows that address as a form target.
    origin = f"{parts.scheme}://{parts.netloc}"
    response.headers["content-security-policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        f"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self' {origin}"
    )
    return response


# Registering platforms (instructors)


def _platforms_page(
    request: Request,
    user: User,
    session: Session,
    platform: Platform,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    saved: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "platforms": registry.platforms(session),
        "urls": tool_urls(request, platform),
        "error": error,
        "form": form or {},
        "saved": saved,
    }
    return render(request, "lti/platforms.html", context, user=user, status_code=status_code)


@router.get("/platforms", response_class=HTMLResponse)
def platforms_page(request: Request, user: InstructorPage, session: SessionDep, platform: PlatformDep) -> Response:
    return _platforms_page(request, user, session, platform)


@router.post("/platforms", response_class=HTMLResponse)
def register_platform(
    request: Request, user: InstructorPage, session: SessionDep, platform: PlatformDep, fields: CheckedForm
) -> Response:
    form = {key: fields.get(key, "")[:1024] for key in registry.FORM_FIELDS}
    try:
        registered = registry.register_platform(
            session,
            issuer=form["issuer"],
            client_id=form["client_id"],
            deployment_ids=registry.split_deployments(form["deployment_ids"]),
            auth_login_url=form["auth_login_url"],
            auth_token_url=form["auth_token_url"],
            key_set_url=form["key_set_url"],
            auth_audience=form["auth_audience"] or None,
            title=form["title"],
        )
    except registry.RegistrationError as exc:
        return _platforms_page(
            request,
            user,
            session,
            platform,
            error=str(exc),
            form=form,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    return _platforms_page(request, user, session, platform, saved=registered.title or registered.issuer)


# A course's LMS page: its LMS courses, the roster, and each learner's grade passback


def _course_lti_page(
    request: Request,
    course_id: int,
    user: User,
    session: Session,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    access = course_access(session, user=user, course_id=course_id, need=Need.STAFF)
    context = {
        "course": access.course,
        "role": access.role,
        "contexts": contexts_of_course(session, course_id=course_id),
        "syncs": passback.course_grade_syncs(session, course_id=course_id),
        "notice": notice,
        "error": error,
    }
    return render(request, "lti/course.html", context, user=user, status_code=status_code)


@router.get("/courses/{course_id}", response_class=HTMLResponse)
def course_lti_page(course_id: CourseId, request: Request, user: PageUser, session: SessionDep) -> Response:
    return _course_lti_page(request, course_id, user, session)


@router.post("/courses/{course_id}/roster", response_class=HTMLResponse)
def roster(
    course_id: CourseId,
    request: Request,
    user: PageUser,
    session: SessionDep,
    platform: PlatformDep,
    fields: CheckedForm,
) -> Response:
    """Fetch the LMS roster (Names and Role Provisioning) and enrol its members."""
    course_access(session, user=user, course_id=course_id, need=Need.INSTRUCTOR)
    contexts = contexts_of_course(session, course_id=course_id)
    if not contexts:
        return _course_lti_page(
            request,
            course_id,
            user,
            session,
            error="This course is not linked to an LMS course yet: open a tracedojo link from the LMS first.",
            status_code=status.HTTP_409_CONFLICT,
        )
    notes, errors = [], []
    for context in contexts:
        assert context.id is not None
        try:
            notes.append(f"{context.title}: {sync_roster(platform.engine, PlatformHttp(), context_id=context.id)}.")
        except RosterError as exc:
            errors.append(f"{context.title}: {exc}.")
    session.expire_all()  # the roster came in through sessions of its own
    return _course_lti_page(
        request, course_id, user, session, notice=" ".join(notes) or None, error=" ".join(errors) or None
    )


@router.post("/courses/{course_id}/grades/{sync_id}/retry", response_class=HTMLResponse)
def retry_grade(
    course_id: CourseId,
    sync_id: SyncId,
    request: Request,
    user: PageUser,
    session: SessionDep,
    platform: PlatformDep,
    fields: CheckedForm,
) -> Response:
    """Send a learner's grade to the LMS again now."""
    course_access(session, user=user, course_id=course_id, need=Need.STAFF)
    sync = passback.sync_in_course(session, course_id=course_id, sync_id=sync_id)
    if sync is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no LMS grade {sync_id} in course {course_id}")
    passback.retry(session, sync=sync)
    platform.passback.wake()
    return RedirectResponse(f"/lti/courses/{course_id}#grades", status_code=status.HTTP_303_SEE_OTHER)
