"""Stored rows as the /api/v1 models: pure functions, nothing read from the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from paperfeed.render.markdown import render_comment
from paperfeed.render.threads import Row
from paperfeed.storage.models import Comment, DailyEntry, Paper, User
from paperfeed.storage.paper_json import paper_to_dict
from paperfeed.web.api.v1_models import (
    CommentJSON,
    Listing,
    ListItem,
    PaperDetail,
    PaperSummary,
    Submitter,
)


def iso_z(moment: datetime) -> str:
    """A stored time (naive UTC, or aware) as ISO 8601 UTC ending in Z."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def day_text(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def paper_url(arxiv_id: str) -> str:
    return "/papers/" + quote(arxiv_id, safe="/")


def user_url(username: str) -> str:
    return "/users/" + quote(username, safe="")


def paper_summary(paper: Paper) -> PaperSummary:
    return PaperSummary(**paper_to_dict(paper), comment_count=paper.comment_count,
                        url=paper_url(paper.arxiv_id))


def submitter(entry: DailyEntry | None) -> Submitter | None:
    """Who put the entry's paper on the list, as the page says it (an account's username,
    else the name given)."""
    if entry is None:
        return None
    account: User | None = entry.submitted_by
    return Submitter(
        username=account.username if account is not None else None,
        name=None if account is not None else entry.submitted_by_name,
        source=entry.source,
    )


def paper_detail(paper: Paper, entries: Sequence[DailyEntry]) -> PaperDetail:
    return PaperDetail(
        **paper_summary(paper).model_dump(),
        listed=[Listing(day=e.day.isoformat(), submitter=submitter(e)) for e in entries],
    )


def list_item(rank: int, paper: Paper, entry: DailyEntry | None,
              listed_day: date | None = None) -> ListItem:
    """One list item; `listed_day` defaults to the entry's day."""
    if listed_day is None and entry is not None:
        listed_day = entry.day
    return ListItem(rank=rank, listed_day=day_text(listed_day), submitter=submitter(entry),
                    paper=paper_summary(paper))


def comment_json(row: Row[Any]) -> CommentJSON:
    """A row of the flattened thread as the page shows it: placeholders keep only their
    place in the thread."""
    comment: Comment = row.comment
    shown = row.placeholder is None
    author = comment.user.username if shown and comment.user is not None else None
    return CommentJSON(
        id=comment.id,
        parent_id=row.parent.id if row.parent is not None else None,
        depth=row.depth,
        author=author,
        created_at=iso_z(comment.created_at),
        edited_at=iso_z(comment.edited_at) if shown and comment.edited_at else None,
        body=comment.body if shown else None,
        body_html=str(render_comment(comment.body)) if shown else None,
        placeholder=row.placeholder,
    )
