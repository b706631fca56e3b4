"""Helpers shared by the ingest tests: a full dump of what imports write, and the same
without surrogate ids and write times, to compare two databases."""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson
from sqlalchemy import Engine, inspect, text


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row an import writes, in a stable order (timestamps included)."""
    with engine.connect() as conn:
        return {
            "papers": [tuple(r) for r in conn.execute(text(
                "SELECT * FROM papers ORDER BY arxiv_id"))],
            "versions": [tuple(r) for r in conn.execute(text(
                "SELECT p.arxiv_id, v.version, v.submitted, v.size FROM paper_versions v "
                "JOIN papers p ON p.id = v.paper_id ORDER BY p.arxiv_id, v.version"))],
            "daily": [tuple(r) for r in conn.execute(text(
                "SELECT d.day, p.arxiv_id, d.source, d.submitted_by_name, d.submitted_at "
                "FROM daily_entries d JOIN papers p ON p.id = d.paper_id "
                "ORDER BY d.day, p.arxiv_id"))],
        }


def count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar() or 0)


# Columns that say when or under which surrogate key a row was written, not what it holds.
NOT_CONTENT = {"id", "created_at", "modified_at", "submitted_at"}
PAPER_TABLES = ("papers", "paper_versions", "daily_entries")

Content = dict[str, tuple[list[str], Counter[tuple[Any, ...]]]]


def _plain(value: Any) -> Any:
    # JSON columns come back as lists/dicts on PostgreSQL: make rows hashable.
    if isinstance(value, list | dict):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return value


def content(engine: Engine) -> Content:
    """Per table of PAPER_TABLES: its column names (read from the database, so renamed or
    added columns are included) minus NOT_CONTENT, with ``paper_id`` replaced by the
    paper's arXiv id (always the first column), and the rows as a multiset."""
    names = inspect(engine)
    out: Content = {}
    with engine.connect() as conn:
        for table in PAPER_TABLES:
            cols = [c["name"] for c in names.get_columns(table) if c["name"] not in NOT_CONTENT]
            if table == "papers":
                cols.remove("arxiv_id")
                select = ", ".join(f"t.{c}" for c in ["arxiv_id", *cols])
                sql = f"SELECT {select} FROM papers t"
            else:
                cols.remove("paper_id")
                select = ", ".join(["p.arxiv_id", *(f"t.{c}" for c in cols)])
                sql = f"SELECT {select} FROM {table} t JOIN papers p ON p.id = t.paper_id"
            rows = Counter(tuple(_plain(v) for v in r) for r in conn.execute(text(sql)))
            out[table] = (["arxiv_id", *cols], rows)
    return out


def only_papers(data: Content, arxiv_ids: set[str]) -> Content:
    """The rows of ``data`` that belong to the given papers."""
    return {
        table: (cols, Counter({r: n for r, n in rows.items() if r[0] in arxiv_ids}))
        for table, (cols, rows) in data.items()
    }


def assert_same_content(got: Content, want: Content) -> None:
    """Row for row, table by table; a failure names a few differing rows, not all."""
    for table in PAPER_TABLES:
        got_cols, got_rows = got[table]
        want_cols, want_rows = want[table]
        assert got_cols == want_cols, table
        extra, missing = got_rows - want_rows, want_rows - got_rows
        assert not extra and not missing, (
            f"{table} ({', '.join(got_cols)}): {sum(extra.values())} rows not expected, "
            f"e.g. {list(extra)[:3]}; {sum(missing.values())} rows missing, "
            f"e.g. {list(missing)[:3]}"
        )
