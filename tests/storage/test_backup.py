"""`paperfeed db backup` and `db restore` on SQLite and PostgreSQL: a backup restores to
the same site, even one taken while an import writes; restore refuses what it cannot
use (truncated, foreign, the other engine's, a newer schema) and a database that holds
data unless --force, leaving the database untouched; a backup that dies leaves no FILE;
a missing pg_dump is a clear one-line error."""

from __future__ import annotations

import gzip
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from benchmarks.synth import generate
from click.testing import Result
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine
from paperfeed.storage.models import User, Vote
from paperfeed.storage.pg_client import PgTool, check_server_version, parse_version
from tests.ingest.helpers import assert_same_content, content, count, dump, only_papers
from tests.search import pgvector_db

_pgvector_template = pgvector_db._pgvector_template
pgvector_engine = pgvector_db.pgvector_engine

FIXTURES = Path(__file__).parents[1] / "fixtures"
SNAPSHOT = FIXTURES / "kaggle_arxiv-metadata-oai-snapshot_head200.jsonl"
runner = CliRunner()


def cli(url: str, *args: str, env: dict[str, str] | None = None) -> Result:
    """Run `paperfeed ARGS` in this process against the database at `url`."""
    return runner.invoke(app, list(args), env={"PAPERFEED_DATABASE_URL": url, **(env or {})})


def site(engine: Engine) -> dict[str, Any]:
    """Everything a user would miss: papers, versions, daily lists (row for row, ids and
    times included), accounts and votes."""
    with engine.connect() as conn:
        users = [tuple(r) for r in conn.execute(text(
            "SELECT username, role, email, created_at FROM users ORDER BY username"))]
        votes = [tuple(r) for r in conn.execute(text(
            "SELECT u.username, p.arxiv_id FROM votes v JOIN users u ON u.id = v.user_id "
            "JOIN papers p ON p.id = v.paper_id ORDER BY 1, 2"))]
    return {**dump(engine), "users": users, "votes": votes}


