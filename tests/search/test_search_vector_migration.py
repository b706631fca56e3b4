"""Migration 0007 (PostgreSQL: the search vector written by paperfeed, accents folded):
existing papers stay searchable through upgrade and downgrade, papers written through the
ORM get their vector, and `paperfeed index` fills in any paper left without one."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.search import keyword
from paperfeed.search.query import parse
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine
from paperfeed.storage.models import Paper

INSERT = text(
    "INSERT INTO papers (arxiv_id, version, title, abstract, authors, categories,"
    " withdrawn, links, vote_count, upstream_upvotes, comment_count, created_at,"
    " modified_at) VALUES (:aid, 1, :title, :abstract, :authors, '[]', false, '{}',"
    " 0, 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)
ROWS = [
    {"aid": "2401.00001", "title": "Sparse autoencoders",
     "authors": '["J\\u00fcrgen M\\u00fcller"]',
     "abstract": "Dictionary features of the language models."},
    {"aid": "2401.00002", "title": "Graph networks", "authors": '["Ada Lovelace"]',
     "abstract": "Message passing for state of the art molecules."},
]


def found(engine: Engine, query: str) -> list[str]:
    """arXiv ids keyword search returns for `query`, sorted."""
    with engine.connect() as conn:
        hits = keyword.search(conn, parse(query), limit=50).hits
        ids = [h.paper_id for h in hits]
        if not ids:
            return []
        sql = f"SELECT arxiv_id FROM papers WHERE id IN ({','.join(map(str, ids))})"
        rows = conn.execute(text(sql))
        return sorted(r[0] for r in rows)


def generated(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(text(
            "SELECT is_generated = 'ALWAYS' FROM information_schema.columns"
            " WHERE table_name = 'papers' AND column_name = 'search_vector'"
        )).scalar_one())


def test_upgrade_keeps_existing_papers_searchable_and_downgrade_restores(pg_url: str) -> None:
    engine = make_engine(pg_url)
    migrate.upgrade(engine, "0006")
    with engine.begin() as conn:
        for row in ROWS:
            conn.execute(INSERT, row)
    assert generated(engine)
    migrate.upgrade(engine)
    assert not generated(engine)
    # Accents folded both ways; stems; stop words kept inside phrases.
    assert found(engine, "Müller") == ["2401.00001"]
    assert found(engine, "muller") == ["2401.00001"]
    assert found(engine, "author:jurgen") == ["2401.00001"]
    assert found(engine, "feature") == ["2401.00001"]
    assert found(engine, '"state of the art"') == ["2401.00002"]
    assert found(engine, '"of the language"') == ["2401.00001"]
    assert found(engine, "graph -message") == []
    migrate.downgrade(engine, "0006")
    assert generated(engine)
    with engine.connect() as conn:
        n = conn.execute(text(
            "SELECT count(*) FROM papers WHERE search_vector @@ plainto_tsquery('english', 'graph')"
        )).scalar_one()
    assert n == 1
    migrate.upgrade(engine)
    assert found(engine, "Müller") == ["2401.00001"]
    engine.dispose()


def test_orm_writes_carry_the_vector(engine: Engine) -> None:
    with Session(engine) as s:
        s.add(Paper(arxiv_id="2405.00010", title="Tokamak plasma control", abstract="",
                    authors=["Lise Meitner"], categories=[]))
        s.commit()
    assert found(engine, "tokamak") == ["2405.00010"]
    with Session(engine) as s:
        paper = s.query(Paper).one()
        paper.abstract = "Naïve stellarators."
        s.commit()
    assert found(engine, "naive stellarator") == ["2405.00010"]
    with Session(engine) as s:
        s.query(Paper).one().vote_count = 3  # not the text: the vector stays
        s.commit()
    assert found(engine, "tokamak") == ["2405.00010"]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_index_fills_papers_left_without_a_vector(
    engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A writer that does not know about the vector (raw SQL, an old importer).
    with engine.begin() as conn:
        for row in ROWS:
            conn.execute(INSERT, row)
    assert found(engine, "graph") == []
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", db_url)
    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(app, ["index", "--quiet"])
    assert result.exit_code == 0, result.output
    assert found(engine, "graph") == ["2401.00002"]
    assert found(engine, "muller") == ["2401.00001"]
