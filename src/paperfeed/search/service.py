"""One search use case for the CLI, the /search page and the API.

keyword: BM25-style full-text ranking. semantic: nearest neighbours by embedding, then
the query's filters, field terms and exclusions applied to the candidates in SQL.
hybrid (default): reciprocal rank fusion of both lists; each result says which list(s)
it came from. When semantic search is unavailable, hybrid and semantic degrade to
keyword and the response says so. A pasted arXiv id or URL returns that paper.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from paperfeed.config import Settings
from paperfeed.render.snippets import plain_snippet
from paperfeed.search import keyword
from paperfeed.search.query import Query, parse
from paperfeed.storage.models import Paper
from paperfeed.storage.paper_json import PaperJSON, paper_to_dict

Mode = Literal["hybrid", "keyword", "semantic"]
SortOrder = Literal["relevance", "date"]
MatchedBy = Literal["keyword", "semantic", "both"]
log = logging.getLogger(__name__)

MODES: tuple[str, ...] = ("hybrid", "keyword", "semantic")
SORTS: tuple[str, ...] = ("relevance", "date")

MAX_LIMIT = 100
MAX_OFFSET = 10_000
RRF_K = 60  # reciprocal rank fusion constant (Cormack et al. 2009)
FUSION_DEPTH = 100  # how deep each list is read before fusing


class SearchResult(PaperJSON):
    """The paper (the canonical paper JSON) and how it matched."""

    score: float = Field(description="Higher is better; comparable within one response")
    matched_by: MatchedBy = Field(description="keyword, semantic or both")
    title_html: str = Field(description="Safe HTML: the title with matches in <mark>")
    snippet: str = Field(description="Safe HTML: part of the abstract, matches in <mark>")
    url: str = Field(description="The paper's page")


class SearchResponse(BaseModel):
    query: str
    mode: Mode = Field(description="The mode asked for")
    mode_used: Mode = Field(description="The mode that ran (hybrid falls back to keyword)")
    sort: SortOrder
    total: int = Field(description="Matching papers (at least this many if not total_exact)")
    total_exact: bool
    limit: int
    offset: int
    took_ms: float
    results: list[SearchResult]
    notices: list[str] = Field(
        default_factory=list, description="How the query was handled (fallbacks, ignored words)"
    )
    message: str | None = Field(
        default=None, description="Why there is nothing to search, when that is the case"
    )
    redirect: str | None = Field(
        default=None, description="arXiv id of the paper when the query was an id or URL"
    )


def clamp(value: int, lo: int, hi: int) -> int:
    return max(lo, min(hi, value))


@dataclass(slots=True)
class _Fused:
    paper_id: int
    score: float
    matched_by: MatchedBy


def rrf(
    keyword_ids: list[int], semantic_ids: list[int], k: int = RRF_K
) -> list[_Fused]:
    """Reciprocal rank fusion: score = sum of 1 / (k + rank) over the lists a paper is in.
    Ties are broken by keyword rank first, then semantic rank (stable and deterministic)."""
    scores: dict[int, float] = {}
    in_kw = {pid: r for r, pid in enumerate(keyword_ids)}
    in_sem = {pid: r for r, pid in enumerate(semantic_ids)}
    for ranks in (in_kw, in_sem):
        for pid, r in ranks.items():
            scores[pid] = scores.get(pid, 0.0) + 1.0 / (k + r + 1)

    def matched(pid: int) -> MatchedBy:
        if pid in in_kw and pid in in_sem:
            return "both"
        return "keyword" if pid in in_kw else "semantic"

    big = len(keyword_ids) + len(semantic_ids) + 1
    order = sorted(scores, key=lambda p: (-scores[p], in_kw.get(p, big), in_sem.get(p, big)))
    return [_Fused(p, round(scores[p], 6), matched(p)) for p in order]


def _semantic(
    engine: Engine, settings: Settings, q: Query, k: int
) -> tuple[list[tuple[int, float]] | None, str | None]:
    """(hits, None), or (None, why it is unavailable)."""
    try:
        from paperfeed.search.semantic import SemanticUnavailable, semantic_search
    except ImportError:  # pragma: no cover - the module ships with the package
        return None, "semantic search is not installed"
    try:
        hits = semantic_search(engine, settings, q.text(), k)
    except SemanticUnavailable as exc:
        return None, str(exc)
    except Exception:  # a broken semantic index must not take keyword search down with it
        log.exception("semantic search failed for %r", q.text()[:200])
        return None, "it failed; the error has been logged"
    required = keyword.required_terms(q)
    if required.include or required.exclude or required.has_filters:
        with engine.connect() as conn:
            keep = keyword.filter_ids(conn, required, [pid for pid, _ in hits])
        hits = [(pid, s) for pid, s in hits if pid in keep]
    return hits, None


def _load(session: Session, ids: list[int]) -> dict[int, Paper]:
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(select(Paper).where(Paper.id.in_(ids)))}


def _result(
    paper: Paper, score: float, matched_by: MatchedBy, hl: keyword.Highlight | None
) -> SearchResult:
    from html import escape

    return SearchResult(
        **paper_to_dict(paper),
        score=score,
        matched_by=matched_by,
        title_html=hl.title_html if hl and hl.title_html else escape(paper.title, quote=True),
        snippet=hl.snippet_html if hl and hl.snippet_html else plain_snippet(paper.abstract),
        url=f"/papers/{paper.arxiv_id}",
    )


def _notices_for(q: Query) -> list[str]:
    notes = list(q.problems)
    if q.ignored and (q.include or q.has_filters):
        words = ", ".join(dict.fromkeys(q.ignored))
        notes.append(f"Ignored common words and operators: {words}.")
    return notes


def _semantic_hits(
    engine: Engine,
    settings: Settings,
    q: Query,
    resp: SearchResponse,
    *,
    mode: str,
    sort: str,
    limit: int,
    offset: int,
) -> list[tuple[int, float]] | None:
    """The semantic ranking when this search uses one (a mode other than keyword, free
    text, sorted by relevance); None otherwise, or when it is unavailable (noted in `resp`)."""
    if mode == "keyword" or not q.text():
        return None
    if sort == "date":
        resp.notices.append("Sorted by date: showing keyword matches only.")
    if sort != "relevance":
        return None
    depth = FUSION_DEPTH if mode == "hybrid" else offset + limit
    k = clamp(depth * (4 if q.has_filters or q.exclude else 1), 1, 1000)
    sem_hits, why = _semantic(engine, settings, q, k)
    if sem_hits is None:
        resp.mode_used = "keyword"
        resp.notices.append(f"Semantic search is unavailable ({why}); showing keyword results.")
    return sem_hits


def _picked(
    conn: Connection,
    q: Query,
    resp: SearchResponse,
    sem_hits: list[tuple[int, float]] | None,
    *,
    mode: str,
    sort: str,
    limit: int,
    offset: int,
) -> list[_Fused]:
    """The page of results: keyword matches without semantic hits, the semantic hits in
    semantic mode, both fused in hybrid mode. Sets the total on `resp`."""
    if sem_hits is None:
        kw = _keyword_page(conn, q, resp, sort=sort, limit=limit, offset=offset)
        resp.total, resp.total_exact = kw.total, kw.total_exact
        return [_Fused(h.paper_id, h.score, "keyword") for h in kw.hits]
    if mode == "semantic":
        window = sem_hits[offset : offset + limit]
        resp.total, resp.total_exact = len(sem_hits), True
        return [_Fused(pid, round(s, 6), "semantic") for pid, s in window]
    depth = max(FUSION_DEPTH, offset + limit)
    kw = _keyword_page(conn, q, resp, sort=sort, limit=depth, offset=0)
    fused = rrf([h.paper_id for h in kw.hits], [pid for pid, _ in sem_hits])
    extra = sum(1 for f in fused if f.matched_by == "semantic")
    resp.total = kw.total + extra
    resp.total_exact = kw.total_exact
    return fused[offset : offset + limit]


def _keyword_page(
    conn: Connection, q: Query, resp: SearchResponse, *, sort: str, limit: int, offset: int
) -> keyword.KeywordPage:
    """One keyword search; notes in `resp` when very common words made the ranking partial."""
    kw = keyword.search(conn, q, limit=limit, offset=offset, sort=sort)  # type: ignore[arg-type]
    if kw.approximate:
        resp.notices.append(
            "Very common words: ranked among the newest "
            f"{keyword.CANDIDATES:,} matches. Add words or filters to narrow it."
        )
    return kw


def search(
    engine: Engine,
    settings: Settings,
    query: str,
    *,
    mode: str = "hybrid",
    limit: int = 20,
    offset: int = 0,
    sort: str = "relevance",
) -> SearchResponse:
    """Run a search. Never raises for any query text; limit and offset are clamped.
    `mode` and `sort` must be one of MODES / SORTS (ValueError otherwise)."""
    started = time.perf_counter()
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}: use one of {', '.join(SORTS)}")
    limit = clamp(int(limit), 1, MAX_LIMIT)
    offset = clamp(int(offset), 0, MAX_OFFSET)
    q = parse(query)
    resp = SearchResponse(
        query=query if isinstance(query, str) else "",
        mode=mode,
        mode_used=mode,
        sort=sort,
        total=0,
        total_exact=True,
        limit=limit,
        offset=offset,
        took_ms=0.0,
        results=[],
        notices=_notices_for(q),
    )

    def done() -> SearchResponse:
        resp.took_ms = round((time.perf_counter() - started) * 1000, 2)
        return resp

    with Session(engine) as session:
        if q.arxiv_id:
            paper = session.scalar(select(Paper).where(Paper.arxiv_id == q.arxiv_id))
            if paper is None:
                resp.message = f"No paper with arXiv id {q.arxiv_id} in this database."
            else:
                resp.redirect = paper.arxiv_id
                resp.total = 1
                resp.results = [_result(paper, 1.0, "keyword", None)] if offset == 0 else []
            return done()
        reason = q.empty_reason()
        if reason:
            resp.message = reason
            return done()

        sem_hits = _semantic_hits(
            engine, settings, q, resp, mode=mode, sort=sort, limit=limit, offset=offset
        )
        with engine.connect() as conn:
            picked = _picked(
                conn, q, resp, sem_hits, mode=mode, sort=sort, limit=limit, offset=offset
            )
            ids = [f.paper_id for f in picked]
            hl = keyword.highlights(conn, q, ids)
        papers = _load(session, ids)
        resp.results = [
            _result(papers[f.paper_id], f.score, f.matched_by, hl.get(f.paper_id))
            for f in picked
            if f.paper_id in papers
        ]
        if not resp.results and resp.total == 0 and offset == 0:
            resp.message = "No papers match this search."
    return done()
