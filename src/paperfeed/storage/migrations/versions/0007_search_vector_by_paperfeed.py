"""keyword search vector written by paperfeed (PostgreSQL)

PostgreSQL: papers.search_vector was a stored generated column (to_tsvector 'english',
computed by the server for every written row: a whole core during imports, no accent
folding, stop words dropped). It becomes a plain tsvector column that paperfeed writes
from storage/terms.py's analyzer (the one SQLite's FTS5 tokenizer matches: accents
folded, Porter stems, no stop words; plus position-less field lexemes ``t~stem`` /
``a~stem`` for each distinct title / author-name stem, so that title:/author: words are
answered by the GIN index alone). Existing rows are backfilled here in batches, then the
GIN index is rebuilt. Downgrade restores the generated column.

SQLite: nothing changes (FTS5 keeps its own index).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from paperfeed.storage.paper_vectors import vector_for

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 2000

_GENERATED = """ALTER TABLE papers ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
        setweight(json_to_tsvector('english'::regconfig, coalesce(authors, '[]'::json),
                                   '["string"]'::jsonb), 'B') ||
        setweight(to_tsvector('english'::regconfig, coalesce(abstract, '')), 'C')
    ) STORED"""


def backfill(conn: sa.Connection, batch: int = BATCH) -> int:
    """Write search_vector for every paper, in id order, `batch` papers per UPDATE."""
    last, done = 0, 0
    select = sa.text(
        "SELECT id, title, authors::text, abstract FROM papers WHERE id > :last"
        " ORDER BY id LIMIT :n"
    )
    update = sa.text(
        "UPDATE papers AS p SET search_vector = v.sv::tsvector"
        " FROM unnest(CAST(:ids AS bigint[]), CAST(:vs AS text[])) AS v(id, sv)"
        " WHERE p.id = v.id"
    )
    while True:
        rows = conn.execute(select, {"last": last, "n": batch}).all()
        if not rows:
            return done
        ids = [int(r[0]) for r in rows]
        vectors = [vector_for(r[1], r[2], r[3]) for r in rows]
        conn.execute(update, {"ids": ids, "vs": vectors})
        last, done = ids[-1], done + len(ids)


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        return
    op.execute("DROP INDEX IF EXISTS ix_papers_search_vector")
    op.execute("ALTER TABLE papers DROP COLUMN IF EXISTS search_vector")
    op.execute("ALTER TABLE papers ADD COLUMN search_vector tsvector")
    backfill(conn)
    op.execute("CREATE INDEX ix_papers_search_vector ON papers USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP INDEX IF EXISTS ix_papers_search_vector")
    op.execute("ALTER TABLE papers DROP COLUMN IF EXISTS search_vector")
    op.execute(_GENERATED)
    op.execute("CREATE INDEX ix_papers_search_vector ON papers USING gin (search_vector)")
