"""The reader's pages: the daily list (latest and by date) and the paper page."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from paperfeed.community.moderation import entries_of_paper
from paperfeed.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.search.similar import similar_for_page
from paperfeed.storage import queries
from paperfeed.web.comments import comment_context
from paperfeed.web.deps import SessionDep, SettingsDep
from paperfeed.web.feedlinks import daily_feeds
from paperfeed.web.shells import list_page
from paperfeed.web.templating import render
from paperfeed.web.votecontrols import vote_controls

router = APIRouter(include_in_schema=False)

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PageNotFound(HTTPException):
    """A 404 with a reader-facing explanation and optional suggested links."""

    def __init__(self, message: str, links: list[tuple[str, str]] | None = None) -> None:
        super().__init__(status_code=404, detail=message)
        self.links = links or []


def parse_day(text: str) -> date | None:
    """A strict YYYY-MM-DD date, or None."""
    if not _DAY.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def paper_path(arxiv_id: str) -> str:
    return "/papers/" + quote(arxiv_id, safe="/")


SORTS = {"votes": "Top", "time": "Newest"}
SortQuery = Query("votes", pattern="^(votes|time)$", description="votes or time")
PageQuery = Query(1, ge=1, le=10_000)


def _day_page(
    session: Session, page_size: int, day: date, page: int, sort: str, *, latest: bool,
) -> tuple[str, dict[str, Any]]:
    total = queries.daily_count(session, day)
    items = queries.daily_list(
        session, day, sort, limit=page_size, offset=(page - 1) * page_size
    )
    prev_day, next_day = queries.neighbour_days(session, day)
    return "daily.html", {
        "day": day,
        "items": items,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // page_size)),
        "rank_offset": (page - 1) * page_size,
        "prev_day": prev_day,
        "next_day": next_day,
        "latest": latest,
        "sort": sort,
        "sorts": SORTS,
        "feeds": daily_feeds(None if latest else day),
    }


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
def home(
    request: Request,
    settings: SettingsDep,
    page: int = PageQuery,
    sort: str = SortQuery,
) -> Response:
    def build(session: Session) -> tuple[str, dict[str, Any]]:
        day = queries.latest_day(session)
        if day is None:
            return "empty.html", {}
        return _day_page(session, settings.page_size, day, page, sort, latest=True)

    return list_page(request, build)


@router.api_route("/date/{day_text}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def daily(
    request: Request,
    settings: SettingsDep,
    day_text: str,
    page: int = PageQuery,
    sort: str = SortQuery,
) -> Response:
    day = parse_day(day_text)
    if day is None:
        raise PageNotFound(
            f"“{day_text[:40]}” is not a date. Dates look like 2024-11-28.",
            [("/", "Latest papers")],
        )

    def build(session: Session) -> tuple[str, dict[str, Any]]:
        assert day is not None
        if queries.daily_count(session, day) == 0:
            prev_day, next_day = queries.neighbour_days(session, day)
            links = [(f"/date/{d.isoformat()}", f"Papers of {d.isoformat()}")
                     for d in (prev_day, next_day) if d is not None]
            raise PageNotFound(f"No papers were listed on {day.isoformat()}.",
                               [*links, ("/", "Latest papers")])
        return _day_page(session, settings.page_size, day, page, sort, latest=False)

    return list_page(request, build)


@router.api_route("/papers/{arxiv_id:path}", methods=["GET", "HEAD"],
                  response_class=HTMLResponse)
def paper_page(request: Request, session: SessionDep, arxiv_id: str) -> Response:
    try:
        canonical = parse_arxiv_id(arxiv_id).id
    except InvalidArxivId:
        raise PageNotFound(
            f"“{arxiv_id[:80]}” is not an arXiv id. Ids look like 2411.17700 or hep-th/9901001.",
            [("/", "Latest papers")],
        ) from None
    paper = queries.get_paper(session, canonical)
    if paper is None:
        raise PageNotFound(
            f"There is no paper {canonical} here yet.",
            [(f"https://arxiv.org/abs/{canonical}", f"{canonical} on arXiv"),
             ("/", "Latest papers")],
        )
    if arxiv_id != canonical:
        return RedirectResponse(paper_path(canonical), status_code=301)
    return render(
        request,
        "paper.html",
        {
            "paper": paper,
            # Called only by the moderators' block of paper.html.
            "moderation_entries": lambda: entries_of_paper(session, paper.id),
            "days": queries.days_for_paper(session, paper.id),
            "entries": queries.entries_for_paper(session, paper.id),
            "submitted": request.query_params.get("submitted") == "1",  # after /submit
            **comment_context(request, session, paper),
            "similar": similar_for_page(
                session, paper, limit=6, settings=request.app.state.settings),
            "vote_controls": vote_controls(request, session, [paper]),
        },
    )
