"""`feature()` puts stored papers on a day's list; duplicates and unknown ids are reported."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from paperfeed.ingest.daily import feature
from paperfeed.storage.models import DailyEntry, Paper

DAY = date(2024, 10, 25)


def add_papers(session: Session, *arxiv_ids: str) -> None:
    session.add_all([Paper(arxiv_id=a, title=f"Paper {a}") for a in arxiv_ids])
    session.commit()


def listed(session: Session, day: date) -> list[tuple[str, str, str | None]]:
    session.rollback()  # see what other connections committed
    rows = session.execute(
        select(Paper.arxiv_id, DailyEntry.source, DailyEntry.submitted_by_name)
        .join(DailyEntry, DailyEntry.paper_id == Paper.id)
        .where(DailyEntry.day == day)
        .order_by(Paper.arxiv_id)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_feature_adds_refuses_duplicates_and_reports_unknown(
    engine: Engine, session: Session
) -> None:
    add_papers(session, "2410.00001", "hep-th/9901001")
    result = feature(
        engine, DAY, ["https://arxiv.org/abs/2410.00001v2", "hep-th/9901001", "2410.99999",
                      "not-an-id"], submitted_by="ann",
    )
    assert result.added == ["2410.00001", "hep-th/9901001"]
    assert result.already == []
    assert result.unknown == ["not-an-id", "2410.99999"]
    assert listed(session, DAY) == [
        ("2410.00001", "manual", "ann"), ("hep-th/9901001", "manual", "ann"),
    ]

    again = feature(engine, DAY, ["arXiv:2410.00001", "2410.00001v1"], source="rule")
    assert again.added == []
    assert again.already == ["2410.00001"]
    assert len(listed(session, DAY)) == 2

    # Another day is another list.
    other = feature(engine, date(2024, 10, 26), ["2410.00001"], source="rule")
    assert other.added == ["2410.00001"]
    assert listed(session, date(2024, 10, 26)) == [("2410.00001", "rule", None)]


def test_insert_entry_tells_a_new_row_from_a_listed_one(engine: Engine, session: Session) -> None:
    """Whether a row was written comes from RETURNING, not from the cursor's rowcount
    (which PostgreSQL drivers may give as -1): right on both databases."""
    from paperfeed.ingest.daily import insert_entry
    from paperfeed.storage.engine import write_transaction

    add_papers(session, "2410.00001")
    pid = session.scalar(select(Paper.id))
    assert pid is not None
    with write_transaction(engine) as conn:
        assert insert_entry(conn, day=DAY, paper_id=pid, source="manual") is True
        assert insert_entry(conn, day=DAY, paper_id=pid, source="rule") is False
    assert listed(session, DAY) == [("2410.00001", "manual", None)]


def test_feature_reports_a_paper_listed_by_a_concurrent_writer(
    engine: Engine, session: Session
) -> None:
    """A writer that lists the paper after feature() looked: feature() says 'already'
    and counts it once (the insert itself is what tells, on both databases)."""
    import threading

    from sqlalchemy import event

    from paperfeed.ingest.daily import insert_entry
    from paperfeed.storage.engine import write_transaction

    add_papers(session, "2410.00001", "2410.00002")
    ids = {a: i for a, i in session.execute(select(Paper.arxiv_id, Paper.id)).tuples()}
    done = threading.Event()

    def sneak_in(conn: object, *_args: object) -> None:
        # Runs inside feature()'s transaction, after its "already listed?" read and just
        # before its first insert: list the paper as if another writer had, first.
        if done.is_set():
            return
        done.set()
        with write_transaction(engine) as other:
            insert_entry(other, day=DAY, paper_id=ids["2410.00001"], source="rule")

    if engine.dialect.name == "sqlite":
        # One writer at a time on SQLite: the other writer's row goes in through the
        # same connection instead (the state feature() meets is the same).
        def sneak_same(conn: object, cursor: object, statement: str, *_a: object) -> None:
            if statement.startswith("INSERT INTO daily_entries") and not done.is_set():
                done.set()
                cursor.execute(  # type: ignore[attr-defined]
                    "INSERT INTO daily_entries (day, paper_id, source, submitted_at) "
                    "VALUES (?, ?, 'rule', '2024-10-25 00:00:00.000000')",
                    (DAY.isoformat(), ids["2410.00001"]),
                )

        event.listen(engine, "before_cursor_execute", sneak_same)
        try:
            result = feature(engine, DAY, ["2410.00001", "2410.00002"])
        finally:
            event.remove(engine, "before_cursor_execute", sneak_same)
    else:
        def before(conn: object, cursor: object, statement: str, *_a: object) -> None:
            if statement.startswith("INSERT INTO daily_entries"):
                sneak_in(conn)

        event.listen(engine, "before_cursor_execute", before)
        try:
            result = feature(engine, DAY, ["2410.00001", "2410.00002"])
        finally:
            event.remove(engine, "before_cursor_execute", before)
    assert result.added == ["2410.00002"]
    assert result.already == ["2410.00001"]
    assert listed(session, DAY) == [("2410.00001", "rule", None), ("2410.00002", "manual", None)]
