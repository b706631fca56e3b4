"""Put papers on a day's list by hand (``paperfeed feature``) or by rules (harvests)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Connection, Engine, select

from paperfeed.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.storage.dialect import insert_ignore
from paperfeed.storage.engine import write_transaction
from paperfeed.storage.models import DailyEntry, Paper, utcnow


@dataclass(slots=True)
class FeatureResult:
    """Canonical ids put on the list, ids already on it, and ids not in the database
    (or not arXiv ids at all; those are kept as given)."""

    added: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def feature(
    engine: Engine,
    day: date,
    arxiv_ids: Iterable[str],
    *,
    source: str = "manual",
    submitted_by: str | None = None,
    submitted_by_id: int | None = None,
) -> FeatureResult:
    """Add papers (ids in any pasted form) to ``day``'s list in one transaction.

    Papers already on that day's list are left alone (reported in ``already``);
    ids that are malformed or not stored are reported in ``unknown``.
    """
    result = FeatureResult()
    wanted: list[str] = []
    for raw in arxiv_ids:
        try:
            canonical = parse_arxiv_id(raw).id
        except InvalidArxivId:
            result.unknown.append(raw.strip())
            continue
        if canonical not in wanted:
            wanted.append(canonical)
    if not wanted:
        return result
    with write_transaction(engine) as conn:
        paper_ids: dict[str, int] = {
            arxiv_id: pid
            for arxiv_id, pid in conn.execute(
                select(Paper.arxiv_id, Paper.id).where(Paper.arxiv_id.in_(wanted))
            )
        }
        listed = set(
            conn.execute(
                select(DailyEntry.paper_id).where(
                    DailyEntry.day == day, DailyEntry.paper_id.in_(list(paper_ids.values()))
                )
            ).scalars()
        )
        now = utcnow()
        for arxiv_id in wanted:
            pid = paper_ids.get(arxiv_id)
            if pid is None:
                result.unknown.append(arxiv_id)
                continue
            if pid in listed:
                result.already.append(arxiv_id)
                continue
            inserted = insert_entry(
                conn, day=day, paper_id=pid, source=source, submitted_by_id=submitted_by_id,
                submitted_by_name=submitted_by, submitted_at=now,
            )
            # A concurrent writer may have listed it in between (PostgreSQL).
            (result.added if inserted else result.already).append(arxiv_id)
            listed.add(pid)
    return result


def insert_entry(
    conn: Connection, *, day: date, paper_id: int, source: str,
    submitted_by_id: int | None = None, submitted_by_name: str | None = None,
    submitted_at: datetime | None = None,
) -> bool:
    """Insert one daily entry unless (day, paper) is listed already; whether a row was
    written. Told by ``RETURNING`` (a row back or none), never by the cursor's
    ``rowcount``, which drivers may report as -1 for an INSERT … ON CONFLICT."""
    table = DailyEntry.__table__
    stmt = insert_ignore(conn, table, ["day", "paper_id"]).values(  # type: ignore[arg-type]
        day=day, paper_id=paper_id, source=source, submitted_by_id=submitted_by_id,
        submitted_by_name=submitted_by_name, submitted_at=submitted_at or utcnow(),
    ).returning(table.c.id)
    return conn.execute(stmt).first() is not None
