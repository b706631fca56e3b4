"""The JSON shapes of the Hugging Face Hub's papers API, built from stored papers: pure
functions, so the routes in :mod:`paperfeed.web.api.hf` only look things up.

- a *daily entry* (``/api/daily_papers``, ``/api/papers/search``): ``{"paper": {...},
  "publishedAt" (when it was listed), "title", "summary", "numComments", "submittedBy",
  "isAuthorParticipating"}``;
- a *paper* (``/api/papers/{id}``): the flat paper object, plus ``numComments``.

Times are UTC as the Hub writes them, ``YYYY-MM-DDTHH:MM:SS.sssZ``; a date without a time
(a paper's first-version date, or its latest version's when a source gave only that)
is midnight. Fields the site does not have (thumbnails,
avatars, AI summaries, linked models) are left out rather than sent as null. The ``_id``
and ``discussionId`` values are 24 hex digits like the Hub's, derived from the arXiv id
(or the account id), so they are stable.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any

from paperfeed.storage.models import DailyEntry, Paper, User


def hub_time(value: datetime | date) -> str:
    """`value` (a naive datetime is UTC) as ``YYYY-MM-DDTHH:MM:SS.sssZ``."""
    if not isinstance(value, datetime):
        return f"{value.isoformat()}T00:00:00.000Z"
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"


def object_id(kind: str, key: str) -> str:
    """A stable 24-hex-digit id, shaped like the Hub's object ids."""
    return hashlib.sha256(f"{kind}\0{key}".encode()).hexdigest()[:24]


def user_object(user: User | None, name: str | None = None) -> dict[str, Any] | None:
    """The Hub's user object for a submitting account, or for the free-text name an
    imported list recorded; None when nobody is known."""
    if user is not None:
        return {"_id": object_id("user", str(user.id)), "fullname": user.display_name
                or user.username, "user": user.username, "type": "user", "isPro": False}
    if name:
        return {"fullname": name, "user": name, "type": "user", "isPro": False}
    return None


def _submitter(entry: DailyEntry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return user_object(entry.submitted_by, entry.submitted_by_name)


def _authors(paper: Paper) -> list[dict[str, Any]]:
    return [{"_id": object_id("author", f"{paper.arxiv_id}/{index}"), "name": name,
             "hidden": False} for index, name in enumerate(paper.authors or [])]


def paper_object(paper: Paper, entry: DailyEntry | None) -> dict[str, Any]:
    """The Hub's paper object: `entry` is the daily entry that listed it, if any."""
    out: dict[str, Any] = {"id": paper.arxiv_id, "authors": _authors(paper)}
    published = paper.published or paper.updated  # some sources give only the latest
    if published is not None:
        out["publishedAt"] = hub_time(published)
    if entry is not None:
        out["submittedOnDailyAt"] = hub_time(entry.submitted_at)
    out["title"] = paper.title
    submitter = _submitter(entry)
    if submitter is not None:
        out["submittedOnDailyBy"] = submitter
    out["summary"] = paper.abstract or ""
    out["upvotes"] = paper.vote_count or 0
    out["discussionId"] = object_id("discussion", paper.arxiv_id)
    return out


def paper_info(paper: Paper, entry: DailyEntry | None) -> dict[str, Any]:
    """``/api/papers/{id}``: the paper object and its comment count."""
    return {**paper_object(paper, entry), "numComments": paper.comment_count or 0}


def daily_entry(paper: Paper, entry: DailyEntry | None) -> dict[str, Any]:
    """One item of ``/api/daily_papers`` (and of ``/api/papers/search``): the paper
    nested, and the listing around it (left out for a paper never listed)."""
    out: dict[str, Any] = {"paper": paper_object(paper, entry)}
    if entry is not None:
        out["publishedAt"] = hub_time(entry.submitted_at)
    out["title"] = paper.title
    out["summary"] = paper.abstract or ""
    out["numComments"] = paper.comment_count or 0
    submitter = _submitter(entry)
    if submitter is not None:
        out["submittedBy"] = submitter
    out["isAuthorParticipating"] = False
    return out
