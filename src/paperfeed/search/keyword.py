"""Keyword search behind one interface; the SQL each database needs lives in
keyword_sqlite.py (FTS5) and keyword_postgres.py (tsvector + GIN).

Ranking is BM25-style with the title weighted above the authors above the abstract.
Very common words at scale (a million papers, half of which say "learning") are ranked
among a bounded set of the newest matches so that a query stays in milliseconds; the
result then says so (``approximate``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from paperfeed.search.query import Query

Sort = Literal["relevance", "date"]

# Exact ranking up to this many matches; beyond it, the newest CANDIDATES are ranked.
CANDIDATES = 2000
# Totals are counted exactly up to this many matches, then reported as "at least".
COUNT_CAP = 10_000
# Column weights: title, authors, abstract.
WEIGHTS = (10.0, 4.0, 1.0)


@dataclass(slots=True)
class KeywordHit:
    paper_id: int
    score: float  # higher is better; only comparable within one result list


@dataclass(slots=True)
class KeywordPage:
    hits: list[KeywordHit] = field(default_factory=list)
    total: int = 0
    total_exact: bool = True  # False: at least `total` papers match
    approximate: bool = False  # ranked among the newest CANDIDATES matches only


@dataclass(slots=True)
class Highlight:
    title_html: str  # safe HTML, matches in <mark>
    snippet_html: str  # safe HTML, matches in <mark>


class Backend(Protocol):
    def search(
        self, conn: Connection, q: Query, *, limit: int, offset: int, sort: Sort
    ) -> KeywordPage: ...

    def highlights(self, conn: Connection, q: Query, ids: list[int]) -> dict[int, Highlight]: ...

    def filter_ids(self, conn: Connection, q: Query, ids: list[int]) -> set[int]: ...


def backend_for(conn: Connection) -> Backend:
    if conn.dialect.name == "sqlite":
        from paperfeed.search.keyword_sqlite import SQLiteKeyword

        return SQLiteKeyword()
    from paperfeed.search.keyword_postgres import PostgresKeyword

    return PostgresKeyword()


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


def optimize_index(engine: Engine) -> None:
    """Compact the keyword index after bulk imports. SQLite: FTS5 'optimize' merges the
    index's segments into one (about 10 s for a million papers; queries and highlights get
    several times faster). PostgreSQL: ANALYZE, so the planner knows how common words are."""
    if engine.dialect.name == "sqlite":
        from paperfeed.storage.engine import write_session

        with write_session(engine) as session:
            session.execute(text("INSERT INTO papers_fts(papers_fts) VALUES ('optimize')"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE papers"))