def seed(url: str) -> Engine:
    """A migrated database with 200 papers, three accounts and their votes."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    result = cli(url, "import", str(SNAPSHOT), "--quiet")
    assert result.exit_code == 0, result.output
    with engine.begin() as conn:
        ids = list(conn.execute(text("SELECT id FROM papers ORDER BY id LIMIT 3")).scalars())
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        users = [User(username=f"reader{i}", email=f"r{i}@example.org") for i in range(3)]
        users[0].role = "admin"
        session.add_all(users)
        session.flush()
        session.add_all(Vote(user_id=u.id, paper_id=p) for u in users for p in ids[: u.id])
        session.commit()
    return engine


def backup_file(url: str, path: Path) -> Path:
    result = cli(url, "db", "backup", str(path))
    assert result.exit_code == 0, result.output
    return path


def test_backup_then_restore_gives_the_same_site(
    db_url: str, second_db_url: str, tmp_path: Path
) -> None:
    engine = seed(db_url)
    before = site(engine)
    assert len(before["papers"]) == 200 and len(before["votes"]) == 6

    result = cli(db_url, "db", "backup", str(tmp_path / "site.backup"))
    assert result.exit_code == 0, result.output
    assert "200 papers, 3 users" in result.output
    assert f"schema {migrate.head_revision()}" in result.output
    assert os.listdir(tmp_path).count("site.backup") == 1
    assert not (tmp_path / "site.backup.partial").exists()

    # Into an empty database (no schema at all): the same site, row for row.
    result = cli(second_db_url, "db", "restore", str(tmp_path / "site.backup"))
    assert result.exit_code == 0, result.output
    assert "200 papers, 3 users" in result.output
    restored = make_engine(second_db_url)
    assert site(restored) == before
    assert migrate.is_up_to_date(restored)
    # The restored database works: new rows get fresh ids (sequences came along).
    with restored.begin() as conn:
        conn.execute(text("INSERT INTO users (username, username_key, role, is_banned,"
                          " is_demo, show_upvotes, created_at) VALUES ('late', 'late',"
                          " 'user', false, false, false, CURRENT_TIMESTAMP)"))
    if restored.dialect.name == "sqlite":
        with restored.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    restored.dispose()
    engine.dispose()


def test_backup_refuses_to_overwrite_unless_forced(db_url: str, tmp_path: Path) -> None:
    seed(db_url).dispose()
    target = tmp_path / "b"
    target.write_bytes(b"an older backup")
    result = cli(db_url, "db", "backup", str(target))
    assert result.exit_code == 1
    assert "already exists" in result.output and "--force" in result.output
    assert target.read_bytes() == b"an older backup"
    result = cli(db_url, "db", "backup", str(target), "--force")
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 1000
    missing = cli(db_url, "db", "backup", str(tmp_path / "no" / "such" / "dir" / "b"))
    assert missing.exit_code == 1 and "does not exist" in missing.output


def test_a_backup_that_dies_leaves_no_file(db_url: str, tmp_path: Path) -> None:
    """The backup process (and pg_dump, its child) may write 64 KB in all: it dies part
    way (SIGXFSZ, as if killed), and FILE never appears; an older FILE stays whole."""
    seed(db_url).dispose()
    old = tmp_path / "older.backup"
    backup_file(db_url, old)
    for name in ("fresh.backup", "older.backup"):
        before = (tmp_path / name).read_bytes() if (tmp_path / name).exists() else None

        def limit() -> None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

        done = subprocess.run(
            [sys.executable, "-m", "paperfeed", "db", "backup", str(tmp_path / name), "--force"],
            env={**os.environ, "PAPERFEED_DATABASE_URL": db_url}, preexec_fn=limit,
            capture_output=True, text=True, timeout=300, check=False,
        )
        assert done.returncode in (1, -signal.SIGXFSZ), done.stderr
        after = (tmp_path / name).read_bytes() if (tmp_path / name).exists() else None
        assert after == before
    # And a later backup goes through (a leftover FILE.partial is no obstacle).
    backup_file(db_url, tmp_path / "fresh.backup")


SYNTH_N, SYNTH_BATCH = 5_000, 250


def test_a_backup_taken_while_an_import_writes_restores_consistently(
    engine: Engine, db_url: str, second_db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "snapshot.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=1) as out:
        for rec in generate(SYNTH_N, seed=11):
            out.write(orjson.dumps(rec) + b"\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "paperfeed", "import", str(path), "--quiet",
         "--batch-size", str(SYNTH_BATCH)],
        env={**os.environ, "PAPERFEED_DATABASE_URL": db_url},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 600  # a guard against a hang, not a speed test
        while count(engine, "SELECT count(*) FROM papers") < 2 * SYNTH_BATCH:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "import made no progress"
            time.sleep(0.02)
        backup = backup_file(db_url, tmp_path / "during.backup")
        _out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err.decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    result = cli(second_db_url, "db", "restore", str(backup))
    assert result.exit_code == 0, result.output
    restored = make_engine(second_db_url)
    papers = count(restored, "SELECT count(*) FROM papers")
    assert f"{papers:,} papers" in result.output
    assert 2 * SYNTH_BATCH <= papers <= SYNTH_N
    assert papers % SYNTH_BATCH == 0  # whole import transactions, none half-copied
    # Every paper restored is exactly as the import wrote it, with all its versions.
    with restored.connect() as conn:
        there = set(conn.execute(text("SELECT arxiv_id FROM papers")).scalars())
    assert_same_content(content(restored), only_papers(content(engine), there))
    assert count(restored, "SELECT count(*) FROM papers p WHERE NOT EXISTS (SELECT 1 FROM"
                 " paper_versions v WHERE v.paper_id = p.id)") == 0
    if restored.dialect.name == "sqlite":
        with restored.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            # The keyword index matches the papers table.
            conn.exec_driver_sql("INSERT INTO papers_fts(papers_fts) VALUES ('integrity-check')")
    restored.dispose()


def _truncated(source: Path, dest: Path) -> Path:
    data = source.read_bytes()
    dest.write_bytes(data[: len(data) * 2 // 3])
    return dest


def test_restore_refuses_damaged_and_foreign_files_and_touches_nothing(
    db_url: str, second_db_url: str, tmp_path: Path
) -> None:
    seed(db_url).dispose()
    good = backup_file(db_url, tmp_path / "good.backup")

    other_app = tmp_path / "notes.sqlite"
    with sqlite3.connect(other_app) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('not papers')")
    random_bytes = tmp_path / "random.bin"
    random_bytes.write_bytes(os.urandom(20_000))
    empty = tmp_path / "empty.backup"
    empty.write_bytes(b"")
    cases = {
        _truncated(good, tmp_path / "truncated.backup"): "truncated",
        random_bytes: "not a paperfeed backup",
        empty: "is empty",
        other_app: "not a paperfeed backup",
        tmp_path / "missing.backup": "not found",
    }
    target = make_engine(second_db_url)
    for path, message in cases.items():
        result = cli(second_db_url, "db", "restore", str(path))
        assert result.exit_code == 1, (path, result.output)
        assert message in result.output, (path, result.output)
        assert "Traceback" not in result.output
        assert set(inspect(target).get_table_names()) == set(), path
    # Nor is there anything to back up in a database without paperfeed's schema.
    result = cli(second_db_url, "db", "backup", str(tmp_path / "nothing.backup"))
    assert result.exit_code == 1 and "no paperfeed schema" in result.output
    assert not list(tmp_path.glob("nothing.backup*"))
    target.dispose()


def test_restore_refuses_a_dump_of_a_database_that_is_not_paperfeed(
    pg_url: str, tmp_path: Path
) -> None:
    other = make_engine(pg_url)
    with other.begin() as conn:
        conn.execute(text("CREATE TABLE papers (id int primary key)"))
        conn.execute(text("CREATE TABLE orders (id int primary key, total numeric)"))
    other.dispose()
    dump_file = tmp_path / "other.dump"
    url = make_url(pg_url)
    done = subprocess.run(
        ["pg_dump", "--format=custom", f"--file={dump_file}", "--no-password"],
        env={**os.environ, "PGHOST": url.host or "", "PGPORT": str(url.port or 5432),
             "PGUSER": url.username or "", "PGDATABASE": url.database or ""},
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    with _pg_database(pg_url) as target_url:
        result = cli(target_url, "db", "restore", str(dump_file))
        assert result.exit_code == 1, result.output
        assert "not of a paperfeed database" in result.output
        target = make_engine(target_url)
        assert inspect(target).get_table_names() == []
        target.dispose()


def test_restore_refuses_a_database_with_data_unless_forced(
    db_url: str, second_db_url: str, tmp_path: Path
) -> None:
    seed(db_url).dispose()
    backup = backup_file(db_url, tmp_path / "site.backup")
    target = make_engine(second_db_url)
    migrate.upgrade(target)
    with target.begin() as conn:
        conn.execute(text("INSERT INTO users (username, username_key, role, is_banned, is_demo,"
                          " show_upvotes, created_at) VALUES ('only-me', 'only-me', 'admin',"
                          " false, false, false, CURRENT_TIMESTAMP)"))
    result = cli(second_db_url, "db", "restore", str(backup))
    assert result.exit_code == 1
    assert "already holds 0 papers and 1 users" in result.output and "--force" in result.output
    assert count(target, "SELECT count(*) FROM users") == 1
    assert count(target, "SELECT count(*) FROM papers") == 0

    result = cli(second_db_url, "db", "restore", str(backup), "--force")
    assert result.exit_code == 0, result.output
    target.dispose()
    source = make_engine(db_url)
    assert site(target) == site(source)
    assert count(target, "SELECT count(*) FROM users WHERE username = 'only-me'") == 0
    source.dispose()
    target.dispose()


def test_restore_of_an_older_schema_says_to_upgrade_and_a_newer_one_is_refused(
    db_url: str, second_db_url: str, tmp_path: Path
) -> None:
    revisions = migrate.known_revisions()
    older = revisions[-2]
    engine = make_engine(db_url)
    migrate.upgrade(engine, older)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO papers (arxiv_id, version, title, abstract, authors, categories,"
            " withdrawn, links, vote_count, upstream_upvotes, comment_count, created_at,"
            " modified_at) VALUES ('2401.00001', 1, 'Kept', 'a', '[]', '[]', false, '{}',"
            " 0, 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
    backup = backup_file(db_url, tmp_path / "old.backup")

    result = cli(second_db_url, "db", "restore", str(backup))
    assert result.exit_code == 0, result.output
    assert f"schema {older}" in result.output and "paperfeed db upgrade" in result.output
    assert cli(second_db_url, "db", "upgrade").exit_code == 0
    restored = make_engine(second_db_url)
    assert migrate.is_up_to_date(restored)
    assert count(restored, "SELECT count(*) FROM papers WHERE title = 'Kept'") == 1

    # A backup from a paperfeed with a revision this code does not know is refused.
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    newer = backup_file(db_url, tmp_path / "newer.backup")
    result = cli(second_db_url, "db", "restore", str(newer), "--force")
    assert result.exit_code == 1
    assert "9999" in result.output and "newer paperfeed" in result.output
    assert migrate.is_up_to_date(restored)  # untouched
    restored.dispose()
    engine.dispose()


@pytest.fixture
def both(sqlite_url: str, pg_url: str) -> tuple[str, str]:
    return sqlite_url, pg_url


def test_restore_refuses_the_other_engines_backup(both: tuple[str, str], tmp_path: Path
                                                  ) -> None:
    sqlite_url, pg_url = both
    seed(sqlite_url).dispose()
    seed(pg_url).dispose()
    sqlite_backup = backup_file(sqlite_url, tmp_path / "sqlite.backup")
    pg_backup = backup_file(pg_url, tmp_path / "pg.backup")
    with _pg_database(pg_url) as empty_pg:
        result = cli(empty_pg, "db", "restore", str(sqlite_backup))
        assert result.exit_code == 1
        assert "is a SQLite backup" in result.output and "sqlite:///" in result.output
    empty_sqlite = f"sqlite:///{tmp_path / 'empty.db'}"
    result = cli(empty_sqlite, "db", "restore", str(pg_backup))
    assert result.exit_code == 1
    assert "is a PostgreSQL backup" in result.output and "postgresql+psycopg://" in result.output
    assert inspect(make_engine(empty_sqlite)).get_table_names() == []


def test_postgresql_backup_without_pg_dump_says_how_to_get_it(
    pg_url: str, tmp_path: Path
) -> None:
    seed(pg_url).dispose()
    nothing = tmp_path / "no-client"
    nothing.mkdir()
    result = cli(pg_url, "db", "backup", str(tmp_path / "b.dump"),
                 env={"PAPERFEED_PG_BIN": str(nothing)})
    assert result.exit_code == 1
    assert "pg_dump is not installed" in result.output
    assert "postgresql-client" in result.output and "PAPERFEED_PG_BIN" in result.output
    assert len(result.output.strip().splitlines()) <= 3  # one message, wrapped at most
    assert not list(tmp_path.glob("b.dump*"))

    backup = backup_file(pg_url, tmp_path / "site.dump")
    with _pg_database(pg_url) as target:
        result = cli(target, "db", "restore", str(backup), env={"PAPERFEED_PG_BIN": str(nothing)})
        assert result.exit_code == 1 and "pg_restore is not installed" in result.output


def test_client_and_server_versions() -> None:
    assert parse_version("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)") == (15, 18)
    assert parse_version("pg_dump (PostgreSQL) 9.6.24") == (9, 6)
    assert parse_version("something else") is None
    tool = PgTool(Path("/usr/lib/postgresql/15/bin/pg_dump"), (15, 18))
    check_server_version(tool, 150018)
    check_server_version(tool, 140005)
    from paperfeed.storage.backup_types import BackupError

    with pytest.raises(BackupError, match=r"runs PostgreSQL 17 but .* is version 15"):
        check_server_version(tool, 170002)


class _pg_database:
    """Another empty PostgreSQL database on the server of `url`, dropped afterwards."""

    def __init__(self, url: str) -> None:
        self.admin = make_url(url).set(database="postgres")
        self.name = f"pf_{uuid.uuid4().hex[:12]}"

    def __enter__(self) -> str:
        admin = create_engine(self.admin, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        admin.dispose()
        return self.admin.set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *exc: object) -> None:
        admin = create_engine(self.admin, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        admin.dispose()


def test_libpq_environment_carries_the_password_not_the_command_line() -> None:
    from paperfeed.storage.pg_client import libpq_env

    env = libpq_env(make_url("postgresql+psycopg://site:s3cr%40t@db.example:5433/papers"
                             "?sslmode=require"))
    assert env["PGPASSWORD"] == "s3cr@t" and env["PGUSER"] == "site"
    assert env["PGHOST"] == "db.example" and env["PGPORT"] == "5433"
    assert env["PGDATABASE"] == "papers" and env["PGSSLMODE"] == "require"


def _system_pg_bin() -> Path | None:
    """The newest /usr/lib/postgresql/*/bin, if any."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                   key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return found[-1] if found else None


def test_a_server_newer_than_pg_dump_is_named_and_a_matching_client_works(
    pgvector_engine: Engine, tmp_path: Path
) -> None:
    """The pgvector server is PostgreSQL 16: the system's older pg_dump is refused with
    both versions named; PAPERFEED_PG_BIN pointing at a 16 client backs up and restores
    it, the vector table and its HNSW index included."""
    import importlib.util

    demo_count = pgvector_db.demo_count
    url = pgvector_engine.url.render_as_string(hide_password=False)
    assert cli(url, "index").exit_code == 0
    with pgvector_engine.connect() as conn:
        server = int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    system = _system_pg_bin()
    system_version = parse_version(subprocess.run(
        [str(system / "pg_dump"), "--version"], capture_output=True, text=True, check=False
    ).stdout) if system else None
    if system and system_version and system_version[0] < server:
        result = cli(url, "db", "backup", str(tmp_path / "old-client.dump"),
                     env={"PAPERFEED_PG_BIN": str(system)})
        assert result.exit_code == 1
        assert f"runs PostgreSQL {server} but" in result.output
        assert f"is version {system_version[0]}" in result.output
        assert not list(tmp_path.glob("old-client.dump*"))

    spec = importlib.util.find_spec("pgserver")
    assert spec is not None and spec.submodule_search_locations
    client = str(Path(spec.submodule_search_locations[0]) / "pginstall" / "bin")
    backup = tmp_path / "site.dump"
    result = cli(url, "db", "backup", str(backup), env={"PAPERFEED_PG_BIN": client})
    assert result.exit_code == 0, result.output
    with _pg_database(url) as target:
        result = cli(target, "db", "restore", str(backup), env={"PAPERFEED_PG_BIN": client})
        assert result.exit_code == 0, result.output
        restored = make_engine(target)
        assert demo_count(restored) == demo_count(pgvector_engine)
        with restored.connect() as conn, pgvector_engine.connect() as source:
            tables = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            indexes = "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
            assert conn.execute(text(tables)).all() == source.execute(text(tables)).all()
            assert conn.execute(text(indexes)).all() == source.execute(text(indexes)).all()
        restored.dispose()
