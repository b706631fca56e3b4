"""Community: roles, server-side sessions, hidden entries, comment edits and deletes,
reports, the moderation log, rate-limit counters, demo votes and the trending key.

Every change adds a column or a table (``ALTER TABLE ... ADD COLUMN``), so neither the
papers table nor its keyword index is copied; ``users.is_admin`` becomes ``role`` and is
dropped with ``ALTER TABLE ... DROP COLUMN`` (SQLite 3.35 or later), never a table copy
(a copy of ``users`` would cascade-delete its votes under ``PRAGMA foreign_keys=ON``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 21:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
FALSE = sa.false()


def upgrade() -> None:
    op.add_column("users", sa.Column("username_key", sa.String(64), nullable=False,
                                     server_default=""))
    op.add_column("users", sa.Column("role", sa.String(16), nullable=False,
                                     server_default="user"))
    op.add_column("users", sa.Column("is_demo", sa.Boolean(), nullable=False,
                                     server_default=FALSE))
    op.add_column("users", sa.Column("show_upvotes", sa.Boolean(), nullable=False,
                                     server_default=FALSE))
    op.execute("UPDATE users SET username_key = lower(username)")
    op.execute("UPDATE users SET role = 'admin' WHERE is_admin")
    op.execute("UPDATE users SET is_demo = TRUE WHERE username LIKE 'demo-%'")
    op.execute("ALTER TABLE users DROP COLUMN is_admin")
    op.create_index("ix_users_username_key", "users", ["username_key"], unique=True)

    op.add_column("papers", sa.Column("trending_key", sa.Float(), nullable=True))
    op.create_index("ix_papers_trending_key", "papers", ["trending_key"])
    op.add_column("daily_entries", sa.Column("hidden", sa.Boolean(), nullable=False,
                                             server_default=FALSE))
    op.add_column("votes", sa.Column("source", sa.String(16), nullable=False,
                                     server_default="user"))
    op.execute("UPDATE votes SET source = 'demo' WHERE user_id IN "
               "(SELECT id FROM users WHERE is_demo)")
    op.add_column("comments", sa.Column("deleted", sa.Boolean(), nullable=False,
                                        server_default=FALSE))
    op.add_column("comments", sa.Column("edited_at", sa.DateTime(), nullable=True))

    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", ID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("client", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(300), nullable=True),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"])
    op.create_index("ix_user_sessions_expires_at", "user_sessions", ["expires_at"])
    op.create_table(
        "reports",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("reporter_id", ID, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("comment_id", ID, sa.ForeignKey("comments.id", ondelete="CASCADE")),
        sa.Column("entry_id", ID, sa.ForeignKey("daily_entries.id", ondelete="CASCADE")),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by_id", ID, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("resolution", sa.String(32), nullable=True),
        sa.UniqueConstraint("reporter_id", "comment_id", name="uq_reports_reporter_comment"),
        sa.UniqueConstraint("reporter_id", "entry_id", name="uq_reports_reporter_entry"),
    )
    op.create_index("ix_reports_open", "reports", ["resolved_at", "created_at"])
    op.create_table(
        "moderation_log",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("moderator_id", ID, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("moderator_name", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target_type", sa.String(16), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=True),
        sa.Column("target_label", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_moderation_log_created_at", "moderation_log", ["created_at"])
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("window", sa.BigInteger(), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rate_limits")
    op.drop_index("ix_moderation_log_created_at", "moderation_log")
    op.drop_table("moderation_log")
    op.drop_index("ix_reports_open", "reports")
    op.drop_table("reports")
    op.drop_index("ix_user_sessions_expires_at", "user_sessions")
    op.drop_index("ix_user_sessions_user_id", "user_sessions")
    op.drop_table("user_sessions")
    op.execute("ALTER TABLE comments DROP COLUMN edited_at")
    op.execute("ALTER TABLE comments DROP COLUMN deleted")
    op.execute("ALTER TABLE votes DROP COLUMN source")
    op.execute("ALTER TABLE daily_entries DROP COLUMN hidden")
    op.drop_index("ix_papers_trending_key", "papers")
    op.execute("ALTER TABLE papers DROP COLUMN trending_key")
    op.add_column("users", sa.Column("is_admin", sa.Boolean(), nullable=False,
                                     server_default=FALSE))
    op.execute("UPDATE users SET is_admin = (role = 'admin')")
    op.drop_index("ix_users_username_key", "users")
    for column in ("show_upvotes", "is_demo", "role", "username_key"):
        op.execute(f"ALTER TABLE users DROP COLUMN {column}")
