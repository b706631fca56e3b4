"""Keyword search on PostgreSQL: the tsvector column papers.search_vector (title A,
authors B, abstract C), written by paperfeed with storage/terms.py's analyzer (migration
0007), with a GIN index; ts_rank_cd with the same column weights as SQLite's bm25().
Highlights are made in Python by keyword_base, as on SQLite.

tsquery text is made by the same analyzer from the parsed tree and passed as a tsquery
literal: every lexeme is a quoted run of letters and digits, no user text reaches the
database's parser.

At a million papers the vectors are large and stored out of line, so re-reading one costs
several buffer reads. Matching is therefore split: an index condition the GIN index answers
alone (plain lexemes, title/author field lexemes ``t~w``/``a~w``, a phrase's words ANDed),
then the checks that re-read vectors (a phrase's word order, excluded phrases) and the
ranking only on a bounded set: all matches when few, else a window of the newest-added
matches taken through the index by id range (as SQLite's backend takes the newest rowids).
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    phrase,
    title_tier_terms,
)
from paperfeed.search.query import Query, Term
from paperfeed.storage.terms import field_term, tsquery_term

# Below this estimated number of matches, count them exactly (through the index alone).
EXACT_COUNT_BELOW = 20_000
# With filters or phrase checks, matches are checked one by one up to this many; beyond,
# a sample of the newest is checked and the total reported as "at least".
FILTER_SAMPLE = 5000
# Re-reading one row's vector (stored out of line) costs about as much as reading this
# many GIN index entries (measured at 1M papers: ~50 us against ~0.25 us).
VECTOR_COST = 200
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


def index_tsquery(include: tuple[Term, ...], exclude: tuple[Term, ...] = ()) -> str | None:
    """The query as tsquery text the GIN index answers exactly, with no row re-read: each
    term's lexemes ANDed (field lexemes for title:/author:), excluded single words
    negated. None when no positive term has a lexeme."""
    parts = [p for p in (field_term(t.words, t.field) for t in include) if p]
    if not parts:
        return None
    neg = [
        f"!{p}" for t in exclude if len(phrase(t)) == 1
        for p in (field_term(t.words, t.field),) if p
    ]
    return " & ".join(parts + neg)


def check_tsquery(include: tuple[Term, ...], exclude: tuple[Term, ...] = ()) -> str | None:
    """What the index condition leaves to check on each row (re-reading its vector): the
    word order of phrases, and excluded phrases. None when nothing is left."""
    parts = [p for t in include if len(phrase(t)) > 1 for p in (term_tsquery(t),) if p]
    neg = [f"!{p}" for t in exclude if len(phrase(t)) > 1 for p in (term_tsquery(t),) if p]
    if not parts and not neg:
        return None
    if not parts:
        # A tsquery of only negations matches everything that lacks them.
        return " & ".join(neg)
    return " & ".join(parts + neg)


@dataclass(slots=True)
class _Plan:
    index: str  # the match the GIN index answers alone
    checks: list[str]  # conditions re-reading each row's vector
    filters: list[str]  # categories and dates (columns of the row)
    # Learnt while counting: the newest ids passing index and filters (all of them when
    # fewer than asked), and which of them pass the checks.
    window: list[int] | None = None
    passed: set[int] | None = field(default=None)

    @property
    def cheap(self) -> str:
        """Index match and filters: no vector is re-read."""
        return " AND ".join([self.index, *self.filters])

    @property
    def where(self) -> str:
        return " AND ".join([self.index, *self.filters, *self.checks])


def _count(conn: Connection, where: str, params: dict[str, Any], cap: int) -> int:
    return int(conn.execute(
        text(f"SELECT count(*) FROM (SELECT 1 FROM papers p WHERE {where} LIMIT {cap}) AS t"),
        params,
    ).scalar_one())


def newest_ids(
    conn: Connection, where: str, params: dict[str, Any], n: int, *, desc: bool = True
) -> list[int]:
    """The ids of the `n` newest-added papers satisfying `where` (oldest-added when not
    `desc`), read by id range: a range sized from the planner's estimate, widened four
    times over until enough are found. When the matches are dense enough that walking
    the primary key re-reads only a few vectors, the planner may walk it; otherwise only
    the matches in the range are visited (a bitmap AND of the GIN index and the primary
    key), at the cost of reading the GIN entries of the words."""
    lo_id, hi_id = conn.execute(text("SELECT min(id), max(id) FROM papers")).one()
    if lo_id is None or n <= 0:
        return []
    lo_id, hi_id = int(lo_id), int(hi_id)
    estimate = max(_estimate(conn, where, params), 1)
    density = min(1.0, estimate / (hi_id - lo_id + 1))
    span = int(n / density * 1.5) + 1000
    # A vector re-read costs about as much as this many GIN entries.
    walk = n / density * VECTOR_COST <= estimate
    order = "DESC" if desc else "ASC"
    sql = text(
        f"SELECT p.id FROM papers p WHERE {where} AND p.id >= :w_lo AND p.id <= :w_hi"
        f" ORDER BY p.id {order} LIMIT :w_n"
    )
    if not walk:
        conn.execute(text("SET LOCAL enable_indexscan = off"))
    found: list[int] = []
    edge = hi_id if desc else lo_id
    while len(found) < n and lo_id <= edge <= hi_id:
        lo, hi = (edge - span + 1, edge) if desc else (edge, edge + span - 1)
        rows = conn.execute(sql, {**params, "w_lo": lo, "w_hi": hi, "w_n": n - len(found)})
        found.extend(int(r[0]) for r in rows)
        edge = lo - 1 if desc else hi + 1
        span *= 4
    if not walk:
        conn.execute(text("SET LOCAL enable_indexscan = on"))
    return found


def _ids_param(ids: list[int]) -> str:
    return "{" + ids_list(ids) + "}"


class PostgresKeyword(KeywordBackend[_Plan]):
    """The plan: the index match, the checks re-reading vectors, the filters."""

    def plan(self, q: Query, params: dict[str, Any]) -> _Plan | None:
        m = index_tsquery(q.include, q.exclude)
        if m is None:
            return None
        params["m"] = m
        params["r"] = tsquery_text(q.include, q.exclude) or m
        checks: list[str] = []
        chk = check_tsquery(q.include, q.exclude)
        if chk:
            params["chk"] = chk
            checks.append(f"p.search_vector @@ {_TSQ.format(name='chk')}")
        return _Plan(
            f"p.search_vector @@ {_TSQ.format(name='m')}", checks,
            filter_clauses(q, params, with_excludes=False),
        )

    def count(self, conn: Connection, q: Query, plan: _Plan, params: dict[str, Any]) -> Matches:
        # A bitmap over many matches must fit in work_mem, or every row on a lossy page is
        # rechecked (its tsvector read back); this transaction only reads.
        conn.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
        # Counting visits each match's row (not its vector): only up to CANDIDATES, and
        # only when the planner expects few; beyond, its estimate ("at least").
        estimate = _estimate(conn, plan.index, params)
        if estimate <= EXACT_COUNT_BELOW:
            raw = _count(conn, plan.index, params, CANDIDATES + 1)
            raw_exact = raw <= CANDIDATES
            if not raw_exact:
                raw = max(raw, estimate)
        else:
            raw, raw_exact = estimate, False
        if raw_exact and raw == 0:
            return Matches(0, total_exact=True, empty=True, sortable=True, rankable=True)
        sample = CANDIDATES if plan.checks else FILTER_SAMPLE
        if not plan.checks and not plan.filters:
            n, exact = raw, raw_exact
        elif raw_exact and raw <= sample:
            n, exact = _count(conn, plan.where, params, COUNT_CAP + 1), True
        elif not plan.checks and (est := _estimate(conn, plan.cheap, params)) > sample:
            # Many pass the filters, by the planner's estimate: say so ("at least").
            n, exact = est, False
        else:
            # Checking every match means visiting each: check the newest and report
            # "at least" (exact when they were all of them).
            ids = newest_ids(conn, plan.cheap, params, sample, desc=direction(q) == "DESC")
            plan.window = ids
            if plan.checks:
                plan.passed = self.passing(conn, plan, params, ids)
            n = len(ids) if plan.passed is None else len(plan.passed)
            exact = len(ids) < sample
        few = raw_exact and (raw <= CANDIDATES or not plan.checks)
        return Matches(
            n, total_exact=exact and n <= COUNT_CAP, empty=n == 0 and exact,
            sortable=exact and few and n <= COUNT_CAP,
            rankable=exact and n <= CANDIDATES and (raw <= FILTER_SAMPLE or not plan.filters),
        )

    def window(
        self, conn: Connection, plan: _Plan, params: dict[str, Any], n: int, *, desc: bool
    ) -> list[int]:
        """The `n` newest ids passing the plan's index match, filters and checks (the
        checks only within a window of at most CANDIDATES: fewer may come back)."""
        ids = plan.window
        if ids is None or (len(ids) < n and len(ids) >= CANDIDATES):
            ids = newest_ids(
                conn, plan.cheap, params, CANDIDATES if plan.checks else n, desc=desc
            )
        if plan.checks:
            ids = ids[:CANDIDATES]
            if plan.passed is not None and plan.window is not None:
                return [i for i in ids if i in plan.passed][:n]
            # Check the newest first, a growing chunk at a time, until `n` pass.
            ok: list[int] = []
            start, size = 0, max(4 * n, 100)
            while start < len(ids) and len(ok) < n:
                chunk = ids[start : start + size]
                passed = self.passing(conn, plan, params, chunk)
                ok.extend(i for i in chunk if i in passed)
                start, size = start + size, size * 4
            return ok[:n]
        return ids[:n]

    def by_date(
        self, conn: Connection, q: Query, plan: _Plan, params: dict[str, Any], *, exact: bool
    ) -> list[KeywordHit]:
        order = " ORDER BY published DESC NULLS LAST, id DESC LIMIT :limit OFFSET :offset"
        if exact:
            # Materialized: the matches come from the GIN index, never from a walk of the
            # date index re-reading each row's vector.
            sql = (
                f"WITH m AS MATERIALIZED (SELECT p.id, p.published FROM papers p"
                f" WHERE {plan.where}) SELECT id FROM m{order}"
            )
            rows = conn.execute(text(sql), params)
        else:
            # Too many to sort: the newest-added matches, sorted by date (as on SQLite).
            window = min(CANDIDATES, max(200, 2 * (params["offset"] + params["limit"])))
            ids = self.window(conn, plan, params, window, desc=direction(q) == "DESC")
            sql = "SELECT p.id, p.published FROM papers p WHERE p.id = ANY(CAST(:ids AS bigint[]))"
            rows = conn.execute(
                text(f"SELECT id FROM ({sql}) AS c{order}"), {**params, "ids": _ids_param(ids)}
            )
        return [KeywordHit(int(r[0]), 0.0) for r in rows]

    def ranked(self, conn: Connection, plan: _Plan, params: dict[str, Any]) -> list[KeywordHit]:
        rank = _rank(_TSQ.format(name="r"))
        sql = (
            f"WITH m AS MATERIALIZED (SELECT p.id, {rank} AS s FROM papers p"
            f" WHERE {plan.where}) SELECT id, s FROM m ORDER BY s DESC, id DESC"
            " LIMIT :limit OFFSET :offset"
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
        self, conn: Connection, q: Query, plan: _Plan, params: dict[str, Any], *,
        limit: int, offset: int,
    ) -> list[KeywordHit]:
        """Too many matches to rank each: papers with all the words in the title first,
        then the rest, newest-added first within each tier (as on SQLite). Each tier is
        read through the index from the newest end, only as far as the page needs; rows
        needing a check (phrases) are checked within a bounded window."""
        need = offset + limit
        desc = direction(q) == "DESC"
        tiers: list[_Plan] = []
        in_title = title_tier_terms(q)
        title_m = index_tsquery(in_title, q.exclude) if in_title else None
        if in_title and title_m:
            checks = []
            title_chk = check_tsquery(in_title, q.exclude)
            if title_chk:
                params = {**params, "tchk": title_chk}
                checks.append(f"p.search_vector @@ {_TSQ.format(name='tchk')}")
            params = {**params, "tm": title_m}
            tiers.append(_Plan(f"p.search_vector @@ {_TSQ.format(name='tm')}", checks,
                               plan.filters))
        tiers.append(plan)
        found: list[KeywordHit] = []
        seen: set[int] = set()
        for tier, tp in enumerate(tiers):
            if len(found) >= need:
                break
            ids = self.window(conn, tp, params, need, desc=desc)
            top = float(len(tiers) - tier)
            for i in ids:
                if i in seen or len(found) >= need:
                    continue
                found.append(KeywordHit(i, round(top - len(found) * 1e-6, 6)))
            seen.update(h.paper_id for h in found)
        return found[offset : offset + limit]

    @staticmethod
    def passing(conn: Connection, plan: _Plan, params: dict[str, Any], ids: list[int]) -> set[int]:
        """Which of `ids` pass the plan's checks (their vectors re-read)."""
        where = " AND ".join(["p.id = ANY(CAST(:ids AS bigint[]))", *plan.checks])
        rows = conn.execute(
            text(f"SELECT p.id FROM papers p WHERE {where}"), {**params, "ids": _ids_param(ids)}
        )
        return {int(r[0]) for r in rows}

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
