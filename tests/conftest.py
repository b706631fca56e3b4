"""Shared fixtures: a fresh database on SQLite and on the real PostgreSQL server.

`make test` starts PostgreSQL on loopback and sets PAPERFEED_TEST_PG_URL (and
PAPERFEED_REQUIRE_PG=1, so a missing server fails the run instead of skipping).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine, session_factory

FIXTURES = Path(__file__).parent / "fixtures"
PG_URL = os.environ.get("PAPERFEED_TEST_PG_URL")
REQUIRE_PG = os.environ.get("PAPERFEED_REQUIRE_PG") == "1"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's settings or data directory."""
    for key in list(os.environ):
        keep = key.startswith("PAPERFEED_TEST_") or key == "PAPERFEED_REQUIRE_PG"
        if key.startswith("PAPERFEED_") and not keep:
            monkeypatch.delenv(key)
    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def _pg_admin() -> Engine:
    assert PG_URL
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


@contextmanager
def _pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database; dropped afterwards."""
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("PAPERFEED_TEST_PG_URL is not set but PostgreSQL is required")
        pytest.skip("no PostgreSQL server (run through `make test`)")
    name = f"pf_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database; dropped afterwards."""
    with _pg_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database URL, once for SQLite and once for PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def second_db_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """Another empty database on the same backend as `db_url` (to compare two runs)."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'second.db'}"
        return
    with _pg_database() as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    eng = make_engine(db_url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as s:
        yield s
