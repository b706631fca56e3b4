"""`paperfeed db backup` and `db restore`: which engine, which kind of file, and the
rules both engines follow (see backup_sqlite and backup_postgres for how each copies).

A restore refuses, leaving the database untouched: a file that is missing, empty,
truncated or damaged; a file that is not a paperfeed backup; a backup of the other
engine; a backup whose schema is newer than this code; and, unless forced, any target
database that already holds a paper or a user.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect, text

from paperfeed.storage import backup_postgres, backup_sqlite, migrate
from paperfeed.storage.backup_types import BackupError, BackupSummary, check_destination

PG_MAGIC = b"PGDMP"
PLAIN_SQL_MARKS = (b"--\n-- PostgreSQL database dump", b"-- PostgreSQL database dump")


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database).expanduser()


def backup(engine: Engine, dest: Path, *, overwrite: bool = False,
           pg_bin: str = "") -> BackupSummary:
    """Write a backup of `engine`'s database to `dest`; FILE appears only when whole."""
    check_destination(dest, overwrite=overwrite)
    if engine.dialect.name == "sqlite":
        return backup_sqlite.backup(_sqlite_path(engine), dest)
    return backup_postgres.backup(engine, dest, pg_bin)


def file_kind(path: Path) -> str:
    """"sqlite" or "postgresql" for a backup file, else a BackupError saying what it is."""
    if not path.exists():
        raise BackupError(f"backup file not found: {path}")
    if path.is_dir():
        raise BackupError(f"{path} is a directory, not a backup file")
    try:
        with path.open("rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    if not head:
        raise BackupError(f"{path} is empty")
    if len(head) < 16 and (backup_sqlite.MAGIC.startswith(head) or PG_MAGIC.startswith(head)):
        raise BackupError(f"{path} is truncated (shorter than a backup's header)")
    if head.startswith(backup_sqlite.MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    if head.startswith(PLAIN_SQL_MARKS):
        raise BackupError(f"{path} is a plain-SQL pg_dump; paperfeed restores the custom "
                          "format that `paperfeed db backup` writes (or load it with psql)")
    raise BackupError(f"{path} is not a paperfeed backup (neither a SQLite database nor a "
                      "pg_dump custom-format archive)")


def _wrong_engine(path: Path, kind: str) -> BackupError:
    if kind == "postgresql":
        return BackupError(
            f"{path} is a PostgreSQL backup (pg_dump) and the configured database is SQLite; "
            "restore it with PAPERFEED_DATABASE_URL set to a PostgreSQL database "
            "(postgresql+psycopg://USER@HOST/DB)"
        )
    return BackupError(
        f"{path} is a SQLite backup and the configured database is PostgreSQL; restore it "
        "with PAPERFEED_DATABASE_URL=sqlite:///PATH (or use the file itself as the database)"
    )


def holds_data(engine: Engine) -> tuple[int, int]:
    """(papers, users) in the database; (0, 0) when it has no paperfeed tables."""
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        papers = users = 0
        if "papers" in tables:
            papers = int(conn.execute(text("SELECT count(*) FROM papers")).scalar_one())
        if "users" in tables:
            users = int(conn.execute(text("SELECT count(*) FROM users")).scalar_one())
    return papers, users


def restore(engine: Engine, source: Path, *, force: bool = False,
            pg_bin: str = "") -> BackupSummary:
    """Check `source`, then replace `engine`'s database with it (see the module doc)."""
    kind = file_kind(source)
    known = migrate.known_revisions()
    if kind == "sqlite":
        backup_sqlite.inspect(source, known)  # also says when it is no paperfeed file
    if kind != engine.dialect.name:
        raise _wrong_engine(source, kind)
    if kind == "postgresql":
        backup_postgres.inspect_dump(source, known, pg_bin, engine.url)
    papers, users = holds_data(engine)
    if (papers or users) and not force:
        raise BackupError(
            f"the database already holds {papers:,} papers and {users:,} users; restore "
            "replaces everything in it: back it up first, then pass --force"
        )
    if kind == "sqlite":
        database = _sqlite_path(engine)
        engine.dispose()
        return backup_sqlite.restore(source, database)
    return backup_postgres.restore(engine, source, pg_bin)
