"""Writing papers.search_vector on PostgreSQL (migration 0007: a plain tsvector column
that paperfeed fills from storage/terms.py, no longer computed by the server).

Bulk writers (the importer) put the vector in their own INSERT/COPY; this module covers
the rest: papers written through the ORM (the :func:`after_insert` / :func:`after_update`
hooks registered on the Paper model), and :func:`fill_missing`, the safety net
`paperfeed index` runs for rows some other writer left without a vector. On SQLite
everything here does nothing: FTS5 triggers keep its index.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from paperfeed.storage.terms import document_vector

BATCH = 2000
TEXT_COLUMNS = ("title", "authors", "abstract")

_UPDATE_MANY = text(
    "UPDATE papers AS p SET search_vector = v.sv::tsvector"
    " FROM unnest(CAST(:ids AS bigint[]), CAST(:vs AS text[])) AS v(id, sv)"
    " WHERE p.id = v.id"
)


def author_names(raw: Any) -> list[str]:
    """The names of a stored authors value (a list, or its JSON text); anything else: none."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    return [a for a in raw if isinstance(a, str)] if isinstance(raw, list) else []


def vector_for(title: str | None, authors: Any, abstract: str | None) -> str:
    """The search vector literal of a paper as stored (None text counts as empty)."""
    return document_vector(title or "", author_names(authors), abstract or "")


Row = tuple[int, str | None, Any, str | None]  # id, title, authors, abstract


def write_vectors(conn: Connection, rows: Sequence[Row]) -> None:
    """Set search_vector of the papers (id, title, authors, abstract) in one statement."""
    if rows and conn.dialect.name == "postgresql":
        conn.execute(
            _UPDATE_MANY,
            {"ids": [int(r[0]) for r in rows], "vs": [vector_for(r[1], r[2], r[3]) for r in rows]},
        )


def fill_missing(conn: Connection, batch: int = BATCH) -> int:
    """Write the vector of every paper that has none (PostgreSQL); returns how many."""
    if conn.dialect.name != "postgresql":
        return 0
    done, last = 0, 0
    sql = text(
        "SELECT id, title, authors::text, abstract FROM papers"
        " WHERE search_vector IS NULL AND id > :last ORDER BY id LIMIT :n"
    )
    while True:
        rows: list[Row] = [
            (int(r[0]), r[1], r[2], r[3]) for r in conn.execute(sql, {"last": last, "n": batch})
        ]
        if not rows:
            return done
        write_vectors(conn, rows)
        last, done = int(rows[-1][0]), done + len(rows)


def after_insert(mapper: Any, conn: Connection, target: Any) -> None:
    """ORM hook: write a new Paper's vector (PostgreSQL)."""
    write_vectors(conn, [(target.id, target.title, target.authors, target.abstract)])


def after_update(mapper: Any, conn: Connection, target: Any) -> None:
    """ORM hook: rewrite a Paper's vector when its title, authors or abstract changed."""
    state = inspect(target)
    if any(state.attrs[c].history.has_changes() for c in TEXT_COLUMNS):
        write_vectors(conn, [(target.id, target.title, target.authors, target.abstract)])
