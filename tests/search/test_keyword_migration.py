"""Migration 0002: the keyword index is created, filled for existing rows, kept in step
with inserts/updates/deletes by the database itself, and removed on downgrade."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine

INSERT = text(
    "INSERT INTO papers (arxiv_id, version, title, abstract, authors, categories,"
    " withdrawn, links, vote_count, upstream_upvotes, comment_count, created_at,"
    " modified_at) VALUES (:aid, 1, :title, :abstract, :authors, '[]', false, '{}',"
    " 0, 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)


def _matches(engine: Engine, word: str) -> list[str]:
    """arXiv ids whose indexed text contains `word` (raw index access, per database)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = (
                "SELECT p.arxiv_id FROM papers_fts JOIN papers p ON p.id = papers_fts.rowid"
                " WHERE papers_fts MATCH :w ORDER BY p.arxiv_id"
            )
            return list(conn.execute(text(sql), {"w": f'"{word}"'}).scalars())
        sql = (
            "SELECT arxiv_id FROM papers WHERE search_vector @@ plainto_tsquery('english', :w)"
            " ORDER BY arxiv_id"
        )
        return list(conn.execute(text(sql), {"w": word}).scalars())


def _has_index(engine: Engine) -> bool:
    insp = inspect(engine)
    if engine.dialect.name == "sqlite":
        return "papers_fts" in insp.get_table_names()
    return "search_vector" in {c["name"] for c in insp.get_columns("papers")}


def test_existing_rows_indexed_and_kept_in_step(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(
            INSERT,
            {
                "aid": "2401.00001",
                "title": "Sparse autoencoders",
                "abstract": "Dictionary features in language models.",
                "authors": '["J\\u00fcrgen Schmidhuber", "Yann LeCun"]',
            },
        )
    # 0002's own behaviour (0007 hands PostgreSQL's vector to paperfeed's writers).
    migrate.upgrade(engine, "0006")
    # Existing row indexed, author names decoded from JSON escapes.
    assert _matches(engine, "autoencoders") == ["2401.00001"]
    assert _matches(engine, "lecun") == ["2401.00001"]
    assert _matches(engine, "jürgen") == ["2401.00001"]
    # Stemming: a different form of the word matches.
    assert _matches(engine, "feature") == ["2401.00001"]

    with engine.begin() as conn:
        conn.execute(
            INSERT,
            {"aid": "2401.00002", "title": "Graph networks", "abstract": "Message passing.",
             "authors": '["Ada Lovelace"]'},
        )
    assert _matches(engine, "message") == ["2401.00002"]

    with engine.begin() as conn:
        conn.execute(
            text("UPDATE papers SET title = 'Quantum circuits' WHERE arxiv_id = '2401.00002'")
        )
    assert _matches(engine, "graph") == []
    assert _matches(engine, "quantum") == ["2401.00002"]
    # An update that leaves the text alone (e.g. a vote) keeps the index intact.
    with engine.begin() as conn:
        conn.execute(text("UPDATE papers SET vote_count = 3 WHERE arxiv_id = '2401.00002'"))
    assert _matches(engine, "quantum") == ["2401.00002"]

    with engine.begin() as conn:
        conn.execute(text("DELETE FROM papers WHERE arxiv_id = '2401.00001'"))
    assert _matches(engine, "autoencoders") == []
    assert _matches(engine, "lecun") == []
    engine.dispose()


def test_downgrade_removes_index_and_upgrade_restores_it(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    assert _has_index(engine)
    with engine.begin() as conn:
        conn.execute(
            INSERT,
            {"aid": "2401.00003", "title": "Diffusion models", "abstract": "Denoising.",
             "authors": "[]"},
        )
    migrate.downgrade(engine, "0001")
    assert not _has_index(engine)
    # Without the index, papers can still be written (no dangling triggers).
    with engine.begin() as conn:
        conn.execute(
            INSERT,
            {"aid": "2401.00004", "title": "Diffusion policies", "abstract": "Robots.",
             "authors": "[]"},
        )
        conn.execute(text("DELETE FROM papers WHERE arxiv_id = '2401.00003'"))
    migrate.upgrade(engine)
    assert _has_index(engine)
    assert _matches(engine, "diffusion") == ["2401.00004"]
    # A row deleted while there was no index is not found after the rebuild.
    assert _matches(engine, "denoising") == []
    engine.dispose()
