"""Fresh databases on the test PostgreSQL server that has pgvector.

`make test` runs a second PostgreSQL (pgserver's bundled 16 + pgvector) and exports its URL
as PAPERFEED_TEST_PGVECTOR_URL; with PAPERFEED_REQUIRE_PG=1 a missing server fails the run.
The demo papers and their stored vectors are built once per test process into a template
database that each test copies (``CREATE DATABASE … TEMPLATE``); the vector table and its
HNSW index are not in the template, so every test's `paperfeed index` builds them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from paperfeed.config import Settings
from paperfeed.search import embedding_store as store
from paperfeed.search.embedder import content_hash, get_embedder, paper_text
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine, write_session
from paperfeed.storage.models import utcnow
from tests.conftest import REQUIRE_PG
from tests.search.semantic_fixtures import load_demo

PGVECTOR_URL = os.environ.get("PAPERFEED_TEST_PGVECTOR_URL")


def _admin() -> Engine:
    if not PGVECTOR_URL:
        if REQUIRE_PG:
            pytest.fail("PAPERFEED_TEST_PGVECTOR_URL is not set but PostgreSQL is required")
        pytest.skip("no PostgreSQL server with pgvector (run through `make test`)")
    return create_engine(PGVECTOR_URL, isolation_level="AUTOCOMMIT")


def _url(name: str) -> str:
    assert PGVECTOR_URL
    return make_url(PGVECTOR_URL).set(database=name).render_as_string(hide_password=False)


def _embed_demo(engine: Engine) -> None:
    """Store every demo paper's vector (what `paperfeed index` embeds), nothing else."""
    embedder = get_embedder(Settings().embedding_model)
    with engine.connect() as conn:
        papers = store.paper_texts(conn, store.pending_ids(conn, embedder.key))
    bodies = [paper_text(title, abstract) for _, title, abstract in papers]
    vectors = embedder.encode(bodies)
    rows = [(pid, content_hash(body), vectors[i])
            for i, ((pid, _, _), body) in enumerate(zip(papers, bodies, strict=True))]
    with write_session(engine) as session:
        store.write_vectors(session.connection(), embedder.key, rows, utcnow())


@pytest.fixture(scope="session")
def _pgvector_template() -> Iterator[str]:
    admin = _admin()
    name = f"pf_vectpl_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    eng = make_engine(_url(name))
    try:
        migrate.upgrade(eng)
        load_demo(eng)
        _embed_demo(eng)
        eng.dispose()
        yield name
    finally:
        eng.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pgvector_engine(_pgvector_template: str) -> Iterator[Engine]:
    """A database on a PostgreSQL server with the vector extension available, holding
    the demo papers and their stored vectors (no vector table yet)."""
    admin = _admin()
    name = f"pf_vec_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{_pgvector_template}"'))
    eng = make_engine(_url(name))
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def demo_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM papers")).scalar_one())


