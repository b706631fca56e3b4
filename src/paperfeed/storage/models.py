"""Tables. Later features extend these with new tables and migrations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from paperfeed.storage import paper_vectors

# BIGINT on PostgreSQL, INTEGER (rowid alias) on SQLite.
IdType = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}


class Paper(Base):
    __tablename__ = "papers"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    arxiv_id: Mapped[str] = mapped_column(String(64), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str] = mapped_column(Text, default="")
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    primary_category: Mapped[str | None] = mapped_column(String(64), index=True)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    # arXiv's author note ("10 pages, 3 figures"); user comments are the Comment model.
    arxiv_comment: Mapped[str | None] = mapped_column(Text)
    journal_ref: Mapped[str | None] = mapped_column(Text)
    doi: Mapped[str | None] = mapped_column(Text)
    license: Mapped[str | None] = mapped_column(Text)
    published: Mapped[date | None] = mapped_column(Date, index=True)
    updated: Mapped[date | None] = mapped_column(Date)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    links: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Local votes, kept in step with the votes table inside the vote transaction.
    vote_count: Mapped[int] = mapped_column(Integer, default=0)
    # Imported signals (e.g. Hugging Face upvotes); never mixed into vote_count.
    upstream_upvotes: Mapped[int] = mapped_column(Integer, default=0)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    # Sort key of /trending (see paperfeed.ranking.trending): set while the paper has a
    # visible daily entry, NULL otherwise; rewritten in the same transaction as a vote.
    trending_key: Mapped[float | None] = mapped_column(Float, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    versions: Mapped[list[PaperVersion]] = relationship(
        back_populates="paper", order_by="PaperVersion.version", cascade="all, delete-orphan"
    )


class PaperVersion(Base):
    __tablename__ = "paper_versions"
    __table_args__ = (UniqueConstraint("paper_id", "version", name="uq_paper_versions"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    submitted: Mapped[datetime | None] = mapped_column(DateTime)
    size: Mapped[str | None] = mapped_column(String(32))

    paper: Mapped[Paper] = relationship(back_populates="versions")


ROLES = ("user", "moderator", "admin")


def _username_key(context: Any) -> str:
    """The default username_key: the casefolded username (accounts.usernames.username_key)."""
    return str(context.get_current_parameters()["username"]).casefold()


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    # casefold(username): usernames are unique whatever their case.
    username_key: Mapped[str] = mapped_column(
        String(64), unique=True, index=True, default=_username_key
    )
    display_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(Text)
    # user, moderator or admin (see ROLES).
    role: Mapped[str] = mapped_column(String(16), default="user")
    is_banned: Mapped[bool] = mapped_column(Boolean, default=False)
    # Made-up demo accounts (their votes and comments are demo data).
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whether /users/NAME lists what they upvoted.
    show_upvotes: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # When the account's email address was confirmed from a mailed link (None: not yet).
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The secret in the address of the user's personal feed (None: no personal feed);
    # a new one revokes the old address.
    feed_key: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_moderator(self) -> bool:
        """Moderators and admins may moderate."""
        return self.role in ("moderator", "admin")


class ApiToken(Base):
    """A named API token of a user, sent as ``Authorization: Bearer``; only its SHA-256
    is stored, and ``prefix`` (its first characters) tells tokens apart in settings."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    # Read-only tokens may only read; read-write ones may vote, submit and comment.
    can_write: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()


class UserSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # The CSRF token of this session's forms.
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    client: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))

    user: Mapped[User] = relationship()


