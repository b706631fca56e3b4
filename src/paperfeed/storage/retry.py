"""Write transactions that survive other writers: bounded retries and a clear "busy".

Two writers can collide. On PostgreSQL the server then aborts one of them with a
serialization failure (SQLSTATE ``40001``) or a deadlock (``40P01``); running the whole
transaction again almost always succeeds, so :func:`run_transaction` (an ORM session)
and :func:`run_connection` (a Core connection) re-run it up to ``attempts`` times,
sleeping between tries for an exponential backoff with full jitter (:func:`backoff`, a
pure function). When the attempts run out they raise :class:`DatabaseBusy`.

SQLite has one writer at a time and makes the others wait up to its busy timeout
(``PAPERFEED_DB_BUSY_TIMEOUT``) for the lock; a writer that still cannot get it has
already waited, so it is not retried: :class:`DatabaseBusy` at once. The web answers
:class:`DatabaseBusy` (and any such error from a path without these helpers, see
:func:`is_contention`) with 503 and ``Retry-After``; the CLI with a one-line error.

The function given is run once per attempt, inside a fresh transaction: it must do
nothing outside the database that cannot be done twice (send mail after it returns).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from paperfeed.storage.engine import write_session, write_transaction

T = TypeVar("T")

ATTEMPTS = 5
BASE_DELAY = 0.02  # seconds before the second attempt, at most (doubling after that)
MAX_DELAY = 1.0  # no single wait is longer than this
RETRY_AFTER = 3  # seconds a client is asked to wait (Retry-After) after a busy answer

SERIALIZATION_FAILURE = "40001"
DEADLOCK_DETECTED = "40P01"
LOCK_NOT_AVAILABLE = "55P03"
RETRYABLE = frozenset({SERIALIZATION_FAILURE, DEADLOCK_DETECTED})


class DatabaseBusy(Exception):
    """A write could not be done because other writers held the database; trying again
    in ``retry_after`` seconds should work. The message is one line."""

    def __init__(self, message: str, retry_after: int = RETRY_AFTER) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @classmethod
    def busy(cls, exc: DBAPIError) -> DatabaseBusy:
        """The one-line "busy" error for a contention error `exc` (see :func:`is_contention`)."""
        if is_locked(exc):
            return cls("the database is busy: another writer held its lock too long")
        return cls(f"the database is busy ({_reason(exc)})")


def sqlstate(exc: BaseException) -> str | None:
    """The PostgreSQL SQLSTATE of a database error (wrapped by SQLAlchemy or not)."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code if isinstance(code, str) else None


def is_retryable(exc: BaseException) -> bool:
    """A serialization failure or deadlock: re-running the transaction should work."""
    return sqlstate(exc) in RETRYABLE


def is_locked(exc: BaseException) -> bool:
    """SQLite's "database is locked" (SQLITE_BUSY / SQLITE_LOCKED): the busy timeout ran
    out while another connection held the write lock."""
    import sqlite3

    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if not isinstance(orig, sqlite3.OperationalError):
        return False
    name = getattr(orig, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(orig)


def is_contention(exc: BaseException) -> bool:
    """Whether `exc` says other writers were in the way (answer "busy", not "error")."""
    if isinstance(exc, DatabaseBusy):
        return True
    return is_retryable(exc) or is_locked(exc) or sqlstate(exc) == LOCK_NOT_AVAILABLE


def backoff(attempt: int, unit: float, *, base: float = BASE_DELAY,
            cap: float = MAX_DELAY) -> float:
    """Seconds to wait after failed attempt number `attempt` (0 for the first): "full
    jitter", a uniform share `unit` (0 ≤ unit < 1) of ``min(cap, base · 2^attempt)``."""
    ceiling: float = min(cap, base * 2.0 ** max(0, attempt))
    return max(0.0, min(1.0, unit)) * ceiling


def _reason(exc: DBAPIError) -> str:
    text = str(exc.orig).strip() if exc.orig is not None else str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


def retrying(operation: Callable[[], T], *, attempts: int = ATTEMPTS,
             sleep: Callable[[float], None] = time.sleep,
             unit: Callable[[], float] = random.random) -> T:
    """Run `operation` (one whole transaction, begun and committed inside it) until it
    succeeds, re-running it after a serialization failure or deadlock at most
    `attempts` times in all. Raises :class:`DatabaseBusy` when SQLite's lock could not
    be had or the attempts ran out; any other error passes through unchanged."""
    for attempt in range(max(1, attempts)):
        try:
            return operation()
        except DBAPIError as exc:
            if is_locked(exc):
                raise DatabaseBusy.busy(exc) from exc
            if not is_retryable(exc):
                raise
            if attempt + 1 >= attempts:
                raise DatabaseBusy(
                    f"the database is busy: gave up after {attempts} attempts "
                    f"({_reason(exc)})"
                ) from exc
            sleep(backoff(attempt, unit()))
    raise AssertionError("unreachable")  # pragma: no cover


def run_transaction(engine: Engine, fn: Callable[[Session], T], *, attempts: int = ATTEMPTS,
                    sleep: Callable[[float], None] = time.sleep,
                    unit: Callable[[], float] = random.random) -> T:
    """``fn(session)`` in one write transaction (``storage.engine.write_session``),
    committed when it returns, re-run as :func:`retrying` says; returns what it returns."""

    def once() -> T:
        with write_session(engine) as session:
            return fn(session)

    return retrying(once, attempts=attempts, sleep=sleep, unit=unit)


def run_connection(engine: Engine, fn: Callable[[Connection], T], *,
                   attempts: int = ATTEMPTS, sleep: Callable[[float], None] = time.sleep,
                   unit: Callable[[], float] = random.random) -> T:
    """``fn(conn)`` in one write transaction on a Core connection
    (``storage.engine.write_transaction``), re-run as :func:`retrying` says."""

    def once() -> T:
        with write_transaction(engine) as conn:
            return fn(conn)

    return retrying(once, attempts=attempts, sleep=sleep, unit=unit)
