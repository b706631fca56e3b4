"""The Hugging Face Hub's papers API on this site's papers: the same paths, parameters and
JSON shapes, so ``huggingface_hub.HfApi(endpoint=SITE)`` works unchanged.

- ``GET /api/daily_papers``: ``date`` (YYYY-MM-DD), ``week`` (YYYY-Www), ``month``
  (YYYY-MM), ``submitter`` (username), ``sort`` (``publishedAt``: newest listed first, the
  Hub's default; ``trending``: as ``/trending`` orders), ``p`` (page, from 0), ``limit``
  (default 50, clamped to 1..100). Without a date, week or month: the latest list day;
  with only a submitter, all of that account's submissions; ``sort=trending`` alone, the
  ``/trending`` list. A plain JSON array; ``Link: <…>; rel="next"`` when there is more.
- ``GET /api/papers/search?q=&limit=``: the hybrid search, as daily-papers entries.
- ``GET /api/papers/{id}``: the flat paper object; any pasted form of the id.
- ``GET /papers/{id}.md``: the paper as Markdown (``HfApi.read_paper``).

Errors answer as the Hub does, ``{"error": "..."}``: 400 for a bad parameter, 404 for an
unknown paper. The shapes are built in :mod:`paperfeed.web.api.hf_shapes`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from paperfeed.accounts.usernames import username_key
from paperfeed.render.paper_markdown import paper_markdown
from paperfeed.search.service import search
from paperfeed.storage import queries
from paperfeed.storage.listings import (
    ListedPaper,
    ListFilter,
    ListOrder,
    latest_entries,
    listed_papers,
)
from paperfeed.storage.models import Paper
from paperfeed.web.api.hf_shapes import daily_entry, paper_info
from paperfeed.web.deps import SessionDep, SettingsDep
from paperfeed.web.lists import TRENDING_DAYS, parse_period
from paperfeed.web.pages import paper_path, parse_day
from paperfeed.web.viewer import utcnow

router = APIRouter(tags=["Hugging Face-compatible"])

# What the OpenAPI document says of the Hub's shapes (built in hf_shapes).
_ERROR: dict[str, Any] = {
    "type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
_OBJECT: dict[str, Any] = {
    "type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
_ENTRY: dict[str, Any] = {
    "type": "object", "required": ["paper", "title", "publishedAt"],
    "properties": {"paper": _OBJECT, "title": {"type": "string"},
                   "publishedAt": {"type": "string"}}}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


BAD_PARAMETER: dict[int | str, dict[str, Any]] = {
    400: _json(_ERROR, "A parameter the Hub would refuse")}
NOT_FOUND_RESPONSE: dict[int | str, dict[str, Any]] = {404: _json(_ERROR, "No such paper")}
LIST_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: _json({"type": "array", "items": _ENTRY}, "Entries as the Hub lists them"),
    **BAD_PARAMETER,
}


def get_and_head(path: str, **options: object) -> Callable[[F], F]:
    """A GET route (described in the OpenAPI document) that HEAD also reaches."""
    def register(function: F) -> F:
        router.add_api_route(path, function, methods=["HEAD"], include_in_schema=False)
        return router.get(path, **options)(function)  # type: ignore[arg-type]
    return register

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_PAGE = 10_000
SORTS: dict[str, ListOrder] = {"publishedAt": "time", "trending": "trending"}
NOT_FOUND = "Paper not found"


F = TypeVar("F", bound=Callable[..., Any])


class BadParameter(ValueError):
    """A query parameter the Hub would refuse (400)."""


def error(status: int, message: str) -> JSONResponse:
    """The Hub's error body."""
    return JSONResponse({"error": message}, status_code=status)


def _number(name: str, text: str | None, default: int) -> int:
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise BadParameter(f"{name} must be a whole number") from None


@dataclass(frozen=True, slots=True)
class DailyQuery:
    """The parameters of /api/daily_papers, checked. ``where`` is None when the list is
    the default one (no date, week, month or submitter), decided against the database."""

    where: ListFilter | None
    order: ListOrder
    page: int
    limit: int


def parse_daily_query(params: dict[str, str | None]) -> DailyQuery:
    """Check /api/daily_papers' parameters; BadParameter names the first bad one."""
    page = _number("p", params.get("p"), 0)
    if not 0 <= page <= MAX_PAGE:
        raise BadParameter(f"p must be a page number from 0 to {MAX_PAGE}")
    limit = min(max(_number("limit", params.get("limit"), DEFAULT_LIMIT), 1), MAX_LIMIT)
    sort = params.get("sort") or "publishedAt"
    if sort not in SORTS:
        raise BadParameter("sort must be publishedAt or trending")
    given = [name for name in ("date", "week", "month") if params.get(name)]
    if len(given) > 1:
        raise BadParameter("give one of date, week and month")
    start = end = None
    if given == ["date"]:
        day = parse_day(params["date"] or "")
        if day is None:
            raise BadParameter("date must be YYYY-MM-DD")
        start, end = day, day + timedelta(days=1)
    elif given:
        kind = given[0]
        period = parse_period(kind, params[kind] or "")
        if period is None:
            raise BadParameter("week must be YYYY-Www" if kind == "week" else
                               "month must be YYYY-MM")
        start, end = period.start, period.end
    submitter = params.get("submitter") or None
    if start is None and submitter is None:
        return DailyQuery(None, SORTS[sort], page, limit)
    where = ListFilter(start, end, submitter_key=username_key(submitter) if submitter else None,
                       submitter_name=submitter)
    return DailyQuery(where, SORTS[sort], page, limit)


