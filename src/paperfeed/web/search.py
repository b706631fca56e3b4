"""The /search page: query box, mode, filters (category, years), sort, pagination,
highlighted snippets and "why it matched" badges. A pasted arXiv id or URL redirects to
the paper's page."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from paperfeed.search.query import normalise_category
from paperfeed.search.service import MODES, SORTS, search
from paperfeed.web.deps import SettingsDep
from paperfeed.web.feedlinks import search_feeds
from paperfeed.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
MAX_PAGE = 500
_YEAR = re.compile(r"^\s*(\d{4})\s*$")

BADGES = {
    "keyword": ("keyword", "The words you searched for appear in this paper."),
    "semantic": ("meaning", "Close in meaning to your search (semantic neighbour)."),
    "both": ("keyword + meaning", "Contains your words and is close in meaning."),
}


def effective_query(
    q: str, cat: str, year_from: str, year_to: str, notices: list[str]
) -> str:
    """The text query plus the form's filters, written in the query language."""
    parts = [q.strip()] if q.strip() else []
    if cat.strip():
        norm = normalise_category(cat)
        if norm:
            parts.append(f"cat:{norm}")
        else:
            notices.append(f"{cat.strip()[:40]!r} is not an arXiv category; it was ignored.")
    lo = _YEAR.match(year_from or "")
    hi = _YEAR.match(year_to or "")
    if (year_from.strip() and not lo) or (year_to.strip() and not hi):
        notices.append("Years must be four digits, like 2024; the year filter was ignored.")
    elif lo and hi:
        a, b = sorted((int(lo.group(1)), int(hi.group(1))))
        parts.append(f"year:{a}-{b}")
    elif lo:
        parts.append(f"after:{lo.group(1)}-01-01")
    elif hi:
        parts.append(f"before:{int(hi.group(1)) + 1}-01-01")
    return " ".join(parts)


@router.get("/search")
def search_page(
    request: Request,
    settings: SettingsDep,
    q: str = Query(""),
    mode: str = Query("hybrid"),
    sort: str = Query("relevance"),
    cat: str = Query(""),
    year_from: str = Query("", alias="from"),
    year_to: str = Query("", alias="to"),
    page: str = Query("1"),
) -> Response:
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
    resp = None
    if full:
        resp = search(
            request.app.state.engine, settings, full, mode=mode, limit=PAGE_SIZE,
            offset=(page_no - 1) * PAGE_SIZE, sort=sort,
        )
        if resp.redirect:
            return RedirectResponse("/papers/" + quote(resp.redirect, safe="/"), status_code=303)
        notices.extend(resp.notices)
    base = {"q": q, "mode": mode, "sort": sort, "cat": cat, "from": year_from, "to": year_to}
    base = {k: v for k, v in base.items() if v}

    def page_url(n: int) -> str:
        return "/search?" + urlencode({**base, "page": n})

    pages = 1
    if resp is not None and resp.total:
        pages = min(MAX_PAGE, -(-resp.total // PAGE_SIZE))
    context: dict[str, Any] = {
        "query": q,
        "q": q,
        "mode": mode,
        "sort": sort,
        "cat": cat,
        "year_from": year_from,
        "year_to": year_to,
        "modes": MODES,
        "resp": resp,
        "notices": notices,
        "page": page_no,
        "has_prev": page_no > 1,
        "has_next": resp is not None and page_no < pages and len(resp.results) == PAGE_SIZE,
        "prev_url": page_url(page_no - 1),
        "next_url": page_url(page_no + 1),
        "badges": BADGES,
        "rank_offset": (page_no - 1) * PAGE_SIZE,
        "export_query": full,  # the Export menu's q= (filters included)
        "feeds": search_feeds(full),
    }
    return render(request, "search.html", context)
