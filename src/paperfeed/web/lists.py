"""The community's lists: ``/trending``, ``/week/YYYY-Www`` and ``/month/YYYY-MM``.

- ``/trending``: papers by their stored trending key (:mod:`paperfeed.ranking.trending`),
  highest first: one query down the ``trending_key`` index. Only papers with a visible
  daily entry in the :data:`TRENDING_DAYS` days up to the latest list day are shown (the
  latest list day rather than today, so a site that is not fed every day, such as the
  demo, still has a trending page).
- ``/week/2024-W48`` (ISO week) and ``/month/2024-11``: every paper with a visible daily
  entry on a day of the period, once, most votes first (``?sort=time``: newest entry
  first), with links to the nearest earlier and later periods that have papers.
- ``/week`` and ``/month`` redirect (302) to the period of the latest list day (today's
  period on a site that is fed every day).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from paperfeed.storage import queries
from paperfeed.web.deps import SessionDep, SettingsDep, read_session
from paperfeed.web.feedlinks import trending_feeds
from paperfeed.web.pages import SORTS, PageNotFound, PageQuery, SortQuery
from paperfeed.web.shells import list_page
from paperfeed.web.viewer import utcnow

router = APIRouter(include_in_schema=False)

TRENDING_DAYS = 30
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, slots=True)
class Period:
    kind: str  # "week" or "month"
    start: date
    end: date  # exclusive

    @property
    def label(self) -> str:
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year:04d}-{self.start.month:02d}"

    @property
    def path(self) -> str:
        return f"/{self.kind}/{self.label}"

    @property
    def title(self) -> str:
        if self.kind == "week":
            last = self.end - timedelta(days=1)
            year, week, _ = self.start.isocalendar()
            first = f"{self.start.day} {self.start:%b}"
            return f"Week {week} of {year} ({first} – {last.day} {last:%b %Y})"
        return f"{self.start:%B %Y}"


def week_of(day: date) -> Period:
    start = day - timedelta(days=day.weekday())
    return Period("week", start, start + timedelta(days=7))


def month_of(day: date) -> Period:
    start = day.replace(day=1)
    end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return Period("month", start, end)


def period_of(kind: str, day: date) -> Period:
    return week_of(day) if kind == "week" else month_of(day)


def parse_period(kind: str, text: str) -> Period | None:
    """A strict ``YYYY-Www`` (ISO week) or ``YYYY-MM``, or None."""
    match = (_WEEK if kind == "week" else _MONTH).match(text)
    if not match:
        return None
    year, number = int(match.group(1)), int(match.group(2))
    try:
        if kind == "week":
            return week_of(date.fromisocalendar(year, number, 1))
        return month_of(date(year, number, 1))
    except ValueError:
        return None


def _current_day(request: Request, session: Session) -> date:
    return queries.latest_day(session) or utcnow(request).date()


@router.api_route("/trending", methods=["GET", "HEAD"], response_class=HTMLResponse)
def trending(
    request: Request, settings: SettingsDep, page: int = PageQuery,
) -> Response:
    def build(session: Session) -> tuple[str, dict[str, Any]]:
        cutoff = _current_day(request, session) - timedelta(days=TRENDING_DAYS)
        size = settings.page_size
        total = queries.trending_count(session, cutoff)
        papers = queries.trending_list(session, cutoff, limit=size, offset=(page - 1) * size)
        return "list.html", {
            "kind": "trending",
            "heading": "Trending papers",
            "intro": f"What readers upvoted lately, over the lists of the last "
                     f"{TRENDING_DAYS} days; recent votes count most.",
            "papers": papers,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // size)),
            "rank_offset": (page - 1) * size,
            "base_path": "/trending",
            "sort": "trending",
            "sorts": {},
            "feeds": trending_feeds(),
        }

    return list_page(request, build)


def _redirect_current(kind: str, request: Request, session: SessionDep) -> Response:
    return RedirectResponse(period_of(kind, _current_day(request, session)).path, status_code=302)


@router.api_route("/week", methods=["GET", "HEAD"])
def this_week(request: Request, session: SessionDep) -> Response:
    return _redirect_current("week", request, session)


@router.api_route("/month", methods=["GET", "HEAD"])
def this_month(request: Request, session: SessionDep) -> Response:
    return _redirect_current("month", request, session)


def _period_page(
    kind: str, text: str, request: Request, settings: SettingsDep,
    page: int, sort: str,
) -> Response:
    period = parse_period(kind, text)
    if period is None:
        with read_session(request) as session:
            current = _current_day(request, session)
        example = week_of(current) if kind == "week" else month_of(current)
        shape = "2024-W48 (an ISO year and week)" if kind == "week" else "2024-11"
        raise PageNotFound(
            f"“{text[:40]}” is not a {kind}. {kind.title()}s look like {shape}.",
            [(example.path, f"Papers of {example.label}"), ("/", "Latest papers")],
        )

    def build(session: Session) -> tuple[str, dict[str, Any]]:
        assert period is not None
        size = settings.page_size
        total = queries.period_count(session, period.start, period.end)
        items = queries.period_list(session, period.start, period.end, sort, limit=size,
                                    offset=(page - 1) * size)
        before, after = queries.listed_days_around(session, period.start, period.end)
        return "list.html", {
            "kind": kind,
            "heading": f"Papers of {period.title}",
            "intro": "Every paper on a daily list of this " + kind + ", most upvoted first."
                     if sort == "votes" else
                     "Every paper on a daily list of this " + kind + ", newest first.",
            "period": period,
            "prev_period": period_of(kind, before) if before else None,
            "next_period": period_of(kind, after) if after else None,
            "papers": [item.paper for item in items],
            "total": total,
            "page": page,
            "pages": max(1, -(-total // size)),
            "rank_offset": (page - 1) * size,
            "base_path": period.path,
            "sort": sort,
            "sorts": SORTS,
        }

    return list_page(request, build)


@router.api_route("/week/{text}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def week(
    request: Request, settings: SettingsDep, text: str,
    page: int = PageQuery, sort: str = SortQuery,
) -> Response:
    return _period_page("week", text, request, settings, page, sort)


@router.api_route("/month/{text}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def month(
    request: Request, settings: SettingsDep, text: str,
    page: int = PageQuery, sort: str = SortQuery,
) -> Response:
    return _period_page("month", text, request, settings, page, sort)
