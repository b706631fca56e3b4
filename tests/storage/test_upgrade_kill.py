"""`kill -9` in the middle of `paperfeed db upgrade`: the schema is at a revision, never
between two, and a rerun reaches the latest one with the data kept; on both databases.

A database at 0003 with papers, users and votes is upgraded by a `paperfeed db upgrade`
process that SIGKILLs itself at chosen SQL statements (tests/storage/upgrade_killer.py):
inside a migration, right after a migration stamped its new revision but before the
commit, and right after a commit. After each kill the schema must be exactly that of a
clean upgrade to the revision alembic_version names.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine

ROOT = Path(__file__).resolve().parents[2]
START = "0003"
PAPERS, USERS = 120, 30


def _seed(engine: Engine) -> None:
    """Rows in the tables the later migrations rewrite (schema of revision 0003)."""
    with engine.begin() as conn:
        for i in range(PAPERS):
            conn.execute(text(
                "INSERT INTO papers (arxiv_id, version, title, abstract, authors, categories,"
                " arxiv_comment, withdrawn, links, vote_count, upstream_upvotes, comment_count,"
                " created_at, modified_at) VALUES (:a, 1, :t, 'an abstract', '[\"A. Author\"]',"
                " '[\"cs.LG\"]', '3 pages', false, '{}', 0, 0, 0, CURRENT_TIMESTAMP,"
                " CURRENT_TIMESTAMP)"), {"a": f"2401.{i:05d}", "t": f"Paper {i}"})
        for u in range(USERS):
            conn.execute(text(
                "INSERT INTO users (username, is_admin, is_banned, created_at) VALUES"
                " (:n, :admin, false, CURRENT_TIMESTAMP)"),
                {"n": f"demo-user{u}" if u % 2 else f"User{u}", "admin": u == 0})
        conn.execute(text(
            "INSERT INTO votes (user_id, paper_id, created_at) SELECT u.id, p.id,"
            " CURRENT_TIMESTAMP FROM users u, papers p WHERE p.id <= 5"))


def _schema(engine: Engine) -> dict[str, tuple[list[str], list[str]]]:
    """Each table's columns and index names."""
    insp = inspect(engine)
    return {
        table: (
            sorted(c["name"] for c in insp.get_columns(table)),
            sorted(str(i["name"]) for i in insp.get_indexes(table)),
        )
        for table in insp.get_table_names()
    }


class Site:
    """Fresh databases of one backend: a seeded one at START to copy, and references."""

    def __init__(self, backend: str, tmp: Path, pg_admin_url: str | None) -> None:
        self.backend, self.tmp, self.admin_url = backend, tmp, pg_admin_url
        self.made: list[str] = []

    def new_url(self, template: str | None = None) -> str:
        if self.backend == "sqlite":
            path = self.tmp / f"{uuid.uuid4().hex[:8]}.db"
            if template:
                shutil.copyfile(make_url(template).database or "", path)
            return f"sqlite:///{path}"
        assert self.admin_url
        name = f"pf_kill_{uuid.uuid4().hex[:10]}"
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            clause = f' TEMPLATE "{make_url(template).database}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        admin.dispose()
        self.made.append(name)
        return make_url(self.admin_url).set(database=name).render_as_string(False)

    def drop_all(self) -> None:
        if not self.made:
            return
        admin = create_engine(self.admin_url or "", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    admin = None
    if request.param == "postgresql":
        admin = os.environ.get("PAPERFEED_TEST_PG_URL")
        if not admin:
            if os.environ.get("PAPERFEED_REQUIRE_PG") == "1":
                pytest.fail("PAPERFEED_TEST_PG_URL is not set but PostgreSQL is required")
            pytest.skip("no PostgreSQL server (run through `make test`)")
    made = Site(request.param, tmp_path, admin)
    try:
        yield made
    finally:
        made.drop_all()


def _killed_upgrade(url: str, log: Path, where: str, at: int) -> int:
    """Run `paperfeed db upgrade` in a process that SIGKILLs itself at statement `at`."""
    env = {**os.environ, "PAPERFEED_DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-m", "tests.storage.upgrade_killer", str(log), where, str(at)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    return done.returncode


def _upgrade(url: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`paperfeed db upgrade` here; the SQL statements it sent, in order."""
    statements: list[str] = []

    def log(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    monkeypatch.setenv("PAPERFEED_DATABASE_URL", url)
    event.listen(Engine, "before_cursor_execute", log)
    try:
        result = CliRunner().invoke(app, ["db", "upgrade"])
    finally:
        event.remove(Engine, "before_cursor_execute", log)
    assert result.exit_code == 0, result.output
    return statements


def _kill_points(statements: list[str]) -> list[tuple[str, int]]:
    """Right after the first migration stamped its revision (not yet committed), at the
    BEGIN after its commit, and inside and at the uncommitted stamp of the last one."""
    stamps = [i for i, s in enumerate(statements, 1) if s.startswith("UPDATE alembic_version")]
    revisions = migrate.known_revisions()
    assert len(stamps) == len(revisions) - revisions.index(START) - 1 >= 2
    return [("after", stamps[0]), ("before", stamps[0] + 1),
            ("before", (stamps[-2] + stamps[-1]) // 2), ("after", stamps[-1])]


def test_kill_9_during_db_upgrade_leaves_a_whole_revision(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    revisions = migrate.known_revisions()
    base = site.new_url()
    engine = make_engine(base)
    migrate.upgrade(engine, START)
    _seed(engine)
    engine.dispose()

    # The schema of every revision from START on, from a clean upgrade of an empty database.
    reference: dict[str, dict[str, tuple[list[str], list[str]]]] = {}
    ref_engine = make_engine(site.new_url())
    for revision in revisions[revisions.index(START):]:
        migrate.upgrade(ref_engine, revision)
        reference[revision] = _schema(ref_engine)
    ref_engine.dispose()

    statements = _upgrade(site.new_url(template=base), monkeypatch)

    reached = set()
    for where, at in _kill_points(statements):
        url = site.new_url(template=base)
        log = tmp_path / f"{where}{at}.log"
        assert _killed_upgrade(url, log, where, at) == -signal.SIGKILL, (where, at)
        # The process died at the planned statement, having sent the same ones before it.
        sent = [json.loads(line) for line in log.read_text().splitlines()]
        assert sent == statements[:at], (where, at)

        engine = make_engine(url)
        revision = migrate.current_revision(engine)
        assert revision in reference, (where, at, revision)
        assert _schema(engine) == reference[revision], (where, at, revision)
        reached.add(revision)

        _upgrade(url, monkeypatch)
        assert migrate.current_revision(engine) == revisions[-1]
        assert _schema(engine) == reference[revisions[-1]]
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM papers")).scalar() == PAPERS
            assert conn.execute(text("SELECT count(*) FROM users")).scalar() == USERS
            assert conn.execute(text("SELECT count(*) FROM votes")).scalar() == USERS * 5
            admins = conn.execute(text("SELECT count(*) FROM users WHERE role = 'admin'"))
            assert admins.scalar() == 1
        engine.dispose()
    # The kills landed at three different revisions, the starting one included.
    assert START in reached and len(reached) == 3
