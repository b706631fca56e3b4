"""What the keyword backends share: result types, limits, and the control flow that does
not depend on the database (the filters-only listing and the tiered ranking of very common
words). Each backend (keyword_sqlite.py, keyword_postgres.py) subclasses
:class:`KeywordBackend` and supplies its SQL; the facade ``keyword.py`` picks one.
Imports go one way: facade -> backends -> this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import Connection

from paperfeed.render.snippets import highlight_marked, marked_to_html, snippet_marked
from paperfeed.search.query import Query, Term
from paperfeed.storage.terms import query_lexemes

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


@dataclass(slots=True)
class Matches:
    """What a backend learnt counting a query's matches: the total (exact, or a lower
    bound or estimate), whether there are none for sure, and whether they are few enough
    to sort all by date (``sortable``) or to score each (``rankable``)."""

    total: int
    total_exact: bool
    empty: bool
    sortable: bool
    rankable: bool


Plan = TypeVar("Plan")


def direction(q: Query) -> str:
    """Which end of the index to take candidates from: the newest papers, unless the query
    asks only for papers before a date (then the oldest are nearer)."""
    return "ASC" if q.date_to and not q.date_from else "DESC"


def ids_list(ids: list[int]) -> str:
    """Integer ids as a SQL list literal (each forced through int())."""
    return ",".join(str(int(i)) for i in ids)


def phrase(term: Term) -> tuple[str, ...]:
    """A term's words as the lexemes the keyword index holds (one, or a phrase's)."""
    return tuple(lx for w in term.words for lx in query_lexemes(w))


def title_tier_terms(q: Query) -> tuple[Term, ...] | None:
    """The query's plain words moved into the title (field terms kept as they are): the
    first tier of the tiered ranking. None when the query has no plain words."""
    any_terms = [t for t in q.include if t.field == "any"]
    if not any_terms:
        return None
    fielded = tuple(t for t in q.include if t.field != "any")
    return tuple(Term(t.words, "title") for t in any_terms) + fielded


class KeywordBackend(Generic[Plan]):
    """The control flow of a keyword search, shared by both databases. A subclass says
    how to match (``plan``: the backend's SQL pieces for the query's positive terms),
    count, list by date, score, and rank in tiers; this class decides which to run."""

    # SQL for "no condition" and for newest-first order by publication date.
    ALWAYS = "1 = 1"
    BY_DATE = "p.published DESC, p.id DESC"

    def search(
        self, conn: Connection, q: Query, *, limit: int, offset: int, sort: Sort
    ) -> KeywordPage:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        plan = self.plan(q, params)
        if plan is None:
            return self.filters_only(conn, q, params)
        matches = self.count(conn, q, plan, params)
        page = KeywordPage(total=min(matches.total, COUNT_CAP), total_exact=matches.total_exact)
        if matches.empty:
            return page
        if sort == "date":
            page.approximate = not matches.sortable
            page.hits = self.by_date(conn, q, plan, params, exact=matches.sortable)
        elif matches.rankable:
            page.hits = self.ranked(conn, plan, params)
        else:
            page.approximate = True
            page.hits = self.tiered_hits(conn, q, plan, params, limit=limit, offset=offset)
        self.settle_total(page, sort=sort, limit=limit, offset=offset)
        return page

    # -- what each backend provides -------------------------------------------------------

    def plan(self, q: Query, params: dict[str, Any]) -> Plan | None:
        """The SQL pieces matching the query's positive terms (adding their parameters to
        `params`); None when the query has no positive term."""
        raise NotImplementedError

    def count(self, conn: Connection, q: Query, plan: Plan, params: dict[str, Any]) -> Matches:
        raise NotImplementedError

    def by_date(
        self, conn: Connection, q: Query, plan: Plan, params: dict[str, Any], *, exact: bool
    ) -> list[KeywordHit]:
        """One page of matches, newest first: of all of them when `exact`, else of a
        bounded window of the newest-added."""
        raise NotImplementedError

    def ranked(self, conn: Connection, plan: Plan, params: dict[str, Any]) -> list[KeywordHit]:
        """One page of matches by relevance score, each match scored."""
        raise NotImplementedError

    def tiered_hits(
        self, conn: Connection, q: Query, plan: Plan, params: dict[str, Any], *,
        limit: int, offset: int,
    ) -> list[KeywordHit]:
        """One page of matches too many to score: title matches first (see :meth:`tiered`)."""
        raise NotImplementedError

    def settle_total(self, page: KeywordPage, *, sort: Sort, limit: int, offset: int) -> None:
        """Correct an inexact total once the page is known (it holds at least what was
        shown)."""
        if not page.total_exact:
            page.total = min(COUNT_CAP, max(page.total, offset + len(page.hits)))

    def highlights(self, conn: Connection, q: Query, ids: list[int]) -> dict[int, Highlight]:
        """Title and abstract snippet of the papers among `ids` that match the query's
        words, marked in Python with the keyword analyzer, so both databases show the
        same (FTS5's highlight() and snippet() rules)."""
        title_terms = [phrase(t) for t in q.include if t.field in ("any", "title")]
        abstract_terms = [phrase(t) for t in q.include if t.field == "any"]
        return {
            pid: Highlight(
                marked_to_html(highlight_marked(title, title_terms)),
                marked_to_html(snippet_marked(abstract, abstract_terms)),
            )
            for pid, title, abstract in self.matching_texts(conn, q, ids)
        }

    def matching_texts(
        self, conn: Connection, q: Query, ids: list[int]
    ) -> list[tuple[int, str, str]]:
        """(id, title, abstract) of the papers among `ids` that match the query's words."""
        raise NotImplementedError

    def filter_ids(self, conn: Connection, q: Query, ids: list[int]) -> set[int]:
        raise NotImplementedError

    def filter_clauses(self, q: Query, params: dict[str, Any], *, with_excludes: bool) -> list[str]:
        raise NotImplementedError

    def filters_only(self, conn: Connection, q: Query, params: dict[str, Any]) -> KeywordPage:
        """A query with filters (and maybe exclusions) but no positive words: the filtered
        papers, newest first."""
        where = " AND ".join(self.filter_clauses(q, params, with_excludes=True)) or self.ALWAYS
        n = conn.execute(
            text(
                f"SELECT count(*) FROM (SELECT 1 FROM papers p WHERE {where}"
                f" LIMIT {COUNT_CAP + 1}) AS t"
            ),
            params,
        ).scalar_one()
        rows = conn.execute(
            text(
                f"SELECT p.id FROM papers p WHERE {where}"
                f" ORDER BY {self.BY_DATE} LIMIT :limit OFFSET :offset"
            ),
            params,
        ).all()
        return KeywordPage(
            hits=[KeywordHit(int(r[0]), 0.0) for r in rows],
            total=min(n, COUNT_CAP),
            total_exact=n <= COUNT_CAP,
        )

    @staticmethod
    def tiered(
        conn: Connection, tiers: list[tuple[str, dict[str, Any]]], *, limit: int, offset: int
    ) -> list[KeywordHit]:
        """Ranking for words too common to score every match. Each tier is a query (SQL
        without its LIMIT, ids in tier order) read only as far as the page needs; the first
        tier scores highest, and within a tier earlier rows score higher."""
        need = offset + limit
        found: list[KeywordHit] = []
        for tier, (sql, params) in enumerate(tiers):
            if len(found) >= need:
                break
            rows = conn.execute(text(f"{sql} LIMIT {need - len(found)}"), params).all()
            top = float(len(tiers) - tier)
            found.extend(
                KeywordHit(int(r[0]), round(top - (len(found) + i) * 1e-6, 6))
                for i, r in enumerate(rows)
            )
        return found[offset : offset + limit]
