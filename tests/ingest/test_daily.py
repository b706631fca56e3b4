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
