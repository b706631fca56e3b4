"""Migration 0003: papers.comments (arXiv's author note) becomes papers.arxiv_comment,
keeping the data, the keyword index and its triggers; downgrade renames it back."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from paperfeed.ingest.upsert import upsert_records
from paperfeed.records import PaperRecord
from paperfeed.search import keyword
from paperfeed.search.query import parse
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine

INSERT_0002 = text(
    "INSERT INTO papers (arxiv_id, version, title, abstract, authors, categories, comments,"
    " withdrawn, links, vote_count, upstream_upvotes, comment_count, created_at,"
    " modified_at) VALUES (:aid, 1, :title, :abstract, '[\"Ada Lovelace\"]', '[]', :note,"
    " false, '{}', 0, 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)
TRIGGERS = {"papers_fts_ai", "papers_fts_ad", "papers_fts_au"}


def _columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("papers")}


def _found(engine: Engine, words: str) -> list[str]:
    """arXiv ids keyword search returns for `words`, in id order."""
    with engine.connect() as conn:
        hits = keyword.search(conn, parse(words)).hits
        if not hits:
            return []
        ids = conn.execute(
            text("SELECT arxiv_id FROM papers WHERE id IN ("
                 + ", ".join(str(int(h.paper_id)) for h in hits) + ") ORDER BY arxiv_id")
        )
        return list(ids.scalars())


def _note(engine: Engine, column: str, arxiv_id: str) -> str | None:
    with engine.connect() as conn:
        value = conn.execute(
            text(f"SELECT {column} FROM papers WHERE arxiv_id = :aid"), {"aid": arxiv_id}
        ).scalar_one()
    return None if value is None else str(value)


def _triggers(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                 " AND tbl_name = 'papers'")
        )
        return {str(name): str(sql) for name, sql in rows}


def test_rename_keeps_the_note_and_the_keyword_index(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine, "0002")
    sqlite = engine.dialect.name == "sqlite"
    triggers_0002 = _triggers(engine) if sqlite else {}
    with engine.begin() as conn:
        conn.execute(INSERT_0002, {"aid": "2401.00001", "title": "Sparse autoencoders",
                                   "abstract": "Dictionary features.",
                                   "note": "10 pages, 3 figures"})
        conn.execute(INSERT_0002, {"aid": "2401.00002", "title": "Graph networks",
                                   "abstract": "Message passing.", "note": None})

    migrate.upgrade(engine, "0003")
    assert migrate.current_revision(engine) == "0003"
    columns = _columns(engine)
    assert "arxiv_comment" in columns and "comments" not in columns
    assert _note(engine, "arxiv_comment", "2401.00001") == "10 pages, 3 figures"
    assert _note(engine, "arxiv_comment", "2401.00002") is None
    if sqlite:
        assert set(_triggers(engine)) == TRIGGERS
        assert _triggers(engine) == triggers_0002  # the triggers never read the column
    # The index still holds the existing rows ...
    assert _found(engine, "autoencoders") == ["2401.00001"]
    assert _found(engine, "lovelace") == ["2401.00001", "2401.00002"]
    # ... and still follows inserts (the import path), updates and deletes.
    upsert_records(engine, [PaperRecord(
        id="2401.00003", title="Diffusion models", abstract="Denoising.", version=1,
        authors=["Alan Turing"], arxiv_comment="Accepted at ICML",
    )])
    assert _note(engine, "arxiv_comment", "2401.00003") == "Accepted at ICML"
    assert _found(engine, "diffusion") == ["2401.00003"]
    with engine.begin() as conn:
        conn.execute(text("UPDATE papers SET title = 'Quantum circuits', arxiv_comment = 'v2'"
                          " WHERE arxiv_id = '2401.00002'"))
        conn.execute(text("DELETE FROM papers WHERE arxiv_id = '2401.00003'"))
    assert _found(engine, "graph") == []
    assert _found(engine, "quantum") == ["2401.00002"]
    assert _found(engine, "diffusion") == []

    migrate.downgrade(engine, "0002")
    assert migrate.current_revision(engine) == "0002"
    columns = _columns(engine)
    assert "comments" in columns and "arxiv_comment" not in columns
    assert _note(engine, "comments", "2401.00001") == "10 pages, 3 figures"
    assert _note(engine, "comments", "2401.00002") == "v2"
    if sqlite:
        assert _triggers(engine) == triggers_0002
    assert _found(engine, "autoencoders") == ["2401.00001"]
    assert _found(engine, "quantum") == ["2401.00002"]
    engine.dispose()
