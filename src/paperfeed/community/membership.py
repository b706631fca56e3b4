"""Leaving the site: deleting an account and what happens to what it left behind.

- Comments stay, shown as by "deleted user" (``comments.user_id`` is ``ON DELETE SET
  NULL``), so threads keep their shape.
- Votes are removed, and every paper they were on has its vote count and trending key
  recomputed in the same transaction.
- Daily entries the account submitted stay on their lists, without a submitter.
- Sessions, reports and moderation-log lines follow their foreign keys (sessions end;
  the others lose the link, the log keeps the moderator's name as text).
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from paperfeed.community.counts import lock_paper, refresh_votes
from paperfeed.storage.models import DailyEntry, User, Vote


def delete_account(session: Session, user: User) -> list[int]:
    """Delete `user` inside the caller's transaction; returns the ids of the papers
    whose vote counts changed (locked in id order, so two deletions never deadlock)."""
    paper_ids = sorted(set(session.scalars(
        select(Vote.paper_id).where(Vote.user_id == user.id)
    )))
    for paper_id in paper_ids:
        lock_paper(session, paper_id)
    session.execute(delete(Vote).where(Vote.user_id == user.id))
    session.execute(
        update(DailyEntry).where(DailyEntry.submitted_by_id == user.id)
        .values(submitted_by_id=None, submitted_by_name=None)
    )
    for paper_id in paper_ids:
        refresh_votes(session, paper_id)
    user_id = user.id
    if user in session:  # the row goes below; nothing must flush it afterwards
        session.expunge(user)
    session.execute(delete(User).where(User.id == user_id),
                    execution_options={"synchronize_session": False})
    return paper_ids
