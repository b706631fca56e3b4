"""keyword search index

SQLite: an FTS5 external-content table over papers (title, authors as plain text,
abstract), kept in step by triggers so imports need no separate rebuild.
PostgreSQL: a stored generated tsvector column (title A, authors B, abstract C) with a
GIN index.

The DDL is written out here rather than imported from live code: a migration must keep
meaning what it meant when it was written.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 12:45:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Authors are stored as a JSON list; the index sees the names as one text, with JSON
# escapes decoded. The same expression must be used for insert and delete.
_AUTHORS_NEW = (
    "CASE WHEN json_valid(new.authors) AND json_type(new.authors) = 'array' "
    "THEN (SELECT group_concat(value, ' ') FROM json_each(new.authors)) "
    "ELSE new.authors END"
)
_AUTHORS_OLD = _AUTHORS_NEW.replace("new.", "old.")
_AUTHORS_ROW = _AUTHORS_NEW.replace("new.", "papers.")

SQLITE_UP = [
    # porter stemming (learning ~ learned ~ learn); diacritics folded (Müller ~ Muller).
    # detail=full is needed for phrase queries. Merging is made lazier than the default
    # (automerge 4, crisismerge 16) because incremental merges dominate bulk-import cost.
    "CREATE VIRTUAL TABLE papers_fts USING fts5("
    "title, authors, abstract, content='papers', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "INSERT INTO papers_fts(papers_fts, rank) VALUES ('automerge', 16)",
    "INSERT INTO papers_fts(papers_fts, rank) VALUES ('crisismerge', 64)",
    f"""CREATE TRIGGER papers_fts_ai AFTER INSERT ON papers BEGIN
        INSERT INTO papers_fts(rowid, title, authors, abstract)
        VALUES (new.id, new.title, {_AUTHORS_NEW}, new.abstract);
    END""",
    f"""CREATE TRIGGER papers_fts_ad AFTER DELETE ON papers BEGIN
        INSERT INTO papers_fts(papers_fts, rowid, title, authors, abstract)
        VALUES ('delete', old.id, old.title, {_AUTHORS_OLD}, old.abstract);
    END""",
    f"""CREATE TRIGGER papers_fts_au AFTER UPDATE OF title, authors, abstract ON papers
    WHEN old.title IS NOT new.title OR old.authors IS NOT new.authors
         OR old.abstract IS NOT new.abstract
    BEGIN
        INSERT INTO papers_fts(papers_fts, rowid, title, authors, abstract)
        VALUES ('delete', old.id, old.title, {_AUTHORS_OLD}, old.abstract);
        INSERT INTO papers_fts(rowid, title, authors, abstract)
        VALUES (new.id, new.title, {_AUTHORS_NEW}, new.abstract);
    END""",
    # Existing rows ('rebuild' would index the raw JSON of authors, so insert instead).
    f"INSERT INTO papers_fts(rowid, title, authors, abstract) "
    f"SELECT id, title, {_AUTHORS_ROW}, abstract FROM papers",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS papers_fts_au",
    "DROP TRIGGER IF EXISTS papers_fts_ad",
    "DROP TRIGGER IF EXISTS papers_fts_ai",
    "DROP TABLE IF EXISTS papers_fts",
]

POSTGRES_UP = [
    # json_to_tsvector decodes the author strings (and is immutable, unlike a set-returning
    # json_array_elements_text); 'english' stems and drops stop words.
    """ALTER TABLE papers ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
        setweight(json_to_tsvector('english'::regconfig, coalesce(authors, '[]'::json),
                                   '["string"]'::jsonb), 'B') ||
        setweight(to_tsvector('english'::regconfig, coalesce(abstract, '')), 'C')
    ) STORED""",
    "CREATE INDEX ix_papers_search_vector ON papers USING gin (search_vector)",
]

POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_papers_search_vector",
    "ALTER TABLE papers DROP COLUMN IF EXISTS search_vector",
]


def upgrade() -> None:
    statements = SQLITE_UP if op.get_bind().dialect.name == "sqlite" else POSTGRES_UP
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    statements = SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else POSTGRES_DOWN
    for statement in statements:
        op.execute(statement)
