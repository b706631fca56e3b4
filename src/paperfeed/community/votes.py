"""Upvotes: one per reader per paper, and taking it back.

:func:`set_vote` writes in the caller's transaction: it takes the paper row's lock
(:func:`~paperfeed.community.counts.lock_paper`) first, so every vote on one paper is
serialised on both databases and no two transactions deadlock on the vote's foreign key,
then inserts (``ON CONFLICT DO NOTHING`` on the ``(user_id, paper_id)`` unique
constraint) or deletes the row, and moves the paper's ``vote_count`` and
``trending_key`` by that one vote (:func:`~paperfeed.community.counts.apply_vote`,
which recounts from the rows when it cannot do so exactly). Two
simultaneous clicks from one reader therefore leave exactly one row (or none), and the
count always equals the rows.

Banned accounts cannot vote. Votes on a paper whose daily entries are all hidden still
count (the paper just has no trending key while it is on no visible list).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Engine, Table, bindparam, delete, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Insert

from paperfeed.community.counts import apply_vote, lock_paper
from paperfeed.storage.dialect import insert_ignore
from paperfeed.storage.models import Paper, User, Vote
from paperfeed.storage.retry import run_transaction


class VoteRefused(Exception):
    """The account may not vote (banned or gone); the message is for the reader."""


@dataclass(frozen=True, slots=True)
class VoteResult:
    changed: bool  # whether a row was added or removed
    count: int  # the paper's vote count afterwards (== its rows)
    voted: bool  # whether this reader's vote is there afterwards


# Prebuilt statements (the vote path is hot): the insert per dialect.
_INSERTS: dict[str, Insert] = {}
_DELETE_VOTE = delete(Vote).where(
    Vote.user_id == bindparam("user_id"), Vote.paper_id == bindparam("paper_id")
).returning(Vote.created_at)


def _insert_vote(conn: Connection) -> Insert:
    """INSERT … ON CONFLICT (user_id, paper_id) DO NOTHING RETURNING id: a row back only
    when the vote is new (RETURNING, because rowcount is not reliable with it)."""
    stmt = _INSERTS.get(conn.dialect.name)
    if stmt is None:
        table = cast(Table, Vote.__table__)
        stmt = insert_ignore(conn, table, ["user_id", "paper_id"]).values(
            user_id=bindparam("user_id"), paper_id=bindparam("paper_id"),
            created_at=bindparam("created_at"), source="user",
        ).returning(table.c.id)
        _INSERTS[conn.dialect.name] = stmt
    return stmt


_BANNED = select(User.is_banned).where(User.id == bindparam("user_id"))
_COUNT = select(Paper.vote_count).where(Paper.id == bindparam("paper_id"))


def _may_vote(session: Session, user_id: int) -> None:
    banned = session.connection().execute(_BANNED, {"user_id": user_id}).scalar()
    if banned is None:
        raise VoteRefused("This account no longer exists.")
    if banned:
        raise VoteRefused("This account is banned and cannot vote.")


def _set_vote(session: Session, user_id: int, paper_id: int, up: bool,
              now: datetime) -> VoteResult:
    _may_vote(session, user_id)
    lock_paper(session, paper_id)
    conn = session.connection()
    when: datetime | None
    if up:
        params = {"user_id": user_id, "paper_id": paper_id, "created_at": now}
        when = now if conn.execute(_insert_vote(conn), params).first() is not None else None
    else:
        when = conn.execute(_DELETE_VOTE, {"user_id": user_id, "paper_id": paper_id}).scalar()
    changed = when is not None
    if when is not None:
        count = apply_vote(session, paper_id, when, added=up)
    else:
        count = int(conn.execute(_COUNT, {"paper_id": paper_id}).scalar() or 0)
    return VoteResult(changed=changed, count=count, voted=up)


def set_vote(bind: Session | Engine, user_id: int, paper_id: int, up: bool,
             now: datetime) -> VoteResult:
    """Vote (`up`) or unvote for paper `paper_id` as user `user_id` at `now` (naive UTC).

    With a Session, inside the caller's transaction (commit it); with an Engine, in a
    write transaction of its own. Raises :class:`VoteRefused` for a banned account."""
    if isinstance(bind, Engine):  # re-run after a deadlock or serialization failure
        return run_transaction(bind, lambda s: _set_vote(s, user_id, paper_id, up, now))
    return _set_vote(bind, user_id, paper_id, up, now)
