"""Keyword search on SQLite: FTS5 (table papers_fts, migration 0002), bm25() with column
weights; highlights are made in Python by keyword_base (FTS5's highlight()/snippet() rules).

Every MATCH expression is generated from the parsed tree: each term becomes a quoted
FTS5 string of letters and digits, so no user text reaches the FTS5 parser raw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from paperfeed.search.keyword_base import (
    CANDIDATES,
    COUNT_CAP,
    WEIGHTS,
    KeywordBackend,
    KeywordHit,
    Matches,
    direction,
    ids_list,
    title_tier_terms,
)
from paperfeed.search.query import Query, Term

_COLUMN = {"any": None, "title": "title", "author": "authors"}
_BM25 = "bm25(papers_fts, {}, {}, {})".format(*WEIGHTS)
# With filters, matches are counted exactly up to this many (each costs a row visit).
FILTER_SAMPLE = 5000


def term_expr(term: Term) -> str:
    """One term as FTS5 syntax: ``"w1 w2"`` (a phrase) or ``{title} : "w"``."""
    phrase = '"' + " ".join(w.replace('"', "") for w in term.words) + '"'
    column = _COLUMN[term.field]
    return f"{{{column}}} : {phrase}" if column else phrase


def match_expr(include: tuple[Term, ...], exclude: tuple[Term, ...] = ()) -> str | None:
    """All of `include` and none of `exclude`; None when there is nothing positive."""
    if not include:
        return None
    expr = " AND ".join(term_expr(t) for t in include)
    if exclude:
        expr = f"({expr})" + "".join(f" NOT ({term_expr(t)})" for t in exclude)
    return expr


def any_expr(terms: tuple[Term, ...]) -> str:
    return " OR ".join(f"({term_expr(t)})" for t in terms)


def category_clause(cats: tuple[str, ...], params: dict[str, Any]) -> str:
    """Any of `cats` in p.categories. The JSON list text is searched for the quoted name
    (category names are plain ASCII, so their JSON form is exactly '"name"'), which is
    far cheaper per row than json_each(); an archive (cs) also matches its classes."""
    conds = []
    for c in cats:
        key = f"cat{len(params)}"
        params[key] = f'"{c}"'
        conds.append(f"instr(p.categories, :{key}) > 0")
        if "." not in c:
            params[key + "p"] = f'"{c}.'
            conds.append(f"instr(p.categories, :{key}p) > 0")
    return "(" + " OR ".join(conds) + ")"


def filter_clauses(q: Query, params: dict[str, Any], *, with_excludes: bool) -> list[str]:
    """WHERE clauses on papers `p` for categories and dates (and, when asked, excluded
    terms as a NOT IN over the index, for queries without positive terms)."""
    clauses: list[str] = []
    for negate, cats in ((False, q.categories), (True, q.exclude_categories)):
        if cats:
            clause = category_clause(cats, params)
            clauses.append(f"NOT ({clause})" if negate else clause)
    if q.date_from:
        params["date_from"] = q.date_from.isoformat()
        clauses.append("p.published >= :date_from")
    if q.date_to:
        params["date_to"] = q.date_to.isoformat()
        clauses.append("p.published < :date_to")
    if with_excludes and q.exclude:
        params["excl"] = any_expr(q.exclude)
        clauses.append(
            "p.id NOT IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH :excl)"
        )
    return clauses






@dataclass(slots=True)
class _Plan:
    filters: list[str]  # WHERE clauses on papers p (categories, dates)
    where: str  # the MATCH and the filters
    join: str  # the join to papers p, when filters need it


class SQLiteKeyword(KeywordBackend[_Plan]):
    def plan(self, q: Query, params: dict[str, Any]) -> _Plan | None:
        m = match_expr(q.include, q.exclude)
        if m is None:
            return None
        params["m"] = m
        filters = filter_clauses(q, params, with_excludes=False)
        # CROSS JOIN keeps the index as the outer loop (a probe per paper is far slower).
        join = " CROSS JOIN papers p ON p.id = papers_fts.rowid" if filters else ""
        return _Plan(filters, " AND ".join(["papers_fts MATCH :m", *filters]), join)

    def count(self, conn: Connection, q: Query, plan: _Plan, params: dict[str, Any]) -> Matches:
        # How many papers match the words (the index alone: cheap, capped).
        raw = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT 1 FROM papers_fts WHERE papers_fts MATCH :m"
                f" LIMIT {COUNT_CAP + 1})"
            ),
            params,
        ).scalar_one()
        if raw == 0:
            return Matches(0, total_exact=True, empty=True, sortable=True, rankable=True)
        if not plan.filters:
            n, exact = raw, raw <= COUNT_CAP
        elif raw <= FILTER_SAMPLE:
            n = conn.execute(
                text(f"SELECT count(*) FROM papers_fts{plan.join} WHERE {plan.where}"), params
            ).scalar_one()
            exact = True
        else:
            # Counting filtered matches means visiting each one; count a sample of the
            # newest and report "at least".
            n = conn.execute(
                text(
                    "SELECT count(*) FROM (SELECT rowid FROM papers_fts WHERE papers_fts"
                    f" MATCH :m ORDER BY rowid {direction(q)} LIMIT {FILTER_SAMPLE}) AS f"
                    f" CROSS JOIN papers p ON p.id = f.rowid WHERE {' AND '.join(plan.filters)}"
                ),
                params,
            ).scalar_one()
            exact = False
        return Matches(
            n, total_exact=exact and n <= COUNT_CAP, empty=n == 0 and exact,
            sortable=raw <= COUNT_CAP, rankable=raw <= CANDIDATES,
        )

    def by_date(
        self, conn: Connection, q: Query, plan: _Plan, params: dict[str, Any], *, exact: bool
    ) -> list[KeywordHit]:
        if exact:
            sql = (
                f"SELECT papers_fts.rowid FROM papers_fts CROSS JOIN papers p"
                f" ON p.id = papers_fts.rowid WHERE {plan.where}"
                " ORDER BY p.published DESC, p.id DESC LIMIT :limit OFFSET :offset"
            )
        else:
            # Too many to sort: the newest-added matches, sorted by date.
            window = min(CANDIDATES, max(200, 2 * (params["offset"] + params["limit"])))
            sql = (
                f"SELECT id FROM (SELECT p.id AS id, p.published AS pub FROM papers_fts"
                f" CROSS JOIN papers p ON p.id = papers_fts.rowid WHERE {plan.where}"
                f" ORDER BY papers_fts.rowid {direction(q)} LIMIT {window})"
                " ORDER BY pub DESC, id DESC LIMIT :limit OFFSET :offset"
            )
        return [KeywordHit(int(r[0]), 0.0) for r in conn.execute(text(sql), params)]

    def ranked(self, conn: Connection, plan: _Plan, params: dict[str, Any]) -> list[KeywordHit]:
        sql = (
            f"SELECT papers_fts.rowid, {_BM25} AS s FROM papers_fts{plan.join}"
            f" WHERE {plan.where} ORDER BY s, papers_fts.rowid DESC LIMIT :limit OFFSET :offset"
        )
        # bm25() is lower-is-better; report higher-is-better.
        return [
            KeywordHit(int(r[0]), round(-float(r[1]), 6)) for r in conn.execute(text(sql), params)
        ]

    def filter_clauses(self, q: Query, params: dict[str, Any], *, with_excludes: bool) -> list[str]:
        return filter_clauses(q, params, with_excludes=with_excludes)

    def tiered_hits(
        self, conn: Connection, q: Query, plan: _Plan, params: dict[str, Any], *,
        limit: int, offset: int,
    ) -> list[KeywordHit]:
        """Ranking for words too common to score every match: bm25() first counts every
        paper holding each word, which for a word in half of a million papers costs more
        than the whole query may. Papers with all the words in their title come first,
        then the other matches; newest first within each tier."""
        in_title = title_tier_terms(q)
        if in_title:
            title_expr = match_expr(in_title, q.exclude)
            assert title_expr is not None
            exprs = [title_expr, f"({params['m']}) NOT ({match_expr(in_title)})"]
        else:
            exprs = [params["m"]]
        where = " AND ".join(["papers_fts MATCH :tm", *plan.filters])
        sql = (
            f"SELECT papers_fts.rowid FROM papers_fts{plan.join} WHERE {where}"
            f" ORDER BY papers_fts.rowid {direction(q)}"
        )
        return self.tiered(
            conn, [(sql, {**params, "tm": e}) for e in exprs], limit=limit, offset=offset
        )

    def matching_texts(
        self, conn: Connection, q: Query, ids: list[int]
    ) -> list[tuple[int, str, str]]:
        m = match_expr(q.include)
        if m is None:
            return []
        sql = (
            "SELECT p.id, p.title, p.abstract FROM papers_fts CROSS JOIN papers p"
            " ON p.id = papers_fts.rowid WHERE papers_fts MATCH :m"
            f" AND papers_fts.rowid IN ({ids_list(ids)})"
        )
        return [(int(r[0]), r[1] or "", r[2] or "") for r in conn.execute(text(sql), {"m": m})]

    def filter_ids(self, conn: Connection, q: Query, ids: list[int]) -> set[int]:
        params: dict[str, Any] = {}
        clauses = [f"p.id IN ({ids_list(ids)})", *filter_clauses(q, params, with_excludes=False)]
        fielded = tuple(t for t in q.include if t.field != "any")
        if fielded:
            params["req"] = match_expr(fielded)
            clauses.append(
                "p.id IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH :req"
                f" AND rowid IN ({ids_list(ids)}))"
            )
        if q.exclude:
            params["excl"] = any_expr(q.exclude)
            clauses.append(
                "p.id NOT IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH :excl"
                f" AND rowid IN ({ids_list(ids)}))"
            )
        sql = f"SELECT p.id FROM papers p WHERE {' AND '.join(clauses)}"
        return {int(r[0]) for r in conn.execute(text(sql), params)}
