"""papers.comments -> papers.arxiv_comment

The column holds arXiv's author note ("10 pages, 3 figures"); the new name keeps it
apart from user comments (the ``comments`` table). The data is kept.

One ``ALTER TABLE ... RENAME COLUMN`` on both databases, not a batch table copy: on
SQLite (3.25 or later) a copy would drop the keyword index triggers of 0002 with the old
table. Neither the FTS5 triggers (SQLite) nor the generated ``search_vector`` column
(PostgreSQL) read this column, so the keyword index is untouched.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE papers RENAME COLUMN comments TO arxiv_comment")


def downgrade() -> None:
    op.execute("ALTER TABLE papers RENAME COLUMN arxiv_comment TO comments")
