"""Read queries shared by the CLI, the web pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, select
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
    """The papers on one day's list, most voted first (or newest first with sort='time');
    entries hidden by a moderator are left out. The entry's submitter is loaded."""
    order = (
        (Paper.vote_count.desc(), DailyEntry.submitted_at.desc())
        if sort == "votes"
        else (DailyEntry.submitted_at.desc(),)
    )
    rows = session.execute(
        select(Paper, DailyEntry)
        .join(DailyEntry, DailyEntry.paper_id == Paper.id)
        .options(joinedload(DailyEntry.submitted_by))
        .where(DailyEntry.day == day, DailyEntry.hidden.is_(False))
        .order_by(*order, Paper.id)
        .limit(limit)
        .offset(offset or None)
    ).all()
    return [DailyItem(paper=p, entry=e) for p, e in rows]


def daily_count(session: Session, day: date) -> int:
    """How many papers are on one day's list."""
    return int(
        session.scalar(select(func.count()).select_from(DailyEntry).where(
            DailyEntry.day == day, DailyEntry.hidden.is_(False)))
        or 0
    )


def latest_day(session: Session) -> date | None:
    return session.scalar(select(func.max(DailyEntry.day)).where(DailyEntry.hidden.is_(False)))


def neighbour_days(session: Session, day: date) -> tuple[date | None, date | None]:
    """The closest earlier and later days that have papers on their list."""
    visible = DailyEntry.hidden.is_(False)
    prev = session.scalar(select(func.max(DailyEntry.day)).where(DailyEntry.day < day, visible))
    nxt = session.scalar(select(func.min(DailyEntry.day)).where(DailyEntry.day > day, visible))
    return prev, nxt


