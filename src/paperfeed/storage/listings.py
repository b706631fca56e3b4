"""Papers on the daily lists of a date range, each once, with the entry that listed it:
what the Hugging Face-compatible ``/api/daily_papers`` pages through.

A paper listed on several days of the range appears once, with its latest visible entry
there (the day, the time it was listed and who submitted it). Hidden entries never count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session, joinedload

from paperfeed.storage.models import DailyEntry, Paper, User

ListOrder = Literal["time", "trending"]


@dataclass(frozen=True, slots=True)
class ListFilter:
    """Which visible daily entries count: days in [start, end) (None: unbounded) and,
    optionally, one submitter, matched by account (``username_key``, the casefolded
    username) or by the free-text name an imported list recorded."""

    start: date | None = None
    end: date | None = None
    submitter_key: str | None = None
    submitter_name: str | None = None

    def conditions(self) -> ColumnElement[bool]:
        """The SQL condition on DailyEntry for this filter."""
        parts: list[ColumnElement[bool]] = [DailyEntry.hidden.is_(False)]
        if self.start is not None:
            parts.append(DailyEntry.day >= self.start)
        if self.end is not None:
            parts.append(DailyEntry.day < self.end)
        by: list[ColumnElement[bool]] = []
        if self.submitter_key is not None:
            accounts = select(User.id).where(User.username_key == self.submitter_key)
            by.append(DailyEntry.submitted_by_id.in_(accounts))
        if self.submitter_name is not None:
            by.append(DailyEntry.submitted_by_name == self.submitter_name)
        if by:
            parts.append(or_(*by))
        condition: ColumnElement[bool] = true()
        for part in parts:
            condition = condition & part
        return condition


@dataclass(slots=True)
class ListedPaper:
    paper: Paper
    entry: DailyEntry  # the paper's latest visible entry that matches the filter


def listed_papers(
    session: Session, where: ListFilter, order: ListOrder = "time", *,
    limit: int = 50, offset: int = 0,
) -> list[ListedPaper]:
    """One page of the papers with an entry matching `where`, each once.

    ``order="time"``: the latest matching entry's time, newest first. ``"trending"``:
    the stored trending key, highest first (papers without one last), as ``/trending``
    orders."""
    entries = (
        select(DailyEntry.paper_id.label("paper_id"),
               func.max(DailyEntry.submitted_at).label("last_at"))
        .where(where.conditions())
        .group_by(DailyEntry.paper_id)
        .subquery()
    )
    ordering: tuple[Any, ...] = (
        (entries.c.last_at.desc(), Paper.id) if order == "time"
        else (Paper.trending_key.desc().nulls_last(), Paper.id)
    )
    query = select(Paper).join(entries, entries.c.paper_id == Paper.id)
    papers = list(session.scalars(
        query.order_by(*ordering).limit(limit).offset(offset or None)))
    latest = latest_entries(session, [p.id for p in papers], where)
    return [ListedPaper(paper=p, entry=latest[p.id]) for p in papers if p.id in latest]


def latest_entries(
    session: Session, paper_ids: list[int], where: ListFilter | None = None
) -> dict[int, DailyEntry]:
    """Each paper's latest visible entry (by day, then time) that matches `where`, with
    its submitter loaded; papers never listed are absent."""
    if not paper_ids:
        return {}
    rows = session.scalars(
        select(DailyEntry)
        .options(joinedload(DailyEntry.submitted_by))
        .where(DailyEntry.paper_id.in_(paper_ids), (where or ListFilter()).conditions())
        .order_by(DailyEntry.day, DailyEntry.submitted_at, DailyEntry.id)
    )
    return {entry.paper_id: entry for entry in rows}  # later rows win: the latest entry
