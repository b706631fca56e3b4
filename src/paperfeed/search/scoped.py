"""Search among a small set of papers: those published in a date range (a digest's day or
week), many queries in a row.

The whole-collection search (:mod:`paperfeed.search.service`) answers one query in
milliseconds when it can rank its way down from the best matches, but a query narrowed
to one day of a million papers first finds every match in every year and then throws
nearly all of them away: about 150 ms per topic, 15 minutes for the 4,711 distinct
topics of 100,000 digest subscribers. A :class:`ScopedSearch` loads the range's papers
once (a few thousand a day) into a private in-memory SQLite database with the same FTS5
table as the main SQLite database, and their stored vectors into one matrix; each query
then costs about a millisecond.

The query is the same: the same parser and query language, the same keyword backend
(:class:`~paperfeed.search.keyword_sqlite.SQLiteKeyword`, so the same BM25 column
weights, phrases, field terms, filters and exclusions), the same embedding model for
meaning and the same reciprocal rank fusion. What differs from the full search narrowed
with ``after:``/``before:``: BM25's word statistics are those of the range (a word
common that day counts for less), every match is scored (no tiers for very common
words), and on PostgreSQL the matching is FTS5's (Porter stemming, accents folded) rather
than the database's own.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, Engine, create_engine, select
from sqlalchemy.pool import StaticPool

from paperfeed.config import Settings
from paperfeed.search import keyword
from paperfeed.search.embedder import ModelUnavailable, get_embedder, storage_key
from paperfeed.search.embedding_store import iter_vectors
from paperfeed.search.query import parse
from paperfeed.search.service import FUSION_DEPTH, MODES, MatchedBy, rrf
from paperfeed.storage.models import Paper

log = logging.getLogger(__name__)

# The tables the SQLite keyword backend reads (migration 0002 for papers_fts), holding
# only what matching and filtering need. The FTS5 table keeps its own copy of the text.
SCHEMA = (
    "CREATE TABLE papers (id INTEGER PRIMARY KEY, published TEXT, categories TEXT)",
    "CREATE VIRTUAL TABLE papers_fts USING fts5(title, authors, abstract,"
    " tokenize='porter unicode61 remove_diacritics 2')",
)
SEMANTIC_CANDIDATES = 4 * FUSION_DEPTH  # neighbours read before the query's filters


@dataclass(frozen=True, slots=True)
class ScopedPaper:
    """What a list of results shows of a paper in the scope."""

    id: int
    arxiv_id: str
    title: str
    authors: list[str]
    abstract: str
    primary_category: str | None
    categories: list[str]
    upvotes: int


@dataclass(frozen=True, slots=True)
class ScopedHit:
    paper_id: int
    score: float  # higher is better; comparable within one result list
    matched_by: MatchedBy


class ScopedSearch:
    """The papers published on or after `start` and before `end`, searchable by keyword,
    meaning or both (see the module notes). Build one per run, search it many times, and
    :meth:`close` it (or use it as a context manager)."""

    def __init__(self, engine: Engine, settings: Settings, start: date, end: date) -> None:
        self.start, self.end = start, end
        self.papers: dict[int, ScopedPaper] = {}
        self._db = create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        self._conn: Connection = self._db.connect()
        for statement in SCHEMA:
            self._conn.exec_driver_sql(statement)
        self._load(engine, start, end)
        self._ids: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._vectors: npt.NDArray[np.float32] | None = None
        self._embedder: Any = None
        self.semantic_unavailable: str | None = self._load_vectors(engine, settings)

    def _load(self, engine: Engine, start: date, end: date) -> None:
        stmt = select(
            Paper.id, Paper.arxiv_id, Paper.title, Paper.authors, Paper.abstract,
            Paper.primary_category, Paper.categories, Paper.published, Paper.vote_count,
        ).where(Paper.published >= start, Paper.published < end)
        rows: list[tuple[int, str | None, str]] = []
        texts: list[tuple[int, str, str, str]] = []
        with engine.connect() as conn:
            for r in conn.execute(stmt):
                authors = [str(a) for a in r.authors] if isinstance(r.authors, list) else []
                categories = (
                    [str(c) for c in r.categories] if isinstance(r.categories, list) else []
                )
                paper = ScopedPaper(
                    int(r.id), r.arxiv_id, r.title or "", authors, r.abstract or "",
                    r.primary_category, categories, int(r.vote_count or 0),
                )
                self.papers[paper.id] = paper
                published = r.published.isoformat() if r.published else None
                rows.append((paper.id, published, json.dumps(categories)))
                texts.append((paper.id, paper.title, " ".join(authors), paper.abstract))
        raw = self._conn.connection.driver_connection
        assert raw is not None
        with raw:
            raw.executemany("INSERT INTO papers VALUES (?, ?, ?)", rows)
            raw.executemany(
                "INSERT INTO papers_fts(rowid, title, authors, abstract) VALUES (?, ?, ?, ?)",
                texts,
            )

    def _load_vectors(self, engine: Engine, settings: Settings) -> str | None:
        """Load the scope's stored vectors and the model; why meaning is unavailable, or
        None when it is available."""
        if not self.papers:
            return None
        model = settings.embedding_model
        key = storage_key(model)  # what the vectors are stored under
        wanted = np.fromiter(self.papers, dtype=np.int64, count=len(self.papers))
        keys: list[npt.NDArray[np.int64]] = []
        vectors: list[npt.NDArray[np.float32]] = []
        for batch_keys, batch_vectors in iter_vectors(engine, key, wanted):
            keys.append(batch_keys)
            vectors.append(batch_vectors)
        if not keys:
            return f"no paper of these dates has a vector for model {model!r}"
        try:
            self._embedder = get_embedder(model)
        except ModelUnavailable as exc:
            return str(exc)
        self._ids = np.concatenate(keys)
        self._vectors = np.concatenate(vectors)
        return None

    def __len__(self) -> int:
        return len(self.papers)

    def __enter__(self) -> ScopedSearch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._conn.close()
        self._db.dispose()

    def search(self, query: str, *, mode: str = "hybrid", limit: int = 50) -> list[ScopedHit]:
        """The scope's papers matching `query`, best first: keyword matches in keyword
        mode, nearest in meaning in semantic mode, both fused in hybrid mode (keyword
        alone when meaning is unavailable, as the full search does). A pasted arXiv id
        finds that paper if it is in the scope. Never raises for any query text."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
        limit = max(1, int(limit))
        q = parse(query)
        if q.arxiv_id:
            found = [p.id for p in self.papers.values() if p.arxiv_id == q.arxiv_id]
            return [ScopedHit(pid, 1.0, "keyword") for pid in found]
        if q.empty_reason() or not self.papers:
            return []
        semantic = None
        if mode != "keyword" and self._vectors is not None and q.text():
            semantic = self._nearest(q)
        if semantic is None:
            page = keyword.search(self._conn, q, limit=limit)
            return [ScopedHit(h.paper_id, h.score, "keyword") for h in page.hits]
        if mode == "semantic":
            return [ScopedHit(pid, round(s, 6), "semantic") for pid, s in semantic[:limit]]
        page = keyword.search(self._conn, q, limit=max(FUSION_DEPTH, limit))
        fused = rrf([h.paper_id for h in page.hits], [pid for pid, _ in semantic])
        return [ScopedHit(f.paper_id, f.score, f.matched_by) for f in fused[:limit]]

    def _nearest(self, q: Any) -> list[tuple[int, float]]:
        """The scope's papers nearest in meaning to the query's words that obey its filters,
        field terms and exclusions, best first (at most FUSION_DEPTH)."""
        assert self._vectors is not None
        vector = self._embedder.encode([q.text()])[0]
        if not np.any(vector):
            return []
        scores = self._vectors @ vector
        take = min(SEMANTIC_CANDIDATES, len(scores))
        top = np.argpartition(-scores, take - 1)[:take]
        top = top[np.lexsort((self._ids[top], -scores[top]))]
        hits = [(int(self._ids[i]), float(scores[i])) for i in top]
        required = keyword.required_terms(q)
        if required.include or required.exclude or required.has_filters:
            keep = keyword.filter_ids(self._conn, required, [pid for pid, _ in hits])
            hits = [(pid, s) for pid, s in hits if pid in keep]
        return hits[:FUSION_DEPTH]

