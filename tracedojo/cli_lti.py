"""``tracedojo lti ...``: register LMS platforms, list them, rotate the tool's key, fetch a roster."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import Session

from tracedojo.cli_support import checked_settings, err, fail, migrated_engine, out
from tracedojo.courses import get_course
from tracedojo.lti import keys, registry
from tracedojo.lti.adapter import PlatformHttp
from tracedojo.lti.passback import RetryPolicy, send_due
from tracedojo.lti.roster import RosterError, contexts_of_course, sync_roster

lti = typer.Typer(
    help="LTI 1.3: register LMS platforms (Canvas, Moodle, ...), rotate the tool's key, fetch rosters.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@lti.command("register")
def register(
    issuer: Annotated[str, typer.Option(help="The platform's issuer (iss), e.g. https://canvas.instructure.com.")],
    client_id: Annotated[str, typer.Option(help="tracedojo's client id at the platform (its developer key).")],
    deployment_id: Annotated[
        list[str], typer.Option(help="A deployment id of tracedojo at the platform; repeat for several.")
    ],
    login_url: Annotated[str, typer.Option(help="The platform's OIDC authorization (auth login) URL.")],
    token_url: Annotated[str, typer.Option(help="The platform's OAuth2 access token URL.")],
    keyset_url: Annotated[str, typer.Option(help="The platform's public key set (JWKS) URL.")],
    audience: Annotated[
        str | None, typer.Option(help="Audience of token requests, if not the token URL (rarely needed).")
    ] = None,
    title: Annotated[str, typer.Option(help="A name for people, e.g. 'School Canvas'.")] = "",
) -> None:
    """Register an LMS platform (or update it and add deployments); prints tracedojo's URLs for the LMS."""
    with migrated_engine() as engine, Session(engine, expire_on_commit=False) as session:
        try:
            platform = registry.register_platform(
                session,
                issuer=issuer,
                client_id=client_id,
                deployment_ids=deployment_id,
                auth_login_url=login_url,
                auth_token_url=token_url,
                key_set_url=keyset_url,
                auth_audience=audience,
                title=title,
            )
        except registry.RegistrationError as exc:
            fail(str(exc))
        deployments = [d.deployment_id for d in registry.deployments_of(session, platform_id=platform.id or 0)]
    out.print(f"registered platform {platform.id}: {platform.issuer} (client id {platform.client_id})", markup=False)
    out.print(f"deployments: {', '.join(deployments)}", markup=False)
    base = checked_settings().public_url.rstrip("/") or "https://<tracedojo's address>"
    out.print(
        f"In the LMS use: login URL {base}/lti/login, launch and deep linking URL {base}/lti/launch, "
        f"key set URL {base}/lti/jwks",
        markup=False,
        soft_wrap=True,
    )


@lti.command("list")
def list_platforms() -> None:
    """List the registered LMS platforms and their deployments."""
    with migrated_engine() as engine, Session(engine) as session:
        rows = registry.platforms(session)
    if not rows:
        out.print("no LTI platform registered; add one with `tracedojo lti register`", markup=False)
        return
    # Plain lines rather than a table: URLs are long, and people copy them whole.
    for platform, deployments in rows:
        out.print(f"platform {platform.id}: {platform.title or platform.issuer}", markup=False)
        for label, value in (
            ("issuer", platform.issuer),
            ("client id", platform.client_id),
            ("deployments", ", ".join(deployments)),
            ("auth login URL", platform.auth_login_url),
            ("auth token URL", platform.auth_token_url),
            ("key set URL", platform.key_set_url),
        ):
            out.print(f"  {label}: {value}", markup=False, soft_wrap=True)


@lti.command("rotate-key")
def rotate_key() -> None:
    """Make a new signing key; the previous one stays in the JWKS until the next rotation, older ones leave it."""
    with migrated_engine() as engine, Session(engine) as session:
        new, retired = keys.rotate(session)
        published = [key.kid for key in keys.active_keys(session)]
    out.print(f"new signing key {new.kid}; published: {', '.join(published)}", markup=False)
    if retired:
        out.print(f"retired: {', '.join(key.kid for key in retired)}", markup=False)


@lti.command("roster")
def roster(course_id: Annotated[int, typer.Argument(help="The tracedojo course linked to an LMS course.")]) -> None:
    """Fetch the roster from the LMS (Names and Role Provisioning) and enrol its members with their roles."""
    with migrated_engine() as engine:
        with Session(engine) as session:
            if get_course(session, course_id=course_id) is None:
                fail(f"no course {course_id}; `tracedojo courses list` shows them")
            contexts = contexts_of_course(session, course_id=course_id)
        if not contexts:
            fail(f"course {course_id} is not linked to an LMS course; launch a tracedojo link from the LMS first")
        failed = False
        for context in contexts:
            assert context.id is not None
            try:
                report = sync_roster(engine, PlatformHttp(), context_id=context.id)
            except RosterError as exc:
                err.print(f"{context.title}: {exc}", markup=False, soft_wrap=True)
                failed = True
                continue
            out.print(f"{context.title}: {report}", markup=False)
    if failed:
        raise typer.Exit(1)


@lti.command("send-grades")
def send_grades() -> None:
    """Send every LMS grade that is due now (the server does this on its own; useful after an outage)."""
    settings = checked_settings()
    with migrated_engine() as engine:
        policy = RetryPolicy(first_delay=settings.lti_retry_seconds, max_attempts=settings.lti_max_attempts)
        sent = send_due(engine, PlatformHttp(), policy=policy)
    out.print(f"sent {sent} grade(s) to the LMS", markup=False)
