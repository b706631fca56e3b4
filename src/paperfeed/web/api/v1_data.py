"""What /api/v1 and the JSON twins of the pages answer, read from the database: the same
lists, in the same order, as the pages, with page links and totals. Unknown things raise
:class:`~paperfeed.web.api.errors.ApiError` (404); both the API and the twins call these."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from paperfeed.accounts.usernames import username_key
from paperfeed.community.comments import paper_comments
from paperfeed.config import Settings
from paperfeed.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.render.threads import build_thread, flatten, visible_count
from paperfeed.search.similar import similar_for_page
from paperfeed.storage import queries
from paperfeed.storage.models import Paper
from paperfeed.web.api.errors import ApiError
from paperfeed.web.api.v1_models import (
    CommentsJSON,
    DayList,
    ListItem,
    PaperDetail,
    PaperPage,
    PeriodList,
    ProfileJSON,
    TrendingList,
)
from paperfeed.web.api.v1_shapes import (
    comment_json,
    day_text,
    iso_z,
    list_item,
    paper_detail,
    paper_summary,
    user_url,
)
from paperfeed.web.lists import TRENDING_DAYS, Period, parse_period, period_of
from paperfeed.web.pages import parse_day

PROFILE_SHOWN = 50  # papers per section of a profile, as on the page

LinkFor = Callable[[int], str]
"""A page number → the URL of that page of the same list."""


@dataclass(frozen=True, slots=True)
class Paging:
    page: int  # from 1
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def page_links(path: str, params: dict[str, str]) -> LinkFor:
    """Links to other pages of `path`: its query `params` with ``page`` replaced."""
    rest = {k: v for k, v in params.items() if k != "page"}

    def link(page: int) -> str:
        return f"{path}?{urlencode({**rest, 'page': page})}"

    return link


def _envelope(total: int, paging: Paging, link: LinkFor, html_url: str) -> dict[str, Any]:
    pages = max(1, -(-total // paging.per_page))
    return {
        "total": total,
        "page": paging.page,
        "per_page": paging.per_page,
        "pages": pages,
        "next": link(paging.page + 1) if paging.page < pages else None,
        "prev": link(min(paging.page - 1, pages)) if paging.page > 1 else None,
        "html_url": html_url,
    }


# -- papers ----------------------------------------------------------------------------


def find_paper(session: Session, arxiv_id: str) -> Paper:
    """The paper of any pasted form of its id, else a 404."""
    try:
        canonical = parse_arxiv_id(arxiv_id).id
    except InvalidArxivId:
        raise ApiError(404, f"{arxiv_id[:80]!r} is not an arXiv id. Ids look like "
                            "2411.17700 or hep-th/9901001.") from None
    paper = queries.get_paper(session, canonical)
    if paper is None:
        raise ApiError(404, f"There is no paper {canonical} here.")
    return paper


def paper_json(session: Session, paper: Paper) -> PaperDetail:
    return paper_detail(paper, queries.entries_for_paper(session, paper.id))


def discussion(session: Session, paper: Paper) -> CommentsJSON:
    """The thread as an anonymous reader sees it on the paper's page."""
    comments = paper_comments(session, paper.id)
    rows = flatten(build_thread(comments))
    return CommentsJSON(paper=paper.arxiv_id, total=visible_count(comments),
                        comments=[comment_json(row) for row in rows])


def paper_page(session: Session, paper: Paper, settings: Settings) -> PaperPage:
    """The paper page's JSON twin; `settings` locate this machine's semantic index file."""
    return PaperPage(
        paper=paper_json(session, paper),
        discussion=discussion(session, paper),
        similar=[paper_summary(p) for p in similar_for_page(session, paper, limit=6,
                                                                 settings=settings)],
    )


# -- lists -----------------------------------------------------------------------------


def parse_day_or_404(text: str) -> date:
    day = parse_day(text)
    if day is None:
        raise ApiError(404, f"{text[:40]!r} is not a date. Dates look like 2024-11-28.")
    return day


def latest_day(session: Session) -> date:
    day = queries.latest_day(session)
    if day is None:
        raise ApiError(404, "No papers have been listed yet.")
    return day


