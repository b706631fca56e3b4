"""The idempotent upsert of paper records, keyed on the arXiv id, in bulk.

Records are written in batches; each batch is one transaction (``BEGIN IMMEDIATE`` on
SQLite), so a crash or ``kill -9`` leaves whole batches or nothing, and running the
same import again finishes the job without duplicates. No ORM object per row: on SQLite
plain ``executemany`` (the keyword index's trigger applied once per batch); on
PostgreSQL the new papers and all versions are ``COPY``-ed into staging tables and
merged with one ``INSERT … SELECT … ON CONFLICT`` each, every paper carrying its
``search_vector`` (:func:`paperfeed.storage.terms.document_vector`, computed by the
parser process for a snapshot). The few papers already stored are merged in Python
(:mod:`paperfeed.ingest.merge`) and updated row by row.

Deleted records (an OAI ``status="deleted"`` header) change nothing: arXiv never
removes a paper's metadata, so they are only counted (``deleted``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
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
    is_sqlite,
    select_in,
    setwise_insert_triggers,
    staged,
    writes_search_vector,
)
from paperfeed.storage.engine import write_connection
from paperfeed.storage.models import utcnow
from paperfeed.storage.terms import document_vector

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
_UPDATE_PAPERS_PG = _UPDATE_PAPERS.replace(
    ", modified_at = ? WHERE", ", modified_at = ?, search_vector = ?::tsvector WHERE"
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

# PostgreSQL: the batch is COPYed into a staging table, then merged set-wise.
_STAGE_PAPERS = (
    "arxiv_id text, version integer, title text, abstract text, authors json, "
    "primary_category text, categories json, arxiv_comment text, journal_ref text, doi text, "
    "license text, published date, updated date, withdrawn boolean, links json, "
    "upstream_upvotes integer"
)
_MERGE_PAPERS = (
    "INSERT INTO papers (arxiv_id, " + ", ".join(COLUMNS)
    + ", vote_count, comment_count, created_at, modified_at) SELECT arxiv_id, "
    + ", ".join(COLUMNS) + ", 0, 0, %s, %s FROM pf_stage "
    "ON CONFLICT (arxiv_id) DO NOTHING RETURNING arxiv_id, id"
)
# ... with the search vector, written by paperfeed from revision 0007 on.
_STAGE_PAPERS_V = _STAGE_PAPERS + ", search_vector tsvector"
_MERGE_PAPERS_V = _MERGE_PAPERS.replace(
    ", vote_count,", ", search_vector, vote_count,").replace(", 0, 0,", ", search_vector, 0, 0,")
_STAGE_VERSIONS = "paper_id bigint, version integer, submitted timestamp, size text"
_MERGE_VERSIONS = (
    "INSERT INTO paper_versions (paper_id, version, submitted, size) "
    "SELECT paper_id, version, submitted, size FROM pf_stage "
    "ON CONFLICT (paper_id, version) DO UPDATE SET submitted = excluded.submitted, "
    "size = COALESCE(excluded.size, paper_versions.size) "
    "WHERE paper_versions.submitted IS NULL AND excluded.submitted IS NOT NULL"
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


def _insert_new(
    conn: Connection, inserts: list[tuple[Any, ...]], now: Any, vectors: bool
) -> list[tuple[str, int]]:
    """Insert new papers (rows of arxiv_id, the :data:`COLUMNS` values, then the
    search vector on PostgreSQL from 0007, or on SQLite the vote and comment counts and
    times); returns
    their (arxiv_id, id). A paper another writer stored meanwhile is left as that writer
    stored it. SQLite: ``executemany`` with the keyword index's trigger applied
    set-wise. PostgreSQL: ``COPY`` into a staging table and one ``INSERT … SELECT``
    (rows end with the search vector when ``vectors``)."""
    if not is_sqlite(conn):
        stage, merge = (_STAGE_PAPERS_V, _MERGE_PAPERS_V) if vectors else (
            _STAGE_PAPERS, _MERGE_PAPERS)
        ids: list[tuple[str, int]] = staged(conn, stage, inserts, merge, (now, now))
        if len(ids) < len(inserts):  # stored by another writer since the batch looked
            got = {a for a, _ in ids}
            missing = [r[0] for r in inserts if r[0] not in got]
            ids += select_in(conn, _SELECT_IDS, missing)
        return ids
    with setwise_insert_triggers(conn, "papers"):
        executemany(conn, _INSERT_PAPERS, inserts)
    return select_in(conn, _SELECT_IDS, [r[0] for r in inserts])


def _insert_row(rec: PaperRecord, enc: BulkEncoders) -> tuple[Any, ...]:
    """arxiv_id and the :data:`COLUMNS` values of a new paper: ``new_values(rec)``
    encoded, built directly (this is the hot path of a bulk import)."""
    version = rec.version
    if version is None:
        version = max((v.version for v in rec.versions), default=None) or 1
    cats = rec.categories
    return (
        rec.id, version, rec.title, rec.abstract or "", enc.json(rec.authors),
        rec.primary_category or (cats[0] if cats else None), enc.json(cats), rec.arxiv_comment,
        rec.journal_ref, rec.doi, rec.license, enc.date(rec.published), enc.date(rec.updated),
        bool(rec.withdrawn), enc.json(rec.links) if rec.links else "{}",
        rec.upstream_upvotes or 0,
    )


@dataclass(slots=True)
class PreparedPaper:
    """A paper whose INSERT values were already encoded as text (by a parser process,
    with :data:`TEXT_ENCODERS`), so a new paper costs the writer almost nothing.
    ``row`` is the :data:`COLUMNS` values in order; ``versions`` (version, submitted
    text, size); ``vector`` the PostgreSQL search vector (tsvector text) when asked for.
    Not for deleted records or daily lists."""

    id: str
    row: tuple[Any, ...]
    versions: list[tuple[Any, ...]]
    location: str | None = None
    vector: str | None = None

    @classmethod
    def from_record(cls, rec: PaperRecord, *, vector: bool = False) -> PreparedPaper:
        """``vector``: compute the search vector too (for PostgreSQL)."""
        enc = TEXT_ENCODERS
        return cls(
            rec.id,
            _insert_row(rec, enc)[1:],
            _version_rows(rec, enc),
            rec.location,
            document_vector(rec.title, rec.authors, rec.abstract or "") if vector else None,
        )

    def search_vector(self) -> str:
        """The search vector (computed here when the parser did not)."""
        if self.vector is None:
            row = self.row
            self.vector = document_vector(row[1], orjson.loads(row[3]), row[2])
        return self.vector

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
    if len({r[0] for r in rows}) < len(rows):
        rows = _one_per_version(rows)
    return rows


def _one_per_version(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """One row per version number, as writing the rows one after the other would leave
    it: the first, its missing date (and then size) taken from the first later row that
    has a date. (A set-wise merge cannot touch one row twice.)"""
    out: dict[Any, tuple[Any, ...]] = {}
    for version, submitted, size in rows:
        first = out.get(version)
        if first is None:
            out[version] = (version, submitted, size)
        elif first[1] is None and submitted is not None:
            out[version] = (version, submitted, size if size is not None else first[2])
    return list(out.values())


def _stored(row: tuple[Any, ...], enc: BulkEncoders) -> dict[str, Any]:
    values = dict(zip(COLUMNS, row[2:], strict=True))
    for col in _JSON:
        values[col] = enc.json_out(values[col])
    for col in _DATES:
        values[col] = enc.date_out(values[col])
    values["withdrawn"] = bool(values["withdrawn"])
    return values


@dataclass(slots=True)
class _Plan:
    """What one batch writes: new papers' rows, updates, and versions per paper."""

    inserts: list[tuple[Any, ...]] = field(default_factory=list)
    updates: list[tuple[Any, ...]] = field(default_factory=list)
    paper_ids: dict[str, int] = field(default_factory=dict)
    version_rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)


