"""A paper's vote count, comment count and trending key, recomputed from the rows.

Called inside the transaction that changed the rows (a vote, a hidden entry, a deleted
account), after the paper row is locked (:func:`lock_paper`), so concurrent writers on
PostgreSQL see each other's committed rows and never write a stale count.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from paperfeed.ranking.trending import trending_key
from paperfeed.storage.models import Comment, DailyEntry, Paper, Vote


def lock_paper(session: Session, paper_id: int) -> None:
    """Take the paper row's lock for the rest of the transaction (PostgreSQL
    ``SELECT … FOR UPDATE``; SQLite's writers already hold the database lock)."""
    session.execute(select(Paper.id).where(Paper.id == paper_id).with_for_update())


def refresh_votes(session: Session, paper_id: int) -> int:
    """Set vote_count and trending_key from the votes and the visible daily entries;
    returns the vote count. A paper on no visible list has no trending key."""
    times = list(session.scalars(select(Vote.created_at).where(Vote.paper_id == paper_id)))
    entry_time = session.scalar(
        select(func.max(DailyEntry.submitted_at)).where(
            DailyEntry.paper_id == paper_id, DailyEntry.hidden.is_(False)
        )
    )
    key = None if entry_time is None else trending_key(times, entry_time)
    session.execute(
        update(Paper).where(Paper.id == paper_id).values(vote_count=len(times), trending_key=key)
    )
    return len(times)


def refresh_comments(session: Session, paper_id: int) -> int:
    """Set comment_count to the comments readers can see (not hidden, not deleted)."""
    count = int(session.scalar(
        select(func.count()).select_from(Comment).where(
            Comment.paper_id == paper_id, Comment.hidden.is_(False), Comment.deleted.is_(False)
        )
    ) or 0)
    session.execute(update(Paper).where(Paper.id == paper_id).values(comment_count=count))
    return count
