"""Keyword search behind one interface; the SQL each database needs lives in
keyword_sqlite.py (FTS5) and keyword_postgres.py (tsvector + GIN), on the shared control
flow and types of keyword_base.py.

Ranking is BM25-style with the title weighted above the authors above the abstract.
Very common words at scale (a million papers, half of which say "learning") are ranked
among a bounded set of the newest matches so that a query stays in milliseconds; the
result then says so (``approximate``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from paperfeed.search.keyword_base import (
    CANDIDATES,
    COUNT_CAP,
    WEIGHTS,
    Highlight,
    KeywordBackend,
    KeywordHit,
    KeywordPage,
    Sort,
)
from paperfeed.search.keyword_postgres import PostgresKeyword
from paperfeed.search.keyword_sqlite import SQLiteKeyword
from paperfeed.search.query import Query
from paperfeed.storage import paper_vectors
from paperfeed.storage.engine import write_transaction

__all__ = [
    "CANDIDATES", "COUNT_CAP", "WEIGHTS", "Highlight", "KeywordHit", "KeywordPage", "Sort",
    "backend_for", "filter_ids", "highlights", "optimize_index", "required_terms", "search",
]

_BACKENDS: dict[str, KeywordBackend[Any]] = {
    "sqlite": SQLiteKeyword(),
    "postgresql": PostgresKeyword(),
}


def backend_for(conn: Connection) -> KeywordBackend[Any]:
    return _BACKENDS[conn.dialect.name]


def search(
    conn: Connection, q: Query, *, limit: int = 20, offset: int = 0, sort: Sort = "relevance"
) -> KeywordPage:
    """Papers matching every positive term and filter of `q`, best (or newest) first.
    A query without positive terms but with filters lists the filtered papers by date."""
    if not (q.include or q.has_filters):
        return KeywordPage()
    return backend_for(conn).search(conn, q, limit=limit, offset=offset, sort=sort)


def highlights(conn: Connection, q: Query, ids: list[int]) -> dict[int, Highlight]:
    """Highlighted title and abstract snippet for the given papers (one page of results)."""
    if not ids or not q.include:
        return {}
    return backend_for(conn).highlights(conn, q, ids)


def filter_ids(conn: Connection, q: Query, ids: list[int]) -> set[int]:
    """The ids among `ids` that satisfy the query's filters, author:/title: terms and
    exclusions (what semantic candidates must also obey). Plain words are not required."""
    if not ids:
        return set()
    return backend_for(conn).filter_ids(conn, q, ids)


def required_terms(q: Query) -> Query:
    """The part of `q` a semantic neighbour must also satisfy: filters, field terms and
    exclusions, without the plain words."""
    return Query(
        raw=q.raw,
        include=tuple(t for t in q.include if t.field != "any"),
        exclude=q.exclude,
        categories=q.categories,
        exclude_categories=q.exclude_categories,
        date_from=q.date_from,
        date_to=q.date_to,
    )


def optimize_index(engine: Engine) -> int:
    """Compact the keyword index after bulk imports. SQLite: FTS5 'optimize' merges the
    index's segments into one (about 10 s for a million papers; queries and highlights get
    several times faster). PostgreSQL: first writes the search vector of any paper left
    without one (a writer that did not set it), then VACUUM (ANALYZE), so the planner
    knows how common words are. Returns how many vectors were filled in."""
    if engine.dialect.name == "sqlite":
        with write_transaction(engine) as conn:
            conn.execute(text("INSERT INTO papers_fts(papers_fts) VALUES ('optimize')"))
        return 0
    with write_transaction(engine) as conn:
        filled = paper_vectors.fill_missing(conn)
    # VACUUM marks the pages all-visible, so counting the words' matches reads only the
    # GIN index, not the rows; it cannot run inside a transaction.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE) papers"))
    return filled
