"""Engines and sessions for SQLite (WAL, foreign keys, busy timeout) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from paperfeed.config import mask_url

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA cache_size=-65536",
)
BUSY_TIMEOUT = 10.0  # seconds a SQLite writer waits for the lock (PAPERFEED_DB_BUSY_TIMEOUT)


class DatabaseUnavailable(Exception):
    """The database cannot be reached; the message is one line with the URL masked."""


def _sqlite_pragmas(busy_timeout: float) -> Callable[[Any, Any], None]:
    """The "connect" listener: the pragmas, with a busy timeout of `busy_timeout` s."""

    def connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own handling is off).
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cur.execute(pragma)
        cur.execute(f"PRAGMA busy_timeout={max(0, round(busy_timeout * 1000))}")
        cur.close()

    return connect


def _sqlite_begin(conn: Any) -> None:
    # Writers ask for IMMEDIATE so two writers never deadlock on lock upgrade.
    mode = conn.get_execution_options().get("sqlite_begin", "")
    conn.exec_driver_sql(f"BEGIN {mode}".strip())


def make_engine(url: str, *, create_dirs: bool = True, busy_timeout: float = BUSY_TIMEOUT,
                **kwargs: Any) -> Engine:
    """Create an engine; SQLite files get their directory created and the pragmas set
    on every connection (a writer waits up to `busy_timeout` seconds for the lock, then
    fails with "database is locked": see :mod:`paperfeed.storage.retry`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:" and create_dirs:
            Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
        if db and db != ":memory:" and "poolclass" not in kwargs:
            # SQLite connections are cheap file handles: enough of them that the web
            # server's threads (40) can each hold a read and a write connection at once.
            kwargs.setdefault("pool_size", 10)
            kwargs.setdefault("max_overflow", 80)
        engine = create_engine(url, connect_args={"timeout": busy_timeout}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas(busy_timeout))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def check_connection(engine: Engine) -> None:
    """Raise DatabaseUnavailable with a one-line message when the database can't be used."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailable(
            f"cannot connect to database {mask_url(str(engine.url.render_as_string(False)))}: "
            f"{reason}"
        ) from None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def write_connection(engine: Engine) -> Connection:
    """A connection for writers: each transaction it begins takes the write lock up front
    on SQLite (``BEGIN IMMEDIATE``, so two writers never deadlock upgrading a read lock);
    PostgreSQL keeps its default. Use as ``with write_connection(engine) as conn:`` and
    ``with conn.begin():`` per transaction, or :func:`write_transaction` for just one."""
    return engine.connect().execution_options(sqlite_begin="IMMEDIATE")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One write transaction (see :func:`write_connection`): committed when the block
    ends, rolled back when it raises."""
    with write_connection(engine) as conn, conn.begin():
        yield conn


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """An ORM session in one write transaction (see :func:`write_connection`), committed
    when the block ends."""
    with write_connection(engine) as conn, Session(bind=conn, expire_on_commit=False) as session:
        yield session
        session.commit()
