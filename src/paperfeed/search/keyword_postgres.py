"""Keyword search on PostgreSQL: the tsvector column papers.search_vector (title A,
authors B, abstract C), written by paperfeed with storage/terms.py's analyzer (migration
0007), with a GIN index; ts_rank_cd with the same column weights as SQLite's bm25().
Highlights are made in Python by keyword_base, as on SQLite.

tsquery text is made by the same analyzer from the parsed tree and passed as a tsquery
literal: every lexeme is a quoted run of letters and digits, no user text reaches the
database's parser.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from paperfeed.search.keyword_base import (
    CANDIDATES,
    COUNT_CAP,
    WEIGHTS,
    KeywordBackend,
    KeywordHit,
    KeywordPage,
    Matches,
    Sort,
    direction,
    ids_list,
    title_tier_terms,
)
from paperfeed.search.query import Query, Term
from paperfeed.storage.terms import tsquery_term

# Below this estimated number of matches, count them exactly.
EXACT_COUNT_BELOW = 20_000
WORK_MEM = "64MB"
_LABEL = {"any": "", "title": "A", "author": "B"}
# ts_rank_cd weights are {D, C, B, A}: abstract C, authors B, title A.
_RANK_WEIGHTS = "{0.0, %s, %s, %s}" % (  # noqa: UP031
    WEIGHTS[2] / WEIGHTS[0], WEIGHTS[1] / WEIGHTS[0], 1.0
)


def _rank(tsq: str) -> str:
    return f"ts_rank_cd('{_RANK_WEIGHTS}'::float4[], p.search_vector, {tsq}, 1)"


# tsquery text made by storage/terms.py from the parsed words, passed as a literal.
_TSQ = "CAST(:{name} AS tsquery)"


def term_tsquery(term: Term) -> str:
    """One term as tsquery text: ``'w'``, ``('w1' <-> 'w2')``, with :A / :B for fields
    (the words analysed by storage/terms.py, as the papers were)."""
    return tsquery_term(term.words, _LABEL[term.field]) or ""


def tsquery_text(include: tuple[Term, ...], exclude: tuple[Term, ...] = ()) -> str | None:
    parts = [p for p in (term_tsquery(t) for t in include) if p]
    if not parts:
        return None
    neg = [p for p in (term_tsquery(t) for t in exclude) if p]
    return " & ".join(parts + [f"!{p}" for p in neg])


def any_tsquery(terms: tuple[Term, ...]) -> str | None:
    parts = [p for p in (term_tsquery(t) for t in terms) if p]
    return " | ".join(parts) if parts else None


def category_clause(cats: tuple[str, ...], params: dict[str, Any]) -> str:
    """Any of `cats` in p.categories (the JSON text holds each name as '"name"')."""
    conds = []
    for c in cats:
        key = f"cat{len(params)}"
        params[key] = f'"{c}"'
        conds.append(f"strpos(p.categories::text, :{key}) > 0")
        if "." not in c:
            params[key + "p"] = f'"{c}.'
            conds.append(f"strpos(p.categories::text, :{key}p) > 0")
    return "(" + " OR ".join(conds) + ")"


def filter_clauses(q: Query, params: dict[str, Any], *, with_excludes: bool) -> list[str]:
    clauses: list[str] = []
    for negate, cats in ((False, q.categories), (True, q.exclude_categories)):
        if cats:
            clause = category_clause(cats, params)
            clauses.append(f"NOT ({clause})" if negate else clause)
    if q.date_from:
        params["date_from"] = q.date_from
        clauses.append("p.published >= :date_from")
    if q.date_to:
        params["date_to"] = q.date_to
        clauses.append("p.published < :date_to")
    if with_excludes and q.exclude:
        excl = any_tsquery(q.exclude)
        if excl:
            params["excl"] = excl
            clauses.append(f"NOT (p.search_vector @@ {_TSQ.format(name='excl')})")
    return clauses


def _estimate(conn: Connection, where: str, params: dict[str, Any]) -> int:
    """The planner's estimate of how many papers satisfy `where` (no rows are read)."""
    plan: Any = conn.execute(
        text(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM papers p WHERE {where}"), params
    ).scalar_one()
    if isinstance(plan, str):
        import json

        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])






