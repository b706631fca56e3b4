"""The only place for SQL that one database understands and the other doesn't."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
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
    if is_sqlite(bind):
        lite = sqlite.insert(table)
        set_ = {c: lite.excluded[c] for c in update_columns}
        return lite.on_conflict_do_update(index_elements=index_elements, set_=set_, where=where)
    pg = postgresql.insert(table)
    set_ = {c: pg.excluded[c] for c in update_columns}
    return pg.on_conflict_do_update(index_elements=index_elements, set_=set_, where=where)


def increment(bind: Engine | Connection, table: Table, index_elements: list[str],
              column: str) -> Insert:
    """INSERT … ON CONFLICT (cols) DO UPDATE SET column = column + 1 … RETURNING column:
    a counter bumped atomically on either database."""
    stmt = sqlite.insert(table) if is_sqlite(bind) else postgresql.insert(table)
    return stmt.on_conflict_do_update(
        index_elements=index_elements, set_={column: table.c[column] + 1}
    ).returning(table.c[column])


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
    bind.exec_driver_sql(sql, rows)


def execute_count(bind: Connection, sql: str, row: tuple[Any, ...]) -> int:
    """Run one ``?``-placeholder statement; returns the number of rows it changed."""
    if not is_sqlite(bind):
        sql = sql.replace("?", "%s")
    return max(bind.exec_driver_sql(sql, row).rowcount, 0)


def _sqlite_datetime(value: datetime | None) -> str | None:
    # SQLAlchemy's own storage format for DateTime on SQLite.
    return None if value is None else value.isoformat(" ", "microseconds")


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _native(value: Any) -> Any:
    return value


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


_Date = date


def _date_from_sqlite(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _json_from_text(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


@dataclass(frozen=True, slots=True)
class BulkEncoders:
    """How Python values are bound in :func:`executemany` rows for one database, and
    read back from plain SQL (``date_out``, ``json_out``)."""

    date: Callable[[date | None], Any]
    datetime: Callable[[datetime | None], Any]
    json: Callable[[Any], Any]
    date_out: Callable[[Any], _Date | None]
    json_out: Callable[[Any], Any]


_SQLITE_ENCODERS = BulkEncoders(
    date=_sqlite_date, datetime=_sqlite_datetime, json=_json,
    date_out=_date_from_sqlite, json_out=_json_from_text,
)
_PG_ENCODERS = BulkEncoders(
    date=_native, datetime=_native, json=_json, date_out=_native, json_out=_json_from_text,
)


# Values as text that both databases accept for these columns (SQLAlchemy's SQLite storage
# formats; PostgreSQL casts the untyped text): what a parser process can prepare without
# knowing the database.
TEXT_ENCODERS = _SQLITE_ENCODERS


def bulk_encoders(bind: Connection) -> BulkEncoders:
    return _SQLITE_ENCODERS if is_sqlite(bind) else _PG_ENCODERS


def select_in(
    bind: Connection, sql: str, values: list[Any]
) -> list[tuple[Any, ...]]:
    """Run ``sql`` whose WHERE ends in ``IN ?list``, with the list bound: expanded
    placeholders on SQLite, one array parameter (``= ANY``) on PostgreSQL."""
    if not values:
        return []
    if is_sqlite(bind):
        sql = sql.replace("IN ?list", "IN (" + ",".join("?" * len(values)) + ")")
        return bind.exec_driver_sql(sql, tuple(values)).fetchall()  # type: ignore[return-value]
    sql = sql.replace("IN ?list", "= ANY(%s)")
    return bind.exec_driver_sql(sql, (list(values),)).fetchall()  # type: ignore[return-value]


# A row trigger whose whole body is one ``INSERT INTO t(cols) VALUES (exprs of new.*)``
# (the keyword index's AFTER INSERT trigger is one).
_COPY_TRIGGER = re.compile(
    r"^\s*CREATE\s+TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?\S+\s+AFTER\s+INSERT\s+ON\s+\S+\s+"
    r"(?:FOR\s+EACH\s+ROW\s+)?BEGIN\s+(INSERT\s+INTO\s+[^;]*?\))\s*VALUES\s*\((.*)\)\s*;\s*END\s*$",
    re.IGNORECASE | re.DOTALL,
)


@contextmanager
def setwise_insert_triggers(bind: Connection, table: str) -> Iterator[None]:
    """Inside an open write transaction: run ``table``'s simple AFTER INSERT triggers once
    for all rows inserted in the block instead of once per row. SQLite only (a no-op on
    PostgreSQL).

    Why: FTS5 flushes its pending terms at every statement savepoint, and a row trigger
    makes that happen once per inserted row, which makes a bulk import several times
    slower. The triggers are dropped for the block and recreated before it ends, within
    the same transaction, so other connections never see them missing (and a crash rolls
    everything back together). Rows inserted in the block are those with a rowid above
    the largest one before it (INTEGER PRIMARY KEY). Triggers of any other shape are left
    alone and fire as usual.
    """
    if not is_sqlite(bind):
        yield
        return
    found = bind.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)
    ).all()
    copies: list[tuple[str, str, str]] = []
    for name, sql in found:
        m = _COPY_TRIGGER.match(sql or "")
        if m and sql.count(";") == 1:
            setwise = f"{m.group(1)} SELECT {m.group(2)} FROM {table} AS new WHERE new.rowid > ?"
            copies.append((name, sql, setwise))
    if not copies:
        yield
        return
    last = bind.exec_driver_sql(f"SELECT coalesce(max(rowid), 0) FROM {table}").scalar()
    for name, _sql, _setwise in copies:
        bind.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield
    for _name, sql, setwise in copies:
        bind.exec_driver_sql(setwise, (last,))
        bind.exec_driver_sql(sql)


def writes_search_vector(bind: Engine | Connection) -> bool:
    """Whether paperfeed writes ``papers.search_vector`` itself: PostgreSQL from
    revision 0007 on (before it the server generated the column; SQLite has none)."""
    if is_sqlite(bind):
        return False
    sql = (
        "SELECT attgenerated FROM pg_attribute WHERE attrelid = 'papers'::regclass "
        "AND attname = 'search_vector' AND NOT attisdropped"
    )
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            generated = conn.exec_driver_sql(sql).scalar()
    else:
        generated = bind.exec_driver_sql(sql).scalar()
    return generated == ""


def copy_rows(
    bind: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """PostgreSQL: ``COPY table (columns) FROM STDIN`` of the rows, in the open transaction
    (text format: psycopg escapes tabs, newlines and backslashes; a NUL byte, which
    PostgreSQL text cannot hold, raises ``psycopg.DataError``)."""
    cur = bind.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def staged(
    bind: Connection,
    staging_columns: str,
    rows: Iterable[Sequence[Any]],
    sql: str,
    params: Sequence[Any] = (),
) -> list[tuple[Any, ...]]:
    """PostgreSQL: COPY ``rows`` into the temporary table ``pf_stage (staging_columns)``
    and run ``sql`` (``%s`` placeholders), which reads it set-wise; returns its rows (if
    it has any). The staging table lives as long as the session and is emptied at every
    commit; each distinct column list gets its own (named by a hash of it)."""
    name = "pf_stage_" + hashlib.sha1(staging_columns.encode()).hexdigest()[:10]
    raw = bind.connection.driver_connection
    with raw.cursor() as cur:  # type: ignore[union-attr]
        cur.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ({staging_columns}) "
            "ON COMMIT DELETE ROWS"
        )
    columns = [c.split()[0] for c in staging_columns.split(",")]
    copy_rows(bind, name, columns, rows)
    result = bind.exec_driver_sql(sql.replace("pf_stage", name), tuple(params))
    return result.fetchall() if result.returns_rows else []  # type: ignore[return-value]


@contextmanager
def bulk_write_settings(bind: Connection) -> Iterator[None]:
    """Connection settings for a long bulk write, restored afterwards. SQLite: checkpoint
    the WAL about every 64 MB instead of every 4 MB (the same index pages are then copied
    into the database file far fewer times; about 8% less CPU for an import). Durability
    is unchanged.

    PostgreSQL: the session's commits do not wait for the WAL flush
    (``synchronous_commit off``: a server crash may lose the last few batches, never half
    of one, and a rerun redoes them)."""
    if not is_sqlite(bind):
        with bind.begin():
            bind.exec_driver_sql("SET synchronous_commit = off")
        try:
            yield
        except BaseException:
            with suppress(Exception), bind.begin():  # the connection may be gone
                bind.exec_driver_sql("RESET synchronous_commit")
            raise
        with bind.begin():
            bind.exec_driver_sql("RESET synchronous_commit")
        return
    raw = bind.connection.driver_connection
    old = int(raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0])  # type: ignore[union-attr]
    raw.execute("PRAGMA wal_autocheckpoint=16384")  # type: ignore[union-attr]
    try:
        yield
    finally:
        raw.execute(f"PRAGMA wal_autocheckpoint={old}")  # type: ignore[union-attr]
