"""GET /api/search: the search service as JSON (the same object `paperfeed search --json`
prints). Bad query text never fails the request; limit and offset are clamped; an unknown
mode or sort is a 422 naming the choices."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request

from paperfeed.search.service import SearchResponse, search
from paperfeed.web.deps import SettingsDep

router = APIRouter(tags=["search"])


@router.get(
    "/api/search",
    response_model=SearchResponse,
    summary="Search papers by keyword, by meaning, or both",
)
def api_search(
    request: Request,
    settings: SettingsDep,
    q: str = Query("", description='Query: words, "phrases", -exclusions, author:, cat:, '
                   "year:, after:, before:, title:; or an arXiv id/URL"),
    mode: Literal["hybrid", "keyword", "semantic"] = Query("hybrid"),
    limit: int = Query(20, description="Results per page, clamped to 1..100"),
    offset: int = Query(0, description="Results to skip, clamped to 0..10000"),
    sort: Literal["relevance", "date"] = Query("relevance"),
) -> SearchResponse:
    return search(
        request.app.state.engine, settings, q, mode=mode, limit=limit, offset=offset, sort=sort
    )