class PostgresKeyword(KeywordBackend[str]):
    """The plan is the WHERE clause: the tsquery match and the filters."""

    def plan(self, q: Query, params: dict[str, Any]) -> str | None:
        tsq = tsquery_text(q.include, q.exclude)
        if tsq is None:
            return None
        params["m"] = tsq
        match = f"p.search_vector @@ {_TSQ.format(name='m')}"
        return " AND ".join([match, *filter_clauses(q, params, with_excludes=False)])

    def count(self, conn: Connection, q: Query, plan: str, params: dict[str, Any]) -> Matches:
        # Counting a common word's matches means visiting every row the GIN index names;
        # the planner's estimate (from the column's statistics) decides whether to.
        # A bitmap over many matches must fit in work_mem, or every row on a lossy page is
        # rechecked (its tsvector read back); this transaction only reads.
        conn.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
        estimate = _estimate(conn, plan, params)
        # Phrases are checked row by row (positions), so they are counted only when few.
        phrases = any(t.is_phrase for t in q.include)
        if estimate <= (CANDIDATES if phrases else EXACT_COUNT_BELOW):
            n = conn.execute(
                text(
                    f"SELECT count(*) FROM (SELECT 1 FROM papers p WHERE {plan}"
                    f" LIMIT {COUNT_CAP + 1}) AS t"
                ),
                params,
            ).scalar_one()
            exact = n <= COUNT_CAP
        else:
            n, exact = estimate, False
        return Matches(
            n, total_exact=exact, empty=n == 0, sortable=exact, rankable=exact and n <= CANDIDATES
        )

    def by_date(
        self, conn: Connection, q: Query, plan: str, params: dict[str, Any], *, exact: bool
    ) -> list[KeywordHit]:
        if exact:
            sql = (
                f"SELECT p.id FROM papers p WHERE {plan}"
                " ORDER BY p.published DESC NULLS LAST, p.id DESC LIMIT :limit OFFSET :offset"
            )
        else:
            sql = (
                f"SELECT id FROM (SELECT p.id, p.published FROM papers p WHERE {plan}"
                f" ORDER BY p.id {direction(q)} LIMIT {CANDIDATES}) AS c"
                " ORDER BY published DESC NULLS LAST, id DESC LIMIT :limit OFFSET :offset"
            )
        return [KeywordHit(int(r[0]), 0.0) for r in conn.execute(text(sql), params)]

    def ranked(self, conn: Connection, plan: str, params: dict[str, Any]) -> list[KeywordHit]:
        rank = _rank(_TSQ.format(name="m"))
        sql = (
            f"SELECT p.id, {rank} AS s FROM papers p WHERE {plan}"
            " ORDER BY s DESC, p.id DESC LIMIT :limit OFFSET :offset"
        )
        return [
            KeywordHit(int(r[0]), round(float(r[1]), 6)) for r in conn.execute(text(sql), params)
        ]

    def settle_total(self, page: KeywordPage, *, sort: Sort, limit: int, offset: int) -> None:
        # A page shorter than asked means the planner's estimate was too high.
        if sort != "date" and not page.total_exact and len(page.hits) < limit:
            page.total, page.total_exact = offset + len(page.hits), not page.hits

    ALWAYS = "TRUE"
    BY_DATE = "p.published DESC NULLS LAST, p.id DESC"

    def filter_clauses(self, q: Query, params: dict[str, Any], *, with_excludes: bool) -> list[str]:
        return filter_clauses(q, params, with_excludes=with_excludes)

    def tiered_hits(
        self, conn: Connection, q: Query, plan: str, params: dict[str, Any], *,
        limit: int, offset: int,
    ) -> list[KeywordHit]:
        """Too many matches to rank each: papers with all the words in the title first,
        then the rest, newest first within each tier (as on SQLite)."""
        in_title = title_tier_terms(q)
        title_q = tsquery_text(in_title) if in_title else None
        conds = [plan]
        if title_q:
            params = {**params, "tier0": title_q}
            in_title_sql = f"p.search_vector @@ {_TSQ.format(name='tier0')}"
            conds = [f"{plan} AND {in_title_sql}", f"{plan} AND NOT ({in_title_sql})"]
        order = f" ORDER BY p.id {direction(q)}"
        tiers = [(f"SELECT p.id FROM papers p WHERE {c}{order}", params) for c in conds]
        return self.tiered(conn, tiers, limit=limit, offset=offset)

    def matching_texts(
        self, conn: Connection, q: Query, ids: list[int]
    ) -> list[tuple[int, str, str]]:
        tsq = tsquery_text(q.include)
        if tsq is None:
            return []
        sql = (
            "SELECT p.id, p.title, p.abstract FROM papers p"
            f" WHERE p.id IN ({ids_list(ids)}) AND p.search_vector @@ {_TSQ.format(name='m')}"
        )
        rows = conn.execute(text(sql), {"m": tsq})
        return [(int(r[0]), r[1] or "", r[2] or "") for r in rows]

    def filter_ids(self, conn: Connection, q: Query, ids: list[int]) -> set[int]:
        params: dict[str, Any] = {}
        clauses = [f"p.id IN ({ids_list(ids)})", *filter_clauses(q, params, with_excludes=True)]
        fielded = tuple(t for t in q.include if t.field != "any")
        req = tsquery_text(fielded)
        if req:
            params["req"] = req
            clauses.append(f"p.search_vector @@ {_TSQ.format(name='req')}")
        sql = f"SELECT p.id FROM papers p WHERE {' AND '.join(clauses)}"
        return {int(r[0]) for r in conn.execute(text(sql), params)}
