"""The idempotent upsert of paper records, keyed on the arXiv id, in bulk.

Records are written in batches; each batch is one transaction (``BEGIN IMMEDIATE`` on
SQLite), so a crash or ``kill -9`` leaves whole batches or nothing, and running the
same import again finishes the job without duplicates. Rows are written with plain
``executemany`` (no ORM object per row) so triggers (the keyword index) fire as usual.

Deleted records (an OAI ``status="deleted"`` header) change nothing: arXiv never
removes a paper's metadata, so they are only counted (``deleted``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from paperfeed.ingest.merge import COLUMNS, merged_values
from paperfeed.ingest.report import IngestReport
from paperfeed.records import PaperRecord, RejectedRecord, VersionRecord
from paperfeed.storage.dialect import (
    TEXT_ENCODERS,
    BulkEncoders,
    bulk_encoders,
    bulk_write_settings,
    execute_count,
    executemany,
    select_in,
    setwise_insert_triggers,
)
from paperfeed.storage.engine import write_connection
from paperfeed.storage.models import utcnow

_JSON = frozenset({"authors", "categories", "links"})
_DATES = frozenset({"published", "updated"})

_INSERT_PAPERS = (
    "INSERT INTO papers (arxiv_id, " + ", ".join(COLUMNS)
    + ", vote_count, comment_count, created_at, modified_at) VALUES ("
    + ", ".join("?" * (len(COLUMNS) + 5)) + ") ON CONFLICT (arxiv_id) DO NOTHING"
)
_UPDATE_PAPERS = (
    "UPDATE papers SET " + ", ".join(f"{c} = ?" for c in COLUMNS) + ", modified_at = ? WHERE id = ?"
)
_UPSERT_VERSIONS = (
    "INSERT INTO paper_versions (paper_id, version, submitted, size) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (paper_id, version) DO UPDATE SET submitted = excluded.submitted, "
    "size = COALESCE(excluded.size, paper_versions.size) "
    "WHERE paper_versions.submitted IS NULL AND excluded.submitted IS NOT NULL"
)
_INSERT_DAILY = (
    "INSERT INTO daily_entries (day, paper_id, submitted_by_name, submitted_at, source) "
    "VALUES (?, ?, ?, ?, 'import') ON CONFLICT (day, paper_id) DO NOTHING"
)


_SELECT_STORED = (
    "SELECT id, arxiv_id, " + ", ".join(COLUMNS) + " FROM papers WHERE arxiv_id IN ?list"
)
_SELECT_IDS = "SELECT arxiv_id, id FROM papers WHERE arxiv_id IN ?list"


def _encode(values: dict[str, Any], enc: BulkEncoders) -> list[Any]:
    out = []
    for col in COLUMNS:
        v = values[col]
        if col in _JSON:
            v = enc.json(v)
        elif col in _DATES:
            v = enc.date(v)
        out.append(v)
    return out


def _insert_row(rec: PaperRecord, enc: BulkEncoders, now: Any) -> tuple[Any, ...]:
    """The INSERT parameters of a new paper: ``new_values(rec)`` encoded, built directly
    (this is the hot path of a bulk import)."""
    version = rec.version
    if version is None:
        version = max((v.version for v in rec.versions), default=None) or 1
    cats = rec.categories
    return (
        rec.id, version, rec.title, rec.abstract or "", enc.json(rec.authors),
        rec.primary_category or (cats[0] if cats else None), enc.json(cats), rec.arxiv_comment,
        rec.journal_ref, rec.doi, rec.license, enc.date(rec.published), enc.date(rec.updated),
        bool(rec.withdrawn), enc.json(rec.links) if rec.links else "{}",
        rec.upstream_upvotes or 0, 0, 0, now, now,
    )


@dataclass(slots=True)
class PreparedPaper:
    """A paper whose INSERT values were already encoded as text (by a parser process,
    with :data:`TEXT_ENCODERS`), so a new paper costs the writer almost nothing.
    ``row`` is the :data:`COLUMNS` values in order; ``versions`` (version, submitted
    text, size). Not for deleted records or daily lists."""

    id: str
    row: tuple[Any, ...]
    versions: list[tuple[Any, ...]]
    location: str | None = None

    @classmethod
    def from_record(cls, rec: PaperRecord) -> PreparedPaper:
        enc = TEXT_ENCODERS
        return cls(
            rec.id,
            _insert_row(rec, enc, None)[1:-4],
            _version_rows(rec, enc),
            rec.location,
        )

    def record(self) -> PaperRecord:
        """The record back (to merge into a stored paper)."""
        values = dict(zip(COLUMNS, self.row, strict=True))
        for col in _JSON:
            values[col] = orjson.loads(values[col])
        for col in _DATES:
            values[col] = TEXT_ENCODERS.date_out(values[col])
        versions = [
            VersionRecord(v, datetime.fromisoformat(when) if when else None, size)
            for v, when, size in self.versions
        ]
        upvotes = values.pop("upstream_upvotes")
        return PaperRecord(
            id=self.id, versions=versions, location=self.location,
            upstream_upvotes=upvotes or None, **values,
        )


def _version_rows(rec: PaperRecord, enc: BulkEncoders) -> list[tuple[Any, ...]]:
    """(version, submitted, size) rows of a record, its own version included."""
    rows = []
    listed = False
    for v in rec.versions:
        listed = listed or v.version == rec.version
        rows.append((v.version, enc.datetime(v.submitted), v.size))
    if rec.version is not None and not listed:
        rows.append((rec.version, None, None))
    return rows


def _stored(row: tuple[Any, ...], enc: BulkEncoders) -> dict[str, Any]:
    values = dict(zip(COLUMNS, row[2:], strict=True))
    for col in _JSON:
        values[col] = enc.json_out(values[col])
    for col in _DATES:
        values[col] = enc.date_out(values[col])
    values["withdrawn"] = bool(values["withdrawn"])
    return values


def _write_batch(
    conn: Connection, batch: dict[str, PaperRecord | PreparedPaper], report: IngestReport
) -> None:
    enc = bulk_encoders(conn)
    now = enc.datetime(utcnow())
    stored = {row[1]: row for row in select_in(conn, _SELECT_STORED, list(batch))}
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    paper_ids: dict[str, int] = {}
    version_rows: dict[str, list[tuple[Any, ...]]] = {}
    for arxiv_id, item in batch.items():
        row = stored.get(arxiv_id)
        if type(item) is PreparedPaper:
            if row is None:
                inserts.append((arxiv_id, *item.row, 0, 0, now, now))
                version_rows[arxiv_id] = item.versions
                continue
            item = item.record()
        rec: PaperRecord = item  # type: ignore[assignment]
        version_rows[arxiv_id] = _version_rows(rec, enc)
        if row is None:
            inserts.append(_insert_row(rec, enc, now))
            continue
        paper_ids[arxiv_id] = row[0]
        values = merged_values(_stored(row, enc), rec)
        if values is None:
            report.unchanged += 1
        else:
            updates.append((*_encode(values, enc), now, row[0]))
            report.updated += 1
    if inserts:
        with setwise_insert_triggers(conn, "papers"):
            executemany(conn, _INSERT_PAPERS, inserts)
        paper_ids.update(select_in(conn, _SELECT_IDS, [r[0] for r in inserts]))
        report.added += len(inserts)
    executemany(conn, _UPDATE_PAPERS, updates)
    versions = [
        (paper_ids[arxiv_id], *v) for arxiv_id, rows in version_rows.items() for v in rows
    ]
    executemany(conn, _UPSERT_VERSIONS, versions)
    for arxiv_id, entry in batch.items():
        if isinstance(entry, PaperRecord) and entry.daily_day is not None:
            report.listed += execute_count(
                conn, _INSERT_DAILY,
                (enc.date(entry.daily_day), paper_ids[arxiv_id], entry.submitted_by, now),
            )


def upsert_records(
    engine: Engine,
    records: Iterable[PaperRecord | PreparedPaper],
    *,
    batch_size: int = 2000,
    on_reject: Callable[[RejectedRecord], None] | None = None,
    on_batch: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Store the records; returns the counts. Each batch of ``batch_size`` is one
    transaction. ``on_batch`` gets the running report after every committed batch."""
    report = IngestReport()
    batch: dict[str, PaperRecord | PreparedPaper] = {}
    with (
        write_connection(engine) as conn,
        bulk_write_settings(conn),
    ):

        def flush() -> None:
            if not batch:
                return
            with conn.begin():
                _write_batch(conn, batch, report)
            batch.clear()
            if on_batch is not None:
                on_batch(report)

        for rec in records:
            if type(rec) is not PreparedPaper:
                assert isinstance(rec, PaperRecord)
                if not _storable(rec, report, on_reject):
                    continue
            if rec.id in batch:
                # The same paper twice in a file: the later one sees the earlier one stored.
                flush()
            batch[rec.id] = rec
            if len(batch) >= batch_size:
                flush()
        flush()
    return report


def _storable(
    rec: PaperRecord, report: IngestReport, on_reject: Callable[[RejectedRecord], None] | None
) -> bool:
    """Whether a parsed record goes on to be stored; counts (and reports) the ones that don't."""
    if rec.deleted:
        report.deleted += 1
        return False
    if not rec.id or not rec.title:
        report.rejected += 1
        if on_reject is not None:
            where = rec.location or rec.id or "?"
            on_reject(RejectedRecord(where, "missing id or title"))
        return False
    return True