def _plan(
    batch: dict[str, PaperRecord | PreparedPaper],
    stored: dict[str, tuple[Any, ...]],
    enc: BulkEncoders,
    now: Any,
    vectors: bool,
    tail: tuple[Any, ...],
    report: IngestReport,
) -> _Plan:
    """Sort the batch into inserts (new papers) and updates (stored papers the merge
    rules change); new rows end with the search vector when ``vectors``, else with
    ``tail``."""
    plan = _Plan()
    for arxiv_id, item in batch.items():
        row = stored.get(arxiv_id)
        if type(item) is PreparedPaper:
            if row is None:
                plan.inserts.append(
                    (arxiv_id, *item.row, item.search_vector()) if vectors
                    else (arxiv_id, *item.row, *tail)
                )
                plan.version_rows[arxiv_id] = item.versions
                continue
            item = item.record()
        rec: PaperRecord = item  # type: ignore[assignment]
        plan.version_rows[arxiv_id] = _version_rows(rec, enc)
        if row is None:
            new = _insert_row(rec, enc)
            plan.inserts.append(
                (*new, document_vector(rec.title, rec.authors, rec.abstract or ""))
                if vectors else (*new, *tail)
            )
            continue
        plan.paper_ids[arxiv_id] = row[0]
        values = merged_values(_stored(row, enc), rec)
        if values is None:
            report.unchanged += 1
            continue
        update = (*_encode(values, enc), now)
        if vectors:
            update += (document_vector(values["title"], values["authors"], values["abstract"]),)
        plan.updates.append((*update, row[0]))
        report.updated += 1
    return plan


def _write_batch(
    conn: Connection,
    batch: dict[str, PaperRecord | PreparedPaper],
    report: IngestReport,
    vectors: bool,
) -> None:
    """Write one batch in the open transaction; ``vectors``: with the search vector."""
    enc = bulk_encoders(conn)
    now = enc.datetime(utcnow())
    sqlite = is_sqlite(conn)
    stored = {row[1]: row for row in select_in(conn, _SELECT_STORED, list(batch))}
    tail = (0, 0, now, now) if sqlite else ()  # PostgreSQL's merge adds them
    plan = _plan(batch, stored, enc, now, vectors, tail, report)
    paper_ids = plan.paper_ids
    if plan.inserts:
        paper_ids.update(_insert_new(conn, plan.inserts, now, vectors))
        report.added += len(plan.inserts)
    executemany(conn, _UPDATE_PAPERS_PG if vectors else _UPDATE_PAPERS, plan.updates)
    versions = [
        (paper_ids[arxiv_id], *v) for arxiv_id, rows in plan.version_rows.items() for v in rows
    ]
    if sqlite:
        executemany(conn, _UPSERT_VERSIONS, versions)
    elif versions:
        staged(conn, _STAGE_VERSIONS, versions, _MERGE_VERSIONS)
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
        with conn.begin():
            vectors = writes_search_vector(conn)

        def flush() -> None:
            if not batch:
                return
            with conn.begin():
                _write_batch(conn, batch, report, vectors)
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
