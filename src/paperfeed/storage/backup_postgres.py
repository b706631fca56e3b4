"""Backups of a PostgreSQL database with pg_dump (custom format) and pg_restore.

Backup: a REPEATABLE READ transaction exports its snapshot, pg_dump dumps exactly that
snapshot (``--snapshot``), and the paper and user counts reported are read in it too;
the dump goes to FILE.partial, is listed back with ``pg_restore --list``, and is renamed
to FILE.

Restore: ``pg_restore --list`` (is it a paperfeed dump?), a full read to /dev/null
(is it whole?), the schema revision from its ``alembic_version`` data; then the
paperfeed tables already there are dropped and the dump is loaded by ``psql`` in ONE
transaction (``pg_restore --clean --if-exists --no-owner --no-privileges`` piped into
``psql --single-transaction -v ON_ERROR_STOP=1``). If pg_restore or psql fails, psql is
stopped before it can commit, so the database is left exactly as it was.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.engine import URL

from paperfeed.storage.backup_types import (
    BackupError,
    BackupSummary,
    check_revision,
    partial_path,
    publish,
)
from paperfeed.storage.models import Base
from paperfeed.storage.pg_client import (
    PgTool,
    check_server_version,
    find_tool,
    first_error,
    libpq_env,
)

TOC_TABLE = re.compile(r"^\d+;\s+\d+\s+\d+\s+TABLE\s+(\S+)\s+(\S+)\s")


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, capture_output=True, text=True, check=False)


def backup(engine: Engine, dest: Path, pg_bin: str = "") -> BackupSummary:
    """Dump the database of `engine` to `dest` (through `dest`.partial)."""
    pg_dump = find_tool("pg_dump", pg_bin)
    pg_restore = _sibling("pg_restore", pg_dump, pg_bin)
    env = libpq_env(engine.url)
    partial = partial_path(dest)
    partial.unlink(missing_ok=True)
    try:
        with engine.connect() as conn:
            check_server_version(pg_dump, int(conn.execute(
                text("SHOW server_version_num")).scalar_one()))
            conn.rollback()
            snap = conn.execution_options(isolation_level="REPEATABLE READ")
            with snap.begin():
                snapshot = str(snap.execute(text("SELECT pg_export_snapshot()")).scalar_one())
                papers, users, revision = _counts(snap)
                if not revision:
                    raise BackupError("the database has no paperfeed schema; nothing to back up")
                done = _run([str(pg_dump.path), "--format=custom", "--no-password",
                             f"--snapshot={snapshot}", f"--file={partial}"], env)
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {first_error(done.stderr)}")
        listed = _run([str(pg_restore.path), "--list", str(partial)], env)
        if listed.returncode != 0:
            raise BackupError(f"the dump cannot be read back: {first_error(listed.stderr)}")
        publish(partial, dest)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupSummary(dest, dest.stat().st_size, papers, users, revision)


def _counts(conn: Connection) -> tuple[int, int, str]:
    """Papers, users and the schema revision, as `conn` sees them."""
    tables = set(inspect(conn).get_table_names())
    if not {"alembic_version", "papers", "users"} <= tables:
        return 0, 0, ""
    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    papers = int(conn.execute(text("SELECT count(*) FROM papers")).scalar_one())
    users = int(conn.execute(text("SELECT count(*) FROM users")).scalar_one())
    return papers, users, str(revision or "")


def _sibling(name: str, tool: PgTool, pg_bin: str) -> PgTool:
    """`name` from the folder of `tool` (the same version), else the newest found."""
    program = shutil.which(name, path=str(tool.path.parent))
    return PgTool(Path(program), tool.version) if program else find_tool(name, pg_bin)


def _revision_from_copy(sql: str) -> str | None:
    """The version in ``COPY public.alembic_version ... FROM stdin;`` data, if one row."""
    rows: list[str] = []
    inside = False
    for line in sql.splitlines():
        if line.startswith("COPY ") and "alembic_version" in line:
            inside = True
        elif inside and line == "\\.":
            break
        elif inside:
            rows.append(line.strip())
    return rows[0] if len(rows) == 1 and rows[0] else None


def inspect_dump(path: Path, known: list[str], pg_bin: str, url: URL) -> str:
    """Check a pg_dump custom-format file; return its schema revision or raise."""
    pg_restore = find_tool("pg_restore", pg_bin)
    env = libpq_env(url)
    listed = _run([str(pg_restore.path), "--list", str(path)], env)
    if listed.returncode != 0:
        raise BackupError(f"{path} is truncated or not a readable pg_dump archive: "
                          f"{first_error(listed.stderr)}")
    tables = {
        (m.group(1), m.group(2)) for m in map(TOC_TABLE.match, listed.stdout.splitlines()) if m
    }
    if ("public", "alembic_version") not in tables or ("public", "papers") not in tables:
        raise BackupError(f"{path} is a PostgreSQL dump but not of a paperfeed database "
                          "(it has no paperfeed tables)")
    whole = _run([str(pg_restore.path), "--file=/dev/null", str(path)], env)
    if whole.returncode != 0:
        raise BackupError(f"{path} is truncated or damaged: {first_error(whole.stderr)}")
    data = _run([str(pg_restore.path), "--data-only", "--table=alembic_version",
                 "--file=-", str(path)], env)
    revision = _revision_from_copy(data.stdout) if data.returncode == 0 else None
    return check_revision(path, revision, known)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _drop_statement(engine: Engine, dump: Path, pg_restore: PgTool, env: dict[str, str]) -> str:
    """DROP TABLE for the paperfeed tables the database has now (those of this code, of
    the dump, and alembic_version; nothing else in the schema is touched)."""
    listed = _run([str(pg_restore.path), "--list", str(dump)], env)
    ours = {name for schema, name in (
        (m.group(1), m.group(2)) for m in map(TOC_TABLE.match, listed.stdout.splitlines()) if m
    ) if schema == "public"}
    ours |= set(Base.metadata.tables) | {"alembic_version"}
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names(schema="public"))
    doomed = sorted(present & ours)
    if not doomed:
        return ""
    return "DROP TABLE IF EXISTS " + ", ".join(f"public.{_quote(t)}" for t in doomed) + " CASCADE"


def _pump(source: IO[bytes], sink: IO[bytes]) -> bool:
    """Copy until `source` ends; False when `sink` stopped taking input."""
    while chunk := source.read(1 << 16):
        try:
            sink.write(chunk)
        except BrokenPipeError:
            return False
    return True


def restore(engine: Engine, dump: Path, pg_bin: str = "") -> BackupSummary:
    """Replace the paperfeed tables of `engine`'s database with the (already inspected)
    dump, in one transaction."""
    pg_restore = find_tool("pg_restore", pg_bin)
    psql = _sibling("psql", pg_restore, pg_bin)
    env = libpq_env(engine.url)
    drop = _drop_statement(engine, dump, pg_restore, env)
    engine.dispose()
    psql_args = [str(psql.path), "--no-psqlrc", "--quiet", "--no-password",
                 "--single-transaction", "--set=ON_ERROR_STOP=1", "--output=/dev/null"]
    if drop:
        psql_args.append(f"--command={drop}")
    psql_args.append("--file=-")
    restore_args = [str(pg_restore.path), "--clean", "--if-exists", "--no-owner",
                    "--no-privileges", "--file=-", str(dump)]
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        loader = subprocess.Popen(psql_args, env=env, stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=psql_err)
        reader = subprocess.Popen(restore_args, env=env, stdout=subprocess.PIPE,
                                  stderr=restore_err)
        assert loader.stdin is not None and reader.stdout is not None
        try:
            fed = _pump(reader.stdout, loader.stdin)
            if not fed:  # psql stopped on an error: it rolled back; stop the reader too
                reader.kill()
            read_ok = reader.wait() == 0
            if not (fed and read_ok):
                loader.kill()  # before it sees the end of its input: nothing commits
        except BaseException:
            loader.kill()
            reader.kill()
            raise
        finally:
            reader.stdout.close()
            with contextlib.suppress(BrokenPipeError):
                loader.stdin.close()
        loaded = loader.wait() == 0
        if not (loaded and read_ok and fed):
            stream = restore_err if fed and not read_ok else psql_err
            stream.seek(0)
            message = first_error(stream.read().decode("utf-8", "replace"))
            raise BackupError(f"restore failed, the database is unchanged: {message}")
    with engine.connect() as conn:
        papers, users, revision = _counts(conn)
    return BackupSummary(dump, dump.stat().st_size, papers, users, revision)
