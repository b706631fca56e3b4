"""The only place for SQL that one database understands and the other doesn't."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
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


# --- Bulk writes (the importer): plain DB-API executemany, no per-row ORM work. ---


def executemany(bind: Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """Run ``sql`` (written with ``?`` placeholders) once per row, in one round of
    DB-API ``executemany`` (psycopg pipelines it)."""
    if not rows:
        return
    if not is_sqlite(bind):
        sql = sql.replace("?", "%s")
    bind.exec_driver_sql(sql, rows)  # type: ignore[arg-type]


def execute_count(bind: Connection, sql: str, row: tuple[Any, ...]) -> int:
    """Run one ``?``-placeholder statement; returns the number of rows it changed."""
    if not is_sqlite(bind):
        sql = sql.replace("?", "%s")
    return max(bind.exec_driver_sql(sql, row).rowcount, 0)


def _sqlite_datetime(value: datetime | None) -> str | None:
    # SQLAlchemy's own storage format for DateTime on SQLite.
    return None if value is None else value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _native(value: Any) -> Any:
    return value


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


@dataclass(frozen=True, slots=True)
class BulkEncoders:
    """How Python values are bound in :func:`executemany` rows for one database."""

    date: Callable[[date | None], Any]
    datetime: Callable[[datetime | None], Any]
    json: Callable[[Any], Any]


def bulk_encoders(bind: Connection) -> BulkEncoders:
    if is_sqlite(bind):
        return BulkEncoders(date=_sqlite_date, datetime=_sqlite_datetime, json=_json)
    return BulkEncoders(date=_native, datetime=_native, json=_json)
