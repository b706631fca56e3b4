"""Imports keep the keyword index in step (FTS5 on SQLite, tsvector on PostgreSQL),
including the batched path that applies the SQLite insert trigger once per batch."""

from __future__ import annotations

from sqlalchemy import Engine, text

from paperfeed.ingest.upsert import upsert_records
from paperfeed.records import PaperRecord
from paperfeed.sources.snapshot import iter_snapshot
from paperfeed.storage.engine import session_factory
from paperfeed.storage.models import Paper
from tests.conftest import FIXTURES

HEAD200 = FIXTURES / "kaggle_arxiv-metadata-oai-snapshot_head200.jsonl"


def search(engine: Engine, word: str) -> list[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = ("SELECT p.arxiv_id FROM papers_fts JOIN papers p ON p.id = papers_fts.rowid "
                   "WHERE papers_fts MATCH :q ORDER BY p.arxiv_id")
        else:
            sql = ("SELECT arxiv_id FROM papers WHERE search_vector @@ "
                   "plainto_tsquery('english', :q) ORDER BY arxiv_id")
        return [r[0] for r in conn.execute(text(sql), {"q": word})]


def records() -> list[PaperRecord]:
    with HEAD200.open("rb") as f:
        return [r for r in iter_snapshot(f, "head") if isinstance(r, PaperRecord)]


def test_imported_titles_abstracts_and_authors_are_searchable(engine: Engine) -> None:
    upsert_records(engine, records(), batch_size=60)
    assert search(engine, "diphoton")[0] == "0704.0001"
    assert "0704.0002" in search(engine, "pebble")
    assert search(engine, "Nadolsky") == ["0704.0001"]  # an author (from the JSON list)
    # Every stored paper is in the index once.
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            n = conn.execute(text("SELECT count(*) FROM papers_fts_docsize")).scalar()
            triggers = conn.execute(text(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'papers'")).scalar()
            assert triggers == 3  # the insert trigger is back after the batches
        else:
            n = conn.execute(text(
                "SELECT count(*) FROM papers WHERE search_vector IS NOT NULL")).scalar()
    assert n == 200


def test_rows_written_after_an_import_and_updates_are_indexed(engine: Engine) -> None:
    upsert_records(engine, records()[:10])
    assert "0704.0001" in search(engine, "sections")
    with session_factory(engine)() as s:
        s.add(Paper(arxiv_id="2401.00001", title="Zeppelin dynamics", authors=["Q. Writer"]))
        s.commit()
    assert search(engine, "zeppelin") == ["2401.00001"]
    newer = records()[0]
    newer.version = 9
    newer.title = "Calculation of prompt quadraphoton production"
    upsert_records(engine, [newer])
    assert search(engine, "quadraphoton") == ["0704.0001"]
    assert "0704.0001" not in search(engine, "sections")  # the old title is gone