def days_for_paper(session: Session, paper_id: int) -> list[date]:
    return list(
        session.scalars(
            select(DailyEntry.day)
            .where(DailyEntry.paper_id == paper_id, DailyEntry.hidden.is_(False))
            .order_by(DailyEntry.day)
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


# -- votes, trending, week and month lists, profiles ------------------------------------


def voted_papers(session: Session, user_id: int, paper_ids: list[int]) -> set[int]:
    """Which of `paper_ids` the user has upvoted (one query)."""
    if not paper_ids:
        return set()
    return set(session.scalars(
        select(Vote.paper_id).where(Vote.user_id == user_id, Vote.paper_id.in_(paper_ids))
    ))


# Built once: a page asks this on every signed-in view, and building and caching the
# statement anew costs more than running it.
_VOTE_STATE = (
    select(Paper.id, Paper.vote_count, Vote.id)
    .outerjoin(Vote, (Vote.paper_id == Paper.id) & (Vote.user_id == bindparam("user_id")))
    .where(Paper.id.in_(bindparam("ids", expanding=True)))
)


def vote_state(session: Session, user_id: int | None,
               paper_ids: list[int]) -> dict[int, tuple[int, bool]]:
    """Each of `paper_ids`: its current vote count and whether the user upvoted it (one
    query by primary key; `user_id` None: nobody has voted)."""
    if not paper_ids:
        return {}
    rows = session.connection().execute(
        _VOTE_STATE, {"user_id": -1 if user_id is None else user_id, "ids": paper_ids})
    return {pid: (count, vote is not None) for pid, count, vote in rows}


def _listed_since(cutoff: date) -> Any:
    """Papers with a visible daily entry on or after `cutoff`."""
    return (
        select(DailyEntry.id)
        .where(DailyEntry.paper_id == Paper.id, DailyEntry.hidden.is_(False),
               DailyEntry.day >= cutoff)
        .exists()
    )


def trending_list(
    session: Session, cutoff: date, *, limit: int | None = None, offset: int = 0
) -> list[Paper]:
    """Papers with a trending key and a visible daily entry since `cutoff`, highest key
    first (walks the trending_key index)."""
    return list(session.scalars(
        select(Paper)
        .where(Paper.trending_key.is_not(None), _listed_since(cutoff))
        .order_by(Paper.trending_key.desc(), Paper.id)
        .limit(limit)
        .offset(offset or None)
    ))


def trending_count(session: Session, cutoff: date) -> int:
    """How many papers :func:`trending_list` walks through: those with a trending key
    and a visible daily entry since `cutoff`. Counted from the entries' day index (a few
    thousand rows), not by scanning every paper with a key."""
    return int(session.scalar(
        select(func.count(func.distinct(DailyEntry.paper_id)))
        .join(Paper, Paper.id == DailyEntry.paper_id)
        .where(DailyEntry.day >= cutoff, DailyEntry.hidden.is_(False),
               Paper.trending_key.is_not(None))
    ) or 0)


@dataclass(slots=True)
class PeriodItem:
    paper: Paper
    last_day: date  # the paper's latest visible list day in the period


def _period_entries(start: date, end: date) -> Any:
    return (
        select(DailyEntry.paper_id.label("paper_id"),
               func.max(DailyEntry.day).label("last_day"),
               func.max(DailyEntry.submitted_at).label("last_at"))
        .where(DailyEntry.day >= start, DailyEntry.day < end, DailyEntry.hidden.is_(False))
        .group_by(DailyEntry.paper_id)
        .subquery()
    )


def period_list(
    session: Session, start: date, end: date, sort: str = "votes", *,
    limit: int | None = None, offset: int = 0,
) -> list[PeriodItem]:
    """Papers with a visible daily entry on a day in [start, end), each once, most votes
    first (or newest entry first with sort='time')."""
    entries = _period_entries(start, end)
    order = (
        (Paper.vote_count.desc(), entries.c.last_at.desc())
        if sort == "votes" else (entries.c.last_at.desc(),)
    )
    rows = session.execute(
        select(Paper, entries.c.last_day)
        .join(entries, entries.c.paper_id == Paper.id)
        .order_by(*order, Paper.id)
        .limit(limit)
        .offset(offset or None)
    ).all()
    return [PeriodItem(paper=p, last_day=d) for p, d in rows]


def period_count(session: Session, start: date, end: date) -> int:
    return int(session.scalar(
        select(func.count(func.distinct(DailyEntry.paper_id)))
        .where(DailyEntry.day >= start, DailyEntry.day < end, DailyEntry.hidden.is_(False))
    ) or 0)


def listed_days_around(session: Session, start: date, end: date) -> tuple[date | None, date | None]:
    """The latest visible list day before `start` and the earliest on or after `end`."""
    visible = DailyEntry.hidden.is_(False)
    prev = session.scalar(select(func.max(DailyEntry.day)).where(DailyEntry.day < start, visible))
    nxt = session.scalar(select(func.min(DailyEntry.day)).where(DailyEntry.day >= end, visible))
    return prev, nxt


def user_by_key(session: Session, key: str) -> User | None:
    """The account whose username_key (casefolded username) is `key` (None for a key no
    username can have, such as one with a NUL, which PostgreSQL refuses in text)."""
    if "\x00" in key:
        return None
    return session.scalar(select(User).where(User.username_key == key))


def submitted_by_user(session: Session, user_id: int, limit: int = 50) -> list[DailyItem]:
    """The visible daily entries a user submitted, newest first."""
    rows = session.execute(
        select(Paper, DailyEntry)
        .join(DailyEntry, DailyEntry.paper_id == Paper.id)
        .where(DailyEntry.submitted_by_id == user_id, DailyEntry.hidden.is_(False))
        .order_by(DailyEntry.day.desc(), DailyEntry.submitted_at.desc(), Paper.id)
        .limit(limit)
    ).all()
    return [DailyItem(paper=p, entry=e) for p, e in rows]


def upvoted_by_user(session: Session, user_id: int, limit: int = 50) -> list[Paper]:
    """The papers a user upvoted, latest vote first."""
    return list(session.scalars(
        select(Paper)
        .join(Vote, Vote.paper_id == Paper.id)
        .where(Vote.user_id == user_id)
        .order_by(Vote.created_at.desc(), Paper.id)
        .limit(limit)
    ))


def user_comment_count(session: Session, user_id: int) -> int:
    """How many of a user's comments readers can see (not hidden, not deleted)."""
    return int(session.scalar(
        select(func.count()).select_from(Comment).where(
            Comment.user_id == user_id, Comment.hidden.is_(False), Comment.deleted.is_(False)
        )
    ) or 0)

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


def latest_entries(
    session: Session, paper_ids: list[int], start: date | None = None, end: date | None = None,
) -> dict[int, DailyEntry]:
    """Each paper's latest visible daily entry (on a day in [start, end) when given), with
    its submitter loaded; papers without one are left out (one query)."""
    if not paper_ids:
        return {}
    where: list[ColumnElement[bool]] = [DailyEntry.paper_id.in_(paper_ids),
                                        DailyEntry.hidden.is_(False)]
    if start is not None:
        where.append(DailyEntry.day >= start)
    if end is not None:
        where.append(DailyEntry.day < end)
    entries = session.scalars(
        select(DailyEntry).options(joinedload(DailyEntry.submitted_by)).where(*where)
        .order_by(DailyEntry.day.desc(), DailyEntry.submitted_at.desc(), DailyEntry.id.desc())
    )
    latest: dict[int, DailyEntry] = {}
    for entry in entries:
        latest.setdefault(entry.paper_id, entry)
    return latest
