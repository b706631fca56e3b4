"""The idempotent upsert on both databases: re-import, newer/older versions, HF lists."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, Engine, text

from paperfeed.ingest.upsert import IngestReport, upsert_records
from paperfeed.records import PaperRecord, RejectedRecord, VersionRecord
from paperfeed.sources.snapshot import iter_snapshot
from paperfeed.storage.engine import session_factory
from paperfeed.storage.paper_json import paper_to_dict
from paperfeed.storage.queries import get_paper
from tests.conftest import FIXTURES
from tests.ingest.helpers import count, dump
from tests.times import naive_utc

HEAD200 = FIXTURES / "kaggle_arxiv-metadata-oai-snapshot_head200.jsonl"


def snapshot_records() -> list[PaperRecord]:
    with HEAD200.open("rb") as f:
        return [r for r in iter_snapshot(f, "head200") if isinstance(r, PaperRecord)]


def paper(engine: Engine, arxiv_id: str) -> dict[str, object]:
    with session_factory(engine)() as s:
        p = get_paper(s, arxiv_id)
        assert p is not None
        data = paper_to_dict(p)
        data["versions"] = [(v.version, v.submitted) for v in p.versions]
        data["upstream_upvotes"] = p.upstream_upvotes
        return data


def rec(version: int, title: str, **kw: object) -> PaperRecord:
    return PaperRecord(
        id="2401.00001", title=title, abstract=f"Abstract of v{version}", authors=["Ann"],
        categories=["cs.LG"], primary_category="cs.LG", version=version,
        versions=[VersionRecord(version, naive_utc(2024, 1, version))],
        published=date(2024, 1, 1), updated=date(2024, 1, version), **kw,  # type: ignore[arg-type]
    )


def test_snapshot_import_stores_every_field(engine: Engine) -> None:
    report = upsert_records(engine, snapshot_records(), batch_size=64)
    assert report == IngestReport(added=200)
    p = paper(engine, "0704.0001")
    assert p["authors"] == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert p["version"] == 2
    assert p["versions"] == [
        (1, naive_utc(2007, 4, 2, 19, 18, 42)), (2, naive_utc(2007, 7, 24, 20, 10, 27)),
    ]
    assert p["published"] == "2007-04-02" and p["updated"] == "2007-07-24"
    assert p["doi"] == "10.1103/PhysRevD.76.013009"
    assert p["journal_ref"] == "Phys.Rev.D76:013009,2007"
    assert p["categories"] == ["hep-ph"] and p["primary_category"] == "hep-ph"
    assert p["license"] is None and p["withdrawn"] is False
    assert paper(engine, "0704.0156")["withdrawn"] is True
    assert count(engine, "SELECT count(*) FROM paper_versions") == sum(
        len(r.versions) for r in snapshot_records()
    )


def test_reimport_changes_nothing(engine: Engine) -> None:
    upsert_records(engine, snapshot_records(), batch_size=50)
    before = dump(engine)
    again = upsert_records(engine, snapshot_records(), batch_size=77)
    assert again == IngestReport(unchanged=200)
    assert dump(engine) == before


def test_newer_version_updates_and_older_never_overwrites(engine: Engine) -> None:
    assert upsert_records(engine, [rec(2, "Second")]) == IngestReport(added=1)
    assert upsert_records(engine, [rec(3, "Third", doi="10.1/x")]) == IngestReport(updated=1)
    p = paper(engine, "2401.00001")
    assert p["version"] == 3 and p["title"] == "Third" and p["abstract"] == "Abstract of v3"
    assert p["doi"] == "10.1/x" and p["updated"] == "2024-01-03"
    assert [v for v, _ in p["versions"]] == [2, 3]  # type: ignore[attr-defined]

    with engine.begin() as conn:  # community signals are never touched by imports
        conn.execute(text("UPDATE papers SET vote_count = 5, comment_count = 2"))
    assert upsert_records(engine, [rec(4, "Fourth")]) == IngestReport(updated=1)
    assert paper(engine, "2401.00001")["upvotes"] == 5

    before = dump(engine)
    assert upsert_records(engine, [rec(1, "First")]) == IngestReport(unchanged=1)
    after = dump(engine)
    assert after["papers"] == before["papers"]
    # The older version is still recorded in the history.
    versions = paper(engine, "2401.00001")["versions"]
    assert [v for v, _ in versions] == [1, 2, 3, 4]  # type: ignore[attr-defined]


def test_same_paper_twice_in_one_batch_keeps_the_newest(engine: Engine) -> None:
    report = upsert_records(engine, [rec(1, "First"), rec(3, "Third"), rec(2, "Second")])
    assert report == IngestReport(added=1, updated=1, unchanged=1)
    assert count(engine, "SELECT count(*) FROM papers") == 1
    assert paper(engine, "2401.00001")["title"] == "Third"


def test_hf_records_put_papers_on_the_day_and_store_upvotes(engine: Engine) -> None:
    hf = PaperRecord(
        id="2410.18057", title="Hugging paper", abstract="A.", authors=["Ann"],
        upstream_upvotes=17, daily_day=date(2024, 10, 25), submitted_by="akhaliq",
    )
    assert upsert_records(engine, [hf]) == IngestReport(added=1, listed=1)
    hf.upstream_upvotes = 25
    assert upsert_records(engine, [hf]) == IngestReport(updated=1)
    assert paper(engine, "2410.18057")["upstream_upvotes"] == 25
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT day, source, submitted_by_name FROM daily_entries")).all()
    assert [(str(d), s, n) for d, s, n in rows] == [("2024-10-25", "import", "akhaliq")]


def test_deleted_and_incomplete_records_change_nothing(engine: Engine) -> None:
    upsert_records(engine, [rec(1, "First")])
    before = dump(engine)
    gone = rec(2, "Gone")
    gone.deleted = True
    rejected: list[RejectedRecord] = []
    blank = PaperRecord(id="2401.00002", title="", location="f.xml:7")
    report = upsert_records(engine, [gone, blank], on_reject=rejected.append)
    assert report == IngestReport(deleted=1, rejected=1)
    assert [r.location for r in rejected] == ["f.xml:7"]
    assert dump(engine) == before


def test_report_merge_adds_up() -> None:
    total = IngestReport(added=1, rejected=2).merge(IngestReport(added=2, updated=1, listed=3))
    assert total == IngestReport(added=3, updated=1, rejected=2, listed=3)
    assert total.seen == 6


def connection_settings(conn: Connection) -> tuple[object, dict[str, str]]:
    """Which server connection this is, and every setting a bulk write could change on it:
    SQLite's pragmas; PostgreSQL's run-time parameters (pg_settings)."""
    if conn.dialect.name == "sqlite":
        names = ["wal_autocheckpoint", "synchronous", "journal_mode", "foreign_keys",
                 "busy_timeout", "cache_size", "temp_store", "locking_mode", "cache_spill"]
        values = {n: str(conn.exec_driver_sql(f"PRAGMA {n}").scalar()) for n in names}
        return id(conn.connection.driver_connection), values
    rows = conn.exec_driver_sql("SELECT name, setting FROM pg_settings").all()
    return conn.exec_driver_sql("SELECT pg_backend_pid()").scalar(), dict(rows)  # type: ignore[arg-type]


def test_bulk_settings_are_restored_on_the_connection(engine: Engine) -> None:
    with engine.connect() as conn:
        who, before = connection_settings(conn)
    upsert_records(engine, snapshot_records()[:5])
    # The pool hands the same connection out again: it must be back to what it was.
    with engine.connect() as conn:
        again, after = connection_settings(conn)
    assert again == who
    assert after == before
    assert len(before) > 5
