"""The JSON twins of the pages (``/date/2024-11-29.json``, ``/papers/ID.json``,
``/index.json``...; see :mod:`paperfeed.web.negotiate`): what each page shows, in the
same order and with the same page size, in the /api/v1 shapes. A page's query
parameters (``page``, ``sort``, the search form's fields) work the same on its twin;
failures answer ``{"error": {"code", "message"}}``. Twins show what an anonymous reader
sees."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request

from paperfeed.search.service import MODES, SORTS, search
from paperfeed.web.api.v1_data import (
    Paging,
    day_list,
    find_paper,
    latest_day,
    list_today,
    page_links,
    paper_page,
    parse_day_or_404,
    parse_period_or_404,
    period_list,
    profile,
    trending_list,
)
from paperfeed.web.api.v1_models import (
    DayList,
    PaperPage,
    PeriodList,
    ProfileJSON,
    SearchPage,
    TrendingList,
)
from paperfeed.web.deps import SessionDep, SettingsDep
from paperfeed.web.pages import PageQuery, SortQuery
from paperfeed.web.search import MAX_PAGE, PAGE_SIZE, effective_query
from paperfeed.web.viewer import utcnow

router = APIRouter(include_in_schema=False)
GET = ["GET", "HEAD"]


def _links(request: Request) -> Any:
    return page_links(request.url.path, dict(request.query_params))


@router.api_route("/index.json", methods=GET, response_model=DayList)
def home(request: Request, session: SessionDep, settings: SettingsDep,
         page: int = PageQuery, sort: str = SortQuery) -> DayList:
    return day_list(session, latest_day(session), sort, Paging(page, settings.page_size),
                    _links(request))


@router.api_route("/date/{day_text}.json", methods=GET, response_model=DayList)
def daily(request: Request, session: SessionDep, settings: SettingsDep, day_text: str,
          page: int = PageQuery, sort: str = SortQuery) -> DayList:
    return day_list(session, parse_day_or_404(day_text), sort,
                    Paging(page, settings.page_size), _links(request))


@router.api_route("/trending.json", methods=GET, response_model=TrendingList)
def trending(request: Request, session: SessionDep, settings: SettingsDep,
             page: int = PageQuery) -> TrendingList:
    return trending_list(session, list_today(session, utcnow(request).date()),
                         Paging(page, settings.page_size), _links(request))


@router.api_route("/week/{text}.json", methods=GET, response_model=PeriodList)
def week(request: Request, session: SessionDep, settings: SettingsDep, text: str,
         page: int = PageQuery, sort: str = SortQuery) -> PeriodList:
    return period_list(session, parse_period_or_404("week", text), sort,
                       Paging(page, settings.page_size), _links(request))


@router.api_route("/month/{text}.json", methods=GET, response_model=PeriodList)
def month(request: Request, session: SessionDep, settings: SettingsDep, text: str,
          page: int = PageQuery, sort: str = SortQuery) -> PeriodList:
    return period_list(session, parse_period_or_404("month", text), sort,
                       Paging(page, settings.page_size), _links(request))


@router.api_route("/users/{name}.json", methods=GET, response_model=ProfileJSON)
def user(session: SessionDep, name: str) -> ProfileJSON:
    return profile(session, name)


@router.api_route("/papers/{arxiv_id:path}.json", methods=GET, response_model=PaperPage)
def paper(session: SessionDep, settings: SettingsDep, arxiv_id: str) -> PaperPage:
    return paper_page(session, find_paper(session, arxiv_id), settings)


@router.api_route("/search.json", methods=GET, response_model=SearchPage)
def search_twin(
    request: Request,
    settings: SettingsDep,
    q: str = Query(""),
    mode: str = Query("hybrid"),
    sort: str = Query("relevance"),
    cat: str = Query(""),
    year_from: str = Query("", alias="from"),
    year_to: str = Query("", alias="to"),
    page: str = Query("1"),
) -> SearchPage:
    """What /search shows for the same form: unknown modes, sorts and pages are read the
    way the page reads them."""
    notices: list[str] = []
    if mode not in MODES:
        notices.append(f"Unknown mode {mode[:20]!r}; using hybrid.")
        mode = "hybrid"
    if sort not in SORTS:
        sort = "relevance"
    try:
        page_no = max(1, min(MAX_PAGE, int(page)))
    except ValueError:
        page_no = 1
    full = effective_query(q, cat, year_from, year_to, notices)
    base = {k: v for k, v in {"q": q, "mode": mode, "sort": sort, "cat": cat,
                              "from": year_from, "to": year_to}.items() if v}
    found = None
    has_next = False
    if full:
        found = search(request.app.state.engine, settings, full, mode=mode, limit=PAGE_SIZE,
                       offset=(page_no - 1) * PAGE_SIZE, sort=sort)
        notices.extend(found.notices)
        pages = min(MAX_PAGE, -(-found.total // PAGE_SIZE)) if found.total else 1
        has_next = page_no < pages and len(found.results) == PAGE_SIZE

    def url(path: str, n: int) -> str:
        return f"{path}?{urlencode({**base, 'page': n})}"

    html_url = url("/search", page_no)
    if found is not None and found.redirect:  # the page sends a pasted id to the paper
        html_url = "/papers/" + quote(found.redirect, safe="/")
    return SearchPage(
        page=page_no,
        next=url("/search.json", page_no + 1) if has_next else None,
        prev=url("/search.json", page_no - 1) if page_no > 1 else None,
        html_url=html_url, notices=notices, search=found,
    )