def list_today(session: Session, today: date) -> date:
    """The day the lists count from: the latest list day (so a site that is not fed every
    day still has a trending list), else `today`."""
    return queries.latest_day(session) or today


def day_list(session: Session, day: date, sort: str, paging: Paging, link: LinkFor
             ) -> DayList:
    """A day's list, most votes first (``time``: newest entry first); a day without
    papers is a 404."""
    total = queries.daily_count(session, day)
    if total == 0:
        raise ApiError(404, f"No papers were listed on {day.isoformat()}.")
    rows = queries.daily_list(session, day, sort, limit=paging.per_page, offset=paging.offset)
    prev_day, next_day = queries.neighbour_days(session, day)
    return DayList(
        **_envelope(total, paging, link, f"/date/{day.isoformat()}"),
        items=[list_item(paging.offset + n, row.paper, row.entry)
               for n, row in enumerate(rows, 1)],
        day=day.isoformat(), sort=sort, prev_day=day_text(prev_day),
        next_day=day_text(next_day),
    )


def parse_period_or_404(kind: str, text: str) -> Period:
    period = parse_period(kind, text)
    if period is None:
        shape = "2024-W48 (an ISO year and week)" if kind == "week" else "2024-11"
        raise ApiError(404, f"{text[:40]!r} is not a {kind}. {kind.title()}s look like "
                            f"{shape}.")
    return period


def period_list(session: Session, period: Period, sort: str, paging: Paging, link: LinkFor
                ) -> PeriodList:
    """A week's or month's papers, each once, with its latest list day in the period."""
    total = queries.period_count(session, period.start, period.end)
    rows = queries.period_list(session, period.start, period.end, sort,
                               limit=paging.per_page, offset=paging.offset)
    entries = queries.latest_entries(session, [row.paper.id for row in rows],
                                     period.start, period.end)
    before, after = queries.listed_days_around(session, period.start, period.end)
    return PeriodList(
        **_envelope(total, paging, link, period.path),
        items=[list_item(paging.offset + n, row.paper, entries.get(row.paper.id), row.last_day)
               for n, row in enumerate(rows, 1)],
        kind=period.kind, period=period.label, title=period.title,
        first_day=period.start.isoformat(),
        last_day=(period.end - timedelta(days=1)).isoformat(), sort=sort,
        prev_period=period_of(period.kind, before).label if before else None,
        next_period=period_of(period.kind, after).label if after else None,
    )


def trending_list(session: Session, today: date, paging: Paging, link: LinkFor
                  ) -> TrendingList:
    """The trending papers as /trending shows them, each with its latest list day."""
    cutoff = today - timedelta(days=TRENDING_DAYS)
    total = queries.trending_count(session, cutoff)
    papers = queries.trending_list(session, cutoff, limit=paging.per_page,
                                   offset=paging.offset)
    entries = queries.latest_entries(session, [p.id for p in papers])
    return TrendingList(
        **_envelope(total, paging, link, "/trending"),
        items=[list_item(paging.offset + n, paper, entries.get(paper.id))
               for n, paper in enumerate(papers, 1)],
        days=TRENDING_DAYS,
    )


# -- people ----------------------------------------------------------------------------


def profile(session: Session, name: str) -> ProfileJSON:
    """What /users/NAME shows (NAME in any case); unknown accounts are a 404."""
    user = queries.user_by_key(session, username_key(name[:100]))
    if user is None:
        raise ApiError(404, f"There is no user {name[:64]!r} here.")
    submitted: list[ListItem] = []
    seen: set[int] = set()
    for item in queries.submitted_by_user(session, user.id, PROFILE_SHOWN):  # newest first
        if item.paper.id not in seen:  # once, with its latest entry, as on the page
            seen.add(item.paper.id)
            submitted.append(list_item(len(submitted) + 1, item.paper, item.entry))
    upvoted = None
    if user.show_upvotes:
        upvoted = [paper_summary(p)
                   for p in queries.upvoted_by_user(session, user.id, PROFILE_SHOWN)]
    return ProfileJSON(
        username=user.username, display_name=user.display_name, role=user.role,
        banned=bool(user.is_banned), joined=iso_z(user.created_at), url=user_url(user.username),
        comment_count=queries.user_comment_count(session, user.id),
        submitted=submitted, upvoted=upvoted,
    )

