"""Backups of a SQLite database with SQLite's online backup API.

The copy is taken in one step, inside one read transaction: in WAL mode writers go on
meanwhile and the copy is the database as it was when the step began. It is written to
FILE.partial and renamed to FILE when complete. A restore first checks the file (its
header against its length, ``PRAGMA quick_check``, paperfeed's ``alembic_version``),
then copies it into the database with the same API, in one write transaction.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from paperfeed.storage.backup_types import (
    BackupError,
    BackupSummary,
    check_revision,
    partial_path,
    publish,
)

MAGIC = b"SQLite format 3\x00"
TIMEOUT = 30.0  # seconds to wait for a lock held by another process


def _read_only(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=TIMEOUT)
    conn.execute("PRAGMA trusted_schema=OFF")
    return conn


def _summary(conn: sqlite3.Connection, path: Path) -> BackupSummary:
    """Papers, users and schema revision of a copy ("" when it has no paperfeed schema)."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    if not {"alembic_version", "papers", "users"} <= tables:
        return BackupSummary(path, path.stat().st_size, 0, 0, "")
    revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    papers = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
    users = conn.execute("SELECT count(*) FROM users").fetchone()[0]
    return BackupSummary(path, path.stat().st_size, papers, users, revision[0] if revision else "")


def backup(database: Path, dest: Path) -> BackupSummary:
    """Copy the live database at `database` to `dest` (through `dest`.partial)."""
    if not database.is_file():
        raise BackupError(f"database file {database} does not exist")
    if dest.exists() and dest.resolve() == database.resolve():
        raise BackupError(f"{dest} is the database itself; name another file")
    partial = partial_path(dest)
    partial.unlink(missing_ok=True)
    try:
        with closing(_read_only(database)) as src, closing(sqlite3.connect(partial)) as dst:
            src.backup(dst)  # pages=-1: one step, so one consistent snapshot
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            summary = _summary(dst, partial)
        if not summary.revision:
            raise BackupError("the database has no paperfeed schema; nothing to back up")
        publish(partial, dest)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"backup of {database} failed: {exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupSummary(dest, dest.stat().st_size, summary.papers, summary.users,
                         summary.revision)


def _check_length(path: Path, header: bytes) -> None:
    """Compare the file's length with the size its header records."""
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise BackupError(f"{path} is damaged (bad page size in its header)")
    size = path.stat().st_size
    pages = int.from_bytes(header[28:32], "big")
    header_size_valid = header[24:28] == header[92:96] and pages > 0
    if header_size_valid and size < pages * page_size:
        raise BackupError(
            f"{path} is truncated: {size:,} bytes of the {pages * page_size:,} it should have"
        )
    if size % page_size:
        raise BackupError(f"{path} is truncated: {size:,} bytes is not a whole number of pages")


def inspect(path: Path, known: list[str]) -> str:
    """Check a SQLite backup file; return its schema revision or raise BackupError."""
    with path.open("rb") as fh:
        header = fh.read(100)
    if len(header) < 100 or not header.startswith(MAGIC):
        raise BackupError(f"{path} is truncated (shorter than a SQLite header)")
    _check_length(path, header)
    try:
        with closing(_read_only(path)) as conn:
            problems = [row[0] for row in conn.execute("PRAGMA quick_check").fetchmany(3)]
            if problems != ["ok"]:
                raise BackupError(f"{path} is damaged: {'; '.join(problems)}")
            tables = {
                row[0]
                for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if "alembic_version" not in tables or not {"papers", "users"} <= tables:
                raise BackupError(
                    f"{path} is a SQLite database but not a paperfeed backup "
                    "(it has no paperfeed tables)"
                )
            rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error as exc:
        raise BackupError(f"{path} is damaged or unreadable: {exc}") from None
    revision = str(rows[0][0]) if len(rows) == 1 and rows[0][0] else None
    return check_revision(path, revision, known)


def restore(source: Path, database: Path) -> BackupSummary:
    """Replace the database at `database` with the (already inspected) backup `source`:
    one write transaction, so a failure or a kill leaves the database as it was."""
    if database.exists() and source.resolve() == database.resolve():
        raise BackupError(f"{source} is the database itself")
    try:
        with closing(_read_only(source)) as src, closing(
            sqlite3.connect(database, timeout=TIMEOUT)
        ) as dst:
            # A WAL database cannot take a backup of another page size: leave WAL mode
            # for the copy then (that needs the database to itself).
            page_sizes = {c.execute("PRAGMA page_size").fetchone()[0] for c in (src, dst)}
            if len(page_sizes) > 1:
                mode = dst.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
                if mode != "delete":
                    raise BackupError(f"database {database} is in use; stop paperfeed serve "
                                      "and worker, then retry")
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
            return _summary(dst, database)
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise BackupError(
                f"database {database} is in use; stop paperfeed serve and worker, then retry"
            ) from None
        raise BackupError(f"restore into {database} failed: {exc}") from None
    except sqlite3.Error as exc:
        raise BackupError(f"restore into {database} failed: {exc}") from None
