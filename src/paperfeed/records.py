"""The normalised paper record every source parses into, before storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(slots=True)
class VersionRecord:
    version: int
    submitted: datetime | None = None
    size: str | None = None


@dataclass(slots=True)
class PaperRecord:
    """One paper as a source describes it. ``id`` is canonical (no version).

    Text fields are already folded (single spaces). ``categories`` has the primary
    first. ``version`` is the latest version the source knows (None when unknown).
    """

    id: str
    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    primary_category: str | None = None
    categories: list[str] = field(default_factory=list)
    version: int | None = None
    published: date | None = None
    updated: date | None = None
    # arXiv's free-text author note ("10 pages, 3 figures"); not user comments.
    arxiv_comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    license: str | None = None
    withdrawn: bool = False
    versions: list[VersionRecord] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)
    # Signals some sources carry (Hugging Face daily papers).
    upstream_upvotes: int | None = None
    daily_day: date | None = None
    submitted_by: str | None = None
    # Where the record came from, for reports: "file:line" or a record id.
    location: str | None = None
    # How the listing announced it (arXiv RSS: new, cross, replace, replace-cross).
    announce_type: str | None = None
    deleted: bool = False


@dataclass(slots=True)
class RejectedRecord:
    """A record a parser could not turn into a PaperRecord."""

    location: str
    reason: str
    raw: str = ""