class DailyEntry(Base):
    __tablename__ = "daily_entries"
    __table_args__ = (
        UniqueConstraint("day", "paper_id", name="uq_daily_entries_day_paper"),
        Index("ix_daily_entries_paper", "paper_id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Free-text submitter for imported lists (e.g. a Hugging Face username).
    submitted_by_name: Mapped[str | None] = mapped_column(String(200))
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # How it got there: community, rule, manual, import, demo.
    source: Mapped[str] = mapped_column(String(32), default="community")
    # Hidden by a moderator: off every list, kept for the record.
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)

    paper: Mapped[Paper] = relationship()
    submitted_by: Mapped[User | None] = relationship()


class Vote(Base):
    __tablename__ = "votes"
    __table_args__ = (
        UniqueConstraint("user_id", "paper_id", name="uq_votes_user_paper"),
        Index("ix_votes_paper", "paper_id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # "user" for real votes, "demo" for the demo's made-up ones.
    source: Mapped[str] = mapped_column(String(16), default="user")


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_paper", "paper_id", "created_at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    # Markdown exactly as typed (rendered and sanitised on output).
    body: Mapped[str] = mapped_column(Text)
    # Hidden by a moderator.
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    # Deleted by its author: shown as "[deleted]" so replies keep their place.
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User | None] = relationship()


class Report(Base):
    """A reader's report of a comment or a daily entry, for the moderators' queue."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("reporter_id", "comment_id", name="uq_reports_reporter_comment"),
        UniqueConstraint("reporter_id", "entry_id", name="uq_reports_reporter_entry"),
        Index("ix_reports_open", "resolved_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("daily_entries.id", ondelete="CASCADE")
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # What the moderator did: hidden, dismissed.
    resolution: Mapped[str | None] = mapped_column(String(32))

    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    comment: Mapped[Comment | None] = relationship()
    entry: Mapped[DailyEntry | None] = relationship()


class ModerationAction(Base):
    """One line of the moderation log (admins read it on /admin)."""

    __tablename__ = "moderation_log"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kept as text so the log still reads after an account is deleted.
    moderator_name: Mapped[str] = mapped_column(String(64))
    # hide-comment, restore-comment, hide-entry, restore-entry, ban, unban, dismiss-report…
    action: Mapped[str] = mapped_column(String(32))
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int | None] = mapped_column(BigInteger)
    target_label: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class RateLimitHit(Base):
    """Requests counted per (action, account or client address) and fixed time window."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class HarvestState(Base):
    """Resumable progress of a harvest or import (OAI token, last date, file offset)."""

    __tablename__ = "harvest_state"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class PaperEmbedding(Base):
    """A paper's sentence embedding under one model (float32 bytes, L2-normalised)."""

    __tablename__ = "paper_embeddings"

    paper_id: Mapped[int] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(128), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    # Hash of the text the vector was computed from: re-embedded when title/abstract change.
    content_hash: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Subscription(Base):
    """An email address that asked for digests: pending until the address is confirmed,
    then active (or paused after hard bounces, or unsubscribed)."""

    __tablename__ = "subscriptions"
    __table_args__ = (Index("ix_subscriptions_status_period", "status", "period"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320))
    # lower(email): one subscription per address, whatever its case.
    email_key: Mapped[str] = mapped_column(String(320), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # pending, active, paused or unsubscribed.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    period: Mapped[str] = mapped_column(String(8), default="daily")
    max_papers: Mapped[int] = mapped_column(Integer, default=10)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    searches: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Signs the manage and unsubscribe links; a new secret revokes the old links.
    secret: Mapped[str] = mapped_column(String(64))
    hard_bounces: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(DateTime)


class MailToken(Base):
    """A single-use link mailed to an address (confirm a subscription, verify an
    account's email, reset a password); only its SHA-256 is stored."""

    __tablename__ = "mail_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class DigestOutbox(Base):
    """One digest of one subscription for one period: sent at most once (the unique
    constraint), claimed atomically by a sender (see :mod:`paperfeed.digest.outbox`)."""

    __tablename__ = "digest_outbox"
    __table_args__ = (
        UniqueConstraint("subscription_id", "period", "period_start", name="uq_digest_outbox"),
        Index("ix_digest_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE")
    )
    period: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date] = mapped_column(Date)
    # pending, claimed, sending, sent, empty, failed or unknown.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    message_id: Mapped[str | None] = mapped_column(String(300))
    papers: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Lock(Base):
    """A named lease one process holds at a time (the worker's on SQLite; PostgreSQL
    uses an advisory lock instead)."""

    __tablename__ = "locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


# PostgreSQL: papers written through the ORM get their keyword search vector
# (papers.search_vector, migration 0007) in the same flush.
event.listen(Paper, "after_insert", paper_vectors.after_insert)
event.listen(Paper, "after_update", paper_vectors.after_update)
