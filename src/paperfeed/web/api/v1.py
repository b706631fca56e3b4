"""The read side of paperfeed's own JSON API, ``/api/v1/``: papers, their discussions,
the day, week, month and trending lists, search and public profiles.

Lists are paged: ``page`` from 1 (at most 10,000) and ``per_page`` 1..100 (30 by
default); anything outside is a 422. Each list answers its ``total``, ``pages`` and the
URLs of the ``next`` and ``prev`` pages, in the page's order with ties broken by the
paper's internal id, so walking the pages gives each paper once. Unknown papers, days,
periods and users are a 404; a wrong or revoked token (reads need none) a 401;
every failure has the shape
``{"error": {"code", "message"}}``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from paperfeed.search.service import SearchResponse
from paperfeed.web.api.auth import optional_caller
from paperfeed.web.api.errors import ERROR_RESPONSES
from paperfeed.web.api.search import api_search
from paperfeed.web.api.v1_data import (
    Paging,
    day_list,
    discussion,
    find_paper,
    latest_day,
    list_today,
    page_links,
    paper_json,
    parse_day_or_404,
    parse_period_or_404,
    period_list,
    profile,
    trending_list,
)
from paperfeed.web.api.v1_models import (
    PAGE_MAX,
    PER_PAGE_DEFAULT,
    PER_PAGE_MAX,
    CommentsJSON,
    DayList,
    PaperDetail,
    PeriodList,
    ProfileJSON,
    TrendingList,
)
from paperfeed.web.deps import SessionDep
from paperfeed.web.viewer import utcnow

# Reads need no token, but one that is sent must be live (a bad one is a 401).
router = APIRouter(prefix="/api/v1", tags=["read"], responses=ERROR_RESPONSES,
                   dependencies=[Depends(optional_caller)])


class PageParams(BaseModel):
    """Which page of a list (unknown parameters are refused)."""

    model_config = ConfigDict(extra="forbid")

    page: int = Field(1, ge=1, le=PAGE_MAX, description="Page number, from 1")
    per_page: int = Field(PER_PAGE_DEFAULT, ge=1, le=PER_PAGE_MAX,
                          description=f"Papers per page, 1..{PER_PAGE_MAX}")


class SortedPageParams(PageParams):
    sort: Literal["votes", "time"] = Field(
        "votes", description="votes: most upvoted first; time: newest entry first")


PageDep = Annotated[PageParams, Query()]
SortedPageDep = Annotated[SortedPageParams, Query()]


def _paging(params: PageParams) -> Paging:
    return Paging(params.page, params.per_page)


def _here(request: Request) -> tuple[str, dict[str, str]]:
    return request.url.path, dict(request.query_params)


@router.get("/papers/{arxiv_id:path}/comments", response_model=CommentsJSON,
            summary="A paper's discussion, in reading order")
def paper_comments(session: SessionDep, arxiv_id: str) -> CommentsJSON:
    return discussion(session, find_paper(session, arxiv_id))


@router.get("/papers/{arxiv_id:path}", response_model=PaperDetail,
            summary="A paper (any form of its arXiv id)")
def paper(session: SessionDep, arxiv_id: str) -> PaperDetail:
    return paper_json(session, find_paper(session, arxiv_id))


@router.get("/days/latest", response_model=DayList, summary="The latest day's list")
def latest(request: Request, session: SessionDep, params: SortedPageDep) -> DayList:
    return day_list(session, latest_day(session), params.sort, _paging(params),
                    page_links(*_here(request)))


@router.get("/days/{day}", response_model=DayList, summary="A day's list (YYYY-MM-DD)")
def day(request: Request, session: SessionDep, day: str, params: SortedPageDep) -> DayList:
    return day_list(session, parse_day_or_404(day), params.sort, _paging(params),
                    page_links(*_here(request)))


@router.get("/weeks/{week}", response_model=PeriodList,
            summary="An ISO week's papers (YYYY-Www)")
def week(request: Request, session: SessionDep, week: str, params: SortedPageDep
         ) -> PeriodList:
    return period_list(session, parse_period_or_404("week", week), params.sort,
                       _paging(params), page_links(*_here(request)))


@router.get("/months/{month}", response_model=PeriodList,
            summary="A month's papers (YYYY-MM)")
def month(request: Request, session: SessionDep, month: str, params: SortedPageDep
          ) -> PeriodList:
    return period_list(session, parse_period_or_404("month", month), params.sort,
                       _paging(params), page_links(*_here(request)))


@router.get("/trending", response_model=TrendingList, summary="Trending papers")
def trending(request: Request, session: SessionDep, params: PageDep) -> TrendingList:
    return trending_list(session, list_today(session, utcnow(request).date()), _paging(params),
                         page_links(*_here(request)))


@router.get("/users/{name}", response_model=ProfileJSON, summary="A reader's public profile")
def user(session: SessionDep, name: str) -> ProfileJSON:
    return profile(session, name)


# The same route as /api/search, with its parameters and object.
router.add_api_route("/search", api_search, methods=["GET"], response_model=SearchResponse,
                     summary="Search papers (the same object as /api/search)")