def _next_link(request: Request, base_url: str, page: int) -> str:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "p"]
    query = urlencode([*kept, ("p", str(page + 1))])
    return f'<{base_url.rstrip("/")}{request.url.path}?{query}>; rel="next"'


def _trending(request: Request, session: Session, query: DailyQuery) -> list[ListedPaper]:
    """The /trending list (down the trending-key index), with each paper's entry."""
    cutoff = (queries.latest_day(session) or utcnow(request).date()) - timedelta(
        days=TRENDING_DAYS)
    papers = queries.trending_list(session, cutoff, limit=query.limit + 1,
                                   offset=query.page * query.limit)
    entries = latest_entries(session, [p.id for p in papers], ListFilter(cutoff))
    return [ListedPaper(p, entries[p.id]) for p in papers if p.id in entries]


def _daily(request: Request, session: Session, query: DailyQuery) -> list[ListedPaper]:
    where = query.where
    if where is None:
        if query.order == "trending":
            return _trending(request, session, query)
        latest = queries.latest_day(session)
        if latest is None:
            return []
        where = ListFilter(latest, latest + timedelta(days=1))
    return listed_papers(session, where, query.order, limit=query.limit + 1,
                         offset=query.page * query.limit)


@get_and_head("/api/daily_papers", summary="Daily papers, as the Hugging Face Hub lists them",
              responses=LIST_RESPONSES)
def daily_papers(
    request: Request, session: SessionDep, settings: SettingsDep,
    day: str | None = Query(None, alias="date", description="A day's list: YYYY-MM-DD"),
    week: str | None = Query(None, description="An ISO week's lists: YYYY-Www"),
    month: str | None = Query(None, description="A month's lists: YYYY-MM"),
    submitter: str | None = Query(None, description="Only this username's submissions"),
    sort: str | None = Query(None, description="publishedAt (newest listed first) or "
                             "trending"),
    p: str | None = Query(None, description="Page, from 0"),
    limit: str | None = Query(None, description="Papers per page, 1..100 (default 50)"),
) -> Response:
    try:
        query = parse_daily_query({"date": day, "week": week, "month": month, "sort": sort,
                                   "submitter": submitter, "p": p, "limit": limit})
    except BadParameter as exc:
        return error(400, str(exc))
    items = _daily(request, session, query)
    headers = {}
    if len(items) > query.limit:
        items = items[:query.limit]
        headers["Link"] = _next_link(request, settings.base_url, query.page)
    return JSONResponse([daily_entry(i.paper, i.entry) for i in items], headers=headers)


@get_and_head("/api/papers/search", summary="Search papers, answered as Hugging Face Hub "
              "entries", responses=LIST_RESPONSES)
def search_papers(
    request: Request, session: SessionDep, settings: SettingsDep,
    q: str | None = Query(None, description="Search text (the site's query language)"),
    limit: str | None = Query(None, description="Results, 1..100 (default 50)"),
) -> Response:
    try:
        count = min(max(_number("limit", limit, DEFAULT_LIMIT), 1), MAX_LIMIT)
    except BadParameter as exc:
        return error(400, str(exc))
    if not (q or "").strip():
        return JSONResponse([])
    found = search(request.app.state.engine, settings, q or "", mode="hybrid", limit=count)
    ids = [result.id for result in found.results]
    papers = {p.arxiv_id: p for p in session.scalars(select(Paper).where(
        Paper.arxiv_id.in_(ids)))} if ids else {}
    entries = latest_entries(session, [p.id for p in papers.values()])
    return JSONResponse([daily_entry(papers[i], entries.get(papers[i].id))
                         for i in ids if i in papers])


@get_and_head("/api/papers/{arxiv_id:path}", summary="One paper, as the Hugging Face Hub "
              "describes it", responses={200: _json(_OBJECT, "The paper"), **NOT_FOUND_RESPONSE})
def paper(session: SessionDep, arxiv_id: str) -> Response:
    found = queries.get_paper(session, arxiv_id)
    if found is None:
        return error(404, NOT_FOUND)
    entries = queries.entries_for_paper(session, found.id)
    return JSONResponse(paper_info(found, entries[-1] if entries else None))


@get_and_head("/papers/{arxiv_id:path}.md", summary="One paper as Markdown", responses={
    200: {"description": "The paper page as Markdown",
          "content": {"text/markdown": {"schema": {"type": "string"}}}},
    **NOT_FOUND_RESPONSE})
def paper_as_markdown(session: SessionDep, settings: SettingsDep, arxiv_id: str) -> Response:
    found = queries.get_paper(session, arxiv_id)
    if found is None:
        return error(404, NOT_FOUND)
    page = settings.base_url.rstrip("/") + paper_path(found.arxiv_id)
    return Response(paper_markdown(found, page), media_type="text/markdown; charset=utf-8")

