"""What every source parser returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from paperfeed.records import PaperRecord, RejectedRecord


@dataclass(slots=True)
class Parsed:
    """One parsed response or file.

    ``records`` are the papers in source order (OAI ``status="deleted"`` records are
    included with ``deleted=True`` and also listed in ``deleted_ids``); ``rejected``
    the entries that could not be read, each with where it was and why.
    Paging metadata is set where the source has it.
    """

    records: list[PaperRecord] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)
    # arXiv API (OpenSearch)
    total_results: int | None = None
    start_index: int | None = None
    items_per_page: int | None = None
    # OAI-PMH
    resumption_token: str | None = None
    complete_list_size: int | None = None
    cursor: int | None = None
    deleted_ids: list[str] = field(default_factory=list)
    response_date: datetime | None = None
    # arXiv RSS: the announcement day of the listing
    announce_day: date | None = None

    @property
    def entries(self) -> int:
        """Entries seen in the response (kept, deleted and rejected)."""
        return len(self.records) + len(self.rejected)
