"""The only place for SQL that one database understands and the other doesn't."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Insert


def is_sqlite(bind: Engine | Connection) -> bool:
    return bind.dialect.name == "sqlite"


def insert_ignore(bind: Engine | Connection, table: Table, index_elements: list[str]) -> Insert:
    """INSERT … ON CONFLICT (cols) DO NOTHING for either database."""
    if is_sqlite(bind):
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=index_elements)
    return postgresql.insert(table).on_conflict_do_nothing(index_elements=index_elements)


def upsert(
    bind: Engine | Connection,
    table: Table,
    index_elements: list[str],
    update_columns: list[str],
    where: Any = None,
) -> Insert:
    """INSERT … ON CONFLICT (cols) DO UPDATE SET col = excluded.col [WHERE …]."""
    stmt: Any = (sqlite if is_sqlite(bind) else postgresql).insert(table)
    set_ = {c: stmt.excluded[c] for c in update_columns}
    return stmt.on_conflict_do_update(index_elements=index_elements, set_=set_, where=where)


def integrity_check(bind: Connection) -> str:
    """'ok' when the database file is consistent (SQLite); PostgreSQL is always 'ok'."""
    if bind.dialect.name == "sqlite":
        return str(bind.exec_driver_sql("PRAGMA integrity_check").scalar())
    return "ok"
