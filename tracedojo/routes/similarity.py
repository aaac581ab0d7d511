"""Similarity of learners' best submissions, for instructors: a JSON route and a side-by-side page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from tracedojo.deps import InstructorOnly, InstructorPage, PlatformDep, SessionDep, Slug, exercise_or_404
from tracedojo.similarity import similarity_report
from tracedojo.views import render

api = APIRouter(prefix="/api/instructor", tags=["instructor"])
pages = APIRouter(prefix="/instructor", include_in_schema=False)

Top = Annotated[int, Query(ge=1, le=500, description="at most this many pairs, most shared first")]


class SideOfPair(BaseModel):
    username: str
    user_id: int
    submission: int
    score: float | None
    max_score: float
    share: float  # of this side's fingerprinted code, the part also found in the other side


class PairPublic(BaseModel):
    rank: int
    share: float
    shared_tokens: int
    left: SideOfPair
    right: SideOfPair


class SimilarityPublic(BaseModel):
    exercise: str
    learners: int
    pairs_compared: int
    pairs: list[PairPublic]


@api.get("/exercises/{slug}/similarity")
async def get_similarity(
    user: InstructorOnly, session: SessionDep, platform: PlatformDep, slug: str = Slug, top: Top = 50
) -> SimilarityPublic:
    """Pairs of learners ranked by how much their best submissions share beyond the lesson's sample and starter."""
    exercise = exercise_or_404(platform, slug)
    report = await run_in_threadpool(similarity_report, session, exercise=exercise, marked=0)
    return SimilarityPublic(
        exercise=slug,
        learners=report.candidates,
        pairs_compared=report.compared,
        pairs=[
            PairPublic(
                rank=n,
                share=round(pair.share, 4),
                shared_tokens=pair.shared_tokens,
                left=SideOfPair(
                    username=pair.left.username,
                    user_id=pair.left.user_id,
                    submission=pair.left.submission_id,
                    score=pair.left.score,
                    max_score=pair.left.max_score,
                    share=round(pair.left_share, 4),
                ),
                right=SideOfPair(
                    username=pair.right.username,
                    user_id=pair.right.user_id,
                    submission=pair.right.submission_id,
                    score=pair.right.score,
                    max_score=pair.right.max_score,
                    share=round(pair.right_share, 4),
                ),
            )
            for n, pair in enumerate(report.pairs[:top], start=1)
        ],
    )


@pages.get("/exercises/{slug}/similarity", response_class=HTMLResponse)
async def similarity_page(
    request: Request,
    instructor: InstructorPage,
    session: SessionDep,
    platform: PlatformDep,
    slug: str = Slug,
    top: Top = 20,
) -> Response:
    exercise = exercise_or_404(platform, slug)
    report = await run_in_threadpool(similarity_report, session, exercise=exercise, marked=top)
    return render(
        request,
        "instructor/similarity.html",
        {"exercise": exercise, "report": report, "pairs": report.pairs[:top], "top": top},
        user=instructor,
    )
