"""Named locks that one process holds at a time, across machines sharing the database.

PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) on a connection the
holder keeps open; the server releases it when that connection ends, however the
process ends. SQLite: a lease row in the ``locks`` table, renewed by a heartbeat thread
while held; a holder that dies stops renewing, and the lease lapses after ``ttl``."""

from __future__ import annotations

import threading
import zlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, text

from paperfeed.storage.dialect import is_sqlite
from paperfeed.storage.engine import write_transaction


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class DatabaseLock:
    """``acquire()`` (non-blocking: True when this process now holds it), ``release()``,
    ``holder()`` (who holds it, for messages). Use one object per holder."""

    def __init__(self, engine: Engine, name: str, holder: str, *,
                 ttl: timedelta = timedelta(seconds=90)) -> None:
        self.engine = engine
        self.name = name
        self.me = holder
        self.ttl = ttl
        self.held = False
        self._conn: Connection | None = None
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    @property
    def _key(self) -> int:
        return zlib.crc32(f"paperfeed:{self.name}".encode()) & 0x7FFFFFFF

    def acquire(self) -> bool:
        if self.held:
            return True
        if is_sqlite(self.engine):
            self.held = self._lease()
            if self.held:
                self._stop.clear()
                self._beat = threading.Thread(target=self._heartbeat, daemon=True,
                                              name=f"lock-{self.name}")
                self._beat.start()
            return self.held
        conn = self.engine.connect()
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                {"k": self._key}).scalar())
        conn.commit()
        if got:
            self._conn = conn
            conn.execute(text(
                "INSERT INTO locks (name, holder, acquired_at, expires_at) VALUES "
                "(:n, :me, :now, :exp) ON CONFLICT (name) DO UPDATE SET holder = :me, "
                "acquired_at = :now, expires_at = :exp"),
                {"n": self.name, "me": self.me, "now": _now(), "exp": _now() + self.ttl})
            conn.commit()
        else:
            conn.close()
        self.held = got
        return got

    def _lease(self) -> bool:
        now = _now()
        with write_transaction(self.engine) as conn:
            conn.execute(text(
                "INSERT INTO locks (name, holder, acquired_at, expires_at) VALUES "
                "(:n, :me, :now, :exp) ON CONFLICT (name) DO UPDATE SET holder = :me, "
                "acquired_at = CASE WHEN locks.holder = :me THEN locks.acquired_at "
                "ELSE :now END, expires_at = :exp "
                "WHERE locks.holder = :me OR locks.expires_at < :now"),
                {"n": self.name, "me": self.me, "now": now, "exp": now + self.ttl})
            holder = conn.execute(text("SELECT holder FROM locks WHERE name = :n"),
                                  {"n": self.name}).scalar()
        return holder == self.me

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.ttl.total_seconds() / 3):
            try:
                if not self._lease():
                    self.held = False  # someone took a lapsed lease: stop acting
                    return
            except Exception:  # a busy database: try again at the next beat
                continue

    def holder(self) -> str | None:
        with self.engine.connect() as conn:
            value = conn.execute(text("SELECT holder FROM locks WHERE name = :n"),
                                 {"n": self.name}).scalar()
        return str(value) if value is not None else None

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        self._stop.set()
        if self._beat is not None:
            self._beat.join(timeout=5)
            self._beat = None
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
                self._conn.commit()
            finally:
                self._conn.close()
                self._conn = None
            return
        with write_transaction(self.engine) as conn:
            conn.execute(text("DELETE FROM locks WHERE name = :n AND holder = :me"),
                         {"n": self.name, "me": self.me})
