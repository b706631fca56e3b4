"""A paper's vote count, comment count and trending key, recomputed from the rows.

Called inside the transaction that changed the rows (a vote, a hidden entry, a deleted
account), after the paper row is locked (:func:`lock_paper`), so concurrent writers on
PostgreSQL see each other's committed rows and never write a stale count.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from paperfeed.ranking.trending import add_event, remove_event, trending_key
from paperfeed.storage.models import Comment, DailyEntry, Paper, Vote

# Prebuilt statements (the vote path runs these on every vote), run on the session's
# connection: plain Core, no ORM bookkeeping.
_LOCK = select(Paper.id).where(Paper.id == bindparam("paper_id")).with_for_update()
_VOTE_TIMES = select(Vote.created_at).where(Vote.paper_id == bindparam("paper_id"))
_ENTRY_TIME = select(func.max(DailyEntry.submitted_at)).where(
    DailyEntry.paper_id == bindparam("paper_id"), DailyEntry.hidden.is_(False)
)
_SET_VOTES = (
    update(Paper.__table__)  # type: ignore[arg-type]
    .where(Paper.__table__.c.id == bindparam("paper_id"))
    .values(vote_count=bindparam("vote_count"), trending_key=bindparam("trending_key"))
)


def lock_paper(session: Session, paper_id: int) -> None:
    """Take the paper row's lock for the rest of the transaction (PostgreSQL
    ``SELECT … FOR UPDATE``; SQLite's writers already hold the database lock)."""
    session.connection().execute(_LOCK, {"paper_id": paper_id})


def refresh_votes(session: Session, paper_id: int) -> int:
    """Set vote_count and trending_key from the votes and the visible daily entries;
    returns the vote count. A paper on no visible list has no trending key. A Paper
    object of this session gets the new values too."""
    conn = session.connection()
    params = {"paper_id": paper_id}
    times = list(conn.execute(_VOTE_TIMES, params).scalars())
    entry_time = conn.execute(_ENTRY_TIME, params).scalar()
    key = None if entry_time is None else trending_key(times, entry_time)
    conn.execute(_SET_VOTES, {"paper_id": paper_id, "vote_count": len(times),
                              "trending_key": key})
    loaded = session.identity_map.get(identity_key(Paper, paper_id))
    if loaded is not None:
        set_committed_value(loaded, "vote_count", len(times))
        set_committed_value(loaded, "trending_key", key)
    return len(times)


_COUNT_AND_KEY = select(Paper.vote_count, Paper.trending_key).where(
    Paper.id == bindparam("paper_id")
)


def apply_vote(session: Session, paper_id: int, when: datetime, added: bool) -> int:
    """The paper's count and trending key after one vote at `when` was added (or
    removed), updated from the stored values in constant time; returns the count.

    Only under the paper's lock (:func:`lock_paper`), so the stored values are the
    committed ones. Falls back to :func:`refresh_votes` (a recount from the rows) when
    the paper has no key yet or removing the vote would lose precision."""
    conn = session.connection()
    row = conn.execute(_COUNT_AND_KEY, {"paper_id": paper_id}).first()
    if row is None or row.trending_key is None:
        return refresh_votes(session, paper_id)
    key = (add_event(row.trending_key, when) if added
           else remove_event(row.trending_key, when))
    if key is None:
        return refresh_votes(session, paper_id)
    count = int(row.vote_count) + (1 if added else -1)
    conn.execute(_SET_VOTES, {"paper_id": paper_id, "vote_count": count,
                              "trending_key": key})
    loaded = session.identity_map.get(identity_key(Paper, paper_id))
    if loaded is not None:
        set_committed_value(loaded, "vote_count", count)
        set_committed_value(loaded, "trending_key", key)
    return count


def refresh_comments(session: Session, paper_id: int) -> int:
    """Set comment_count to the comments readers can see (not hidden, not deleted)."""
    count = int(session.scalar(
        select(func.count()).select_from(Comment).where(
            Comment.paper_id == paper_id, Comment.hidden.is_(False), Comment.deleted.is_(False)
        )
    ) or 0)
    session.execute(update(Paper).where(Paper.id == paper_id).values(comment_count=count))
    return count
