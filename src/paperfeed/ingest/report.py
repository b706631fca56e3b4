"""The one report of what papers-in work did, for imports and harvests alike."""

from __future__ import annotations

from dataclasses import dataclass, field

from paperfeed.records import RejectedRecord

_COUNTERS = ("added", "updated", "unchanged", "rejected", "deleted", "listed", "pages", "retries")


@dataclass(slots=True)
class IngestReport:
    """Counts of what an import or harvest did with the records it read.

    ``added``/``updated``/``unchanged``: what the upsert did with each paper;
    ``rejected``: entries that could not be read (``rejects`` holds them, with where and
    why, when the caller keeps them); ``deleted``: records a source marked deleted,
    counted and never applied; ``listed``: entries put on daily lists (Hugging Face
    imports, RSS harvests matching the operator's rules). Harvests also count ``pages``
    fetched and ``retries``, and say whether they ``resumed`` saved progress and ran to
    the ``complete`` end of the listing; ``notes`` are lines for the operator.
    """

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    deleted: int = 0
    listed: int = 0
    pages: int = 0
    retries: int = 0
    resumed: bool = False
    complete: bool = False
    rejects: list[RejectedRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def merge(self, other: IngestReport) -> IngestReport:
        """Add `other`'s counts and lists to this report (flags are left as they are)."""
        for name in _COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.rejects.extend(other.rejects)
        self.notes.extend(other.notes)
        return self

    @property
    def records(self) -> int:
        """Papers stored (added, updated or already up to date)."""
        return self.added + self.updated + self.unchanged

    @property
    def seen(self) -> int:
        """Every record read, stored or not."""
        return self.records + self.rejected + self.deleted

    def summary_parts(
        self, *, deleted_note: str, listed_label: str = "put on daily lists"
    ) -> list[str]:
        """``["3 added", "1 updated", …]`` for one-line summaries; zero-valued extras left out."""
        parts = [
            f"{self.added:,} added", f"{self.updated:,} updated",
            f"{self.unchanged:,} unchanged", f"{self.rejected:,} rejected",
        ]
        if self.deleted:
            parts.append(f"{self.deleted:,} deleted upstream ({deleted_note})")
        if self.listed:
            parts.append(f"{self.listed:,} {listed_label}")
        return parts
