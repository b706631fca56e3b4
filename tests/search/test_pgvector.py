"""Semantic search inside PostgreSQL with pgvector: vectors and their HNSW index in the
database, the same answers as the index-file path, no file on any web server."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import html as lxml_html
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from paperfeed.config import Settings
from paperfeed.demo.builder import load_papers, to_record
from paperfeed.ingest.upsert import upsert_records
from paperfeed.search import embedding_store as store
from paperfeed.search import vector_table as vt
from paperfeed.search.embedder import storage_key
from paperfeed.search.indexing import index_missing
from paperfeed.search.semantic import semantic_search
from paperfeed.search.similar import similar_for_page
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine
from paperfeed.storage.models import Paper, PaperEmbedding
from paperfeed.web.app import create_app
from tests.search import pgvector_db
from tests.search.semantic_fixtures import archive, load_demo, paper_by_title, settings_for

# The pgvector database fixtures, used by name.
_pgvector_template = pgvector_db._pgvector_template
pgvector_engine = pgvector_db.pgvector_engine

QUERIES = [
    "black holes and gravitational physics",
    "graph neural networks for molecules",
    "quantum error correction",
    "image segmentation with transformers",
    "galaxy formation and dark matter",
    "reinforcement learning for robots",
]


def _key(settings: Settings) -> str:
    return storage_key(settings.embedding_model)


def _rows(engine: Engine, settings: Settings) -> int:
    with engine.connect() as conn:
        return int(conn.execute(
            text(f"SELECT count(*) FROM {vt.table_name(_key(settings))}")).scalar_one())


def _files(settings: Settings) -> list[Path]:
    vectors = Path(settings.data_dir) / "vectors"
    return sorted(vectors.iterdir()) if vectors.exists() else []


def _arxiv_ids(engine: Engine, hits: list[tuple[int, float]]) -> list[str]:
    with Session(engine) as s:
        by_id = dict(s.execute(select(Paper.id, Paper.arxiv_id)).tuples().all())
    return [by_id[pid] for pid, _ in hits]


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'file-path.db'}")
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def indexed(pgvector_engine: Engine, tmp_path: Path) -> tuple[Engine, Settings, int]:
    """The demo papers, their vectors stored, then `paperfeed index` (nothing to embed: it
    creates the vector table and its HNSW index from the stored vectors)."""
    n = pgvector_db.demo_count(pgvector_engine)
    settings = settings_for(pgvector_engine, tmp_path / "a")
    assert index_missing(pgvector_engine, settings) == 0
    return pgvector_engine, settings, n


def test_vectors_live_in_the_database_not_in_a_file(
    indexed: tuple[Engine, Settings, int],
) -> None:
    engine, settings, n = indexed
    assert _rows(engine, settings) == n
    with engine.connect() as conn:
        record = store.recorded_index(conn, _key(settings))
        indexdef = conn.execute(text(
            "SELECT indexdef FROM pg_indexes WHERE tablename = :t AND indexdef LIKE '%hnsw%'"
        ), {"t": vt.table_name(_key(settings))}).scalar_one()
    assert record is not None and record.backend == "pgvector" and record.count == n
    assert "vector_cosine_ops" in indexdef
    assert _files(settings) == []
    hits = semantic_search(engine, settings, "black holes and gravitational physics", 5)
    assert len(hits) == 5 and hits[0][1] >= hits[-1][1]
    assert _files(settings) == []


def test_pgvector_and_file_paths_give_the_same_top_results(
    indexed: tuple[Engine, Settings, int], sqlite_engine: Engine, tmp_path: Path,
) -> None:
    engine, settings, _ = indexed
    load_demo(sqlite_engine)
    file_settings = settings_for(sqlite_engine, tmp_path / "file")
    index_missing(sqlite_engine, file_settings)
    assert _files(file_settings)  # the file path really was taken there
    for query in QUERIES:
        in_db = _arxiv_ids(engine, semantic_search(engine, settings, query, 10))
        in_file = _arxiv_ids(
            sqlite_engine, semantic_search(sqlite_engine, file_settings, query, 10))
        assert in_db[:3] == in_file[:3], query
        assert len(set(in_db) & set(in_file)) >= 9, query


def test_index_run_twice_stores_nothing_twice(indexed: tuple[Engine, Settings, int]) -> None:
    engine, settings, n = indexed
    assert index_missing(engine, settings) == 0
    assert _rows(engine, settings) == n
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(PaperEmbedding)) == n


def test_changed_text_is_embedded_again_and_its_row_updated(
    indexed: tuple[Engine, Settings, int],
) -> None:
    engine, settings, n = indexed
    table = vt.table_name(_key(settings))
    with Session(engine) as s:
        paper = s.scalars(select(Paper).order_by(Paper.id)).first()
        assert paper is not None
        pid = paper.id
        before = s.execute(text(f"SELECT content_hash, embedding::text FROM {table}"
                                " WHERE paper_id = :p"), {"p": pid}).one()
        paper.title = "Coral reef bleaching under ocean warming"
        paper.abstract = "Marine biology: corals, reefs, sea temperature and bleaching events."
        s.commit()
    assert index_missing(engine, settings) == 1
    with Session(engine) as s:
        after = s.execute(text(f"SELECT content_hash, embedding::text FROM {table}"
                               " WHERE paper_id = :p"), {"p": pid}).one()
    assert after[0] != before[0] and after[1] != before[1]
    assert _rows(engine, settings) == n
    assert semantic_search(engine, settings, "coral reefs and ocean temperature", 1)[0][0] == pid


def test_new_and_deleted_papers(indexed: tuple[Engine, Settings, int]) -> None:
    engine, settings, n = indexed
    new = dataclasses.replace(
        to_record(load_papers()[0]), id="2411.99999",
        title="Tokamak plasma confinement with stellarators",
        abstract="Magnetic confinement fusion: tokamak and stellarator plasma stability.",
    )
    upsert_records(engine, [new])
    assert index_missing(engine, settings) == 1
    hits = semantic_search(engine, settings, "nuclear fusion plasma in a tokamak", 3)
    with Session(engine) as s:
        paper = s.scalars(select(Paper).where(Paper.arxiv_id == "2411.99999")).one()
        assert hits[0][0] == paper.id
        s.delete(paper)
        s.commit()
    assert _rows(engine, settings) == n  # its vector went with it, before any index run
    hits = semantic_search(engine, settings, "nuclear fusion plasma in a tokamak", 3)
    assert paper.id not in [pid for pid, _ in hits] and len(hits) == 3


def test_similar_papers_come_from_the_database(
    indexed: tuple[Engine, Settings, int], sqlite_engine: Engine, tmp_path: Path,
) -> None:
    engine, settings, _ = indexed
    load_demo(sqlite_engine)
    index_missing(sqlite_engine, settings_for(sqlite_engine, tmp_path / "file"))
    with Session(engine) as session, Session(sqlite_engine) as other:
        black_hole = paper_by_title(session, "extremal black holes")
        near = similar_for_page(session, black_hole, limit=6)
        assert len(near) == 6 and black_hole.id not in [p.id for p in near]
        assert archive(near[0]) in {"gr-qc", "hep-th", "astro-ph", "math-ph", "hep-ph"}
        in_file = similar_for_page(other, paper_by_title(other, "extremal black holes"), 6)
        assert [p.arxiv_id for p in near[:3]] == [p.arxiv_id for p in in_file[:3]]
        assert similar_for_page(session, black_hole, limit=0) == []
        assert len(similar_for_page(session, black_hole, limit=10_000)) == 50
    assert _files(settings) == []


def _result_links(page: str) -> list[str]:
    doc = lxml_html.fromstring(page)
    return [a.get("href") for a in doc.xpath("//article[contains(@class,'search-result')]//h3/a")]


def test_two_web_servers_share_the_database_index_and_need_no_file(
    indexed: tuple[Engine, Settings, int], tmp_path: Path,
) -> None:
    engine, indexing_settings, _ = indexed
    url = engine.url.render_as_string(hide_password=False)
    answers = []
    for machine in ("web1", "web2"):
        settings = Settings(database_url=url, data_dir=tmp_path / machine)
        with TestClient(create_app(settings)) as client:
            r = client.get("/search", params={"q": "black holes and gravity", "mode": "semantic"})
            assert r.status_code == 200 and "unavailable" not in r.text
            links = _result_links(r.text)
            assert links
            page = client.get(links[0])
            assert page.status_code == 200 and 'id="similar-h"' in page.text
            answers.append(links)
        assert _files(settings) == []
    assert answers[0] == answers[1]
    assert _files(indexing_settings) == []


def test_paperfeed_index_says_where_the_index_is_and_stores_nothing_twice(
    pgvector_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from paperfeed.cli import app

    n = pgvector_db.demo_count(pgvector_engine)
    monkeypatch.setenv(
        "PAPERFEED_DATABASE_URL", pgvector_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(tmp_path / "data"))
    settings = settings_for(pgvector_engine, tmp_path)
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(app, ["index"])
        assert result.exit_code == 0, result.output
        assert "embedded 0 papers" in result.output
        assert f"in the database: pgvector table {vt.table_name(_key(settings))}" in result.output
        assert _rows(pgvector_engine, settings) == n
    rebuilt = runner.invoke(app, ["index", "--rebuild"])
    assert rebuilt.exit_code == 0 and f"embedded {n} papers" in rebuilt.output
    assert _rows(pgvector_engine, settings) == n
    assert _files(settings) == []
