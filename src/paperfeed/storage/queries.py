"""Read queries shared by the CLI, the web pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from paperfeed.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.storage.models import Comment, DailyEntry, Paper, PaperVersion, User, Vote


def get_paper(session: Session, arxiv_id: str) -> Paper | None:
    """Look a paper up by any pasted form of its id; None when unknown or malformed."""
    try:
        canonical = parse_arxiv_id(arxiv_id).id
    except InvalidArxivId:
        return None
    return session.scalar(select(Paper).where(Paper.arxiv_id == canonical))


def stats(session: Session) -> dict[str, int]:
    def count(model: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)

    return {
        "papers": count(Paper),
        "versions": count(PaperVersion),
        "daily_entries": count(DailyEntry),
        "users": count(User),
        "votes": count(Vote),
        "comments": count(Comment),
    }


@dataclass(slots=True)
class DailyItem:
    paper: Paper
    entry: DailyEntry


def daily_list(
    session: Session, day: date, sort: str = "votes", *, limit: int | None = None, offset: int = 0
) -> list[DailyItem]:
    """The papers on one day's list, most voted first (or newest first with sort='time')."""
    order = (
        (Paper.vote_count.desc(), DailyEntry.submitted_at.desc())
        if sort == "votes"
        else (DailyEntry.submitted_at.desc(),)
    )
    rows = session.execute(
        select(Paper, DailyEntry)
        .join(DailyEntry, DailyEntry.paper_id == Paper.id)
        .where(DailyEntry.day == day)
        .order_by(*order, Paper.id)
        .limit(limit)
        .offset(offset or None)
    ).all()
    return [DailyItem(paper=p, entry=e) for p, e in rows]


def daily_count(session: Session, day: date) -> int:
    """How many papers are on one day's list."""
    return int(
        session.scalar(select(func.count()).select_from(DailyEntry).where(DailyEntry.day == day))
        or 0
    )


def latest_day(session: Session) -> date | None:
    return session.scalar(select(func.max(DailyEntry.day)))


def neighbour_days(session: Session, day: date) -> tuple[date | None, date | None]:
    """The closest earlier and later days that have papers on their list."""
    prev = session.scalar(select(func.max(DailyEntry.day)).where(DailyEntry.day < day))
    nxt = session.scalar(select(func.min(DailyEntry.day)).where(DailyEntry.day > day))
    return prev, nxt


def days_for_paper(session: Session, paper_id: int) -> list[date]:
    return list(
        session.scalars(
            select(DailyEntry.day).where(DailyEntry.paper_id == paper_id).order_by(DailyEntry.day)
        )
    )


def comments_for_paper(session: Session, paper_id: int) -> list[Comment]:
    return list(
        session.scalars(
            select(Comment)
            .options(joinedload(Comment.user))
            .where(Comment.paper_id == paper_id, Comment.hidden.is_(False))
            .order_by(Comment.created_at, Comment.id)
        )
    )


def entries_for_paper(session: Session, paper_id: int) -> list[DailyEntry]:
    """The paper's visible daily entries, oldest day first, with their submitters
    loaded (``submitted_by`` is None when the account is gone or there never was one)."""
    return list(
        session.scalars(
            select(DailyEntry)
            .options(joinedload(DailyEntry.submitted_by))
            .where(DailyEntry.paper_id == paper_id, DailyEntry.hidden.is_(False))
            .order_by(DailyEntry.day, DailyEntry.id)
        )
    )
