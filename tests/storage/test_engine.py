"""Every SQLite connection carries the pragmas; constraints hold on both databases."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paperfeed.storage.engine import DatabaseUnavailable, check_connection, make_engine
from paperfeed.storage.models import DailyEntry, Paper, User, Vote


def test_sqlite_pragmas_on_every_pooled_connection(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url, pool_size=3)
    conns = [engine.connect() for _ in range(3)]
    try:
        for conn in conns:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    finally:
        for conn in conns:
            conn.close()
        engine.dispose()


def _paper(arxiv_id: str = "2411.17700") -> Paper:
    return Paper(arxiv_id=arxiv_id, title="T", authors=["A B"], categories=["cs.LG"])


def test_one_vote_per_user_and_paper(session: Session) -> None:
    paper, user = _paper(), User(username="ada")
    session.add_all([paper, user])
    session.flush()
    session.add(Vote(user_id=user.id, paper_id=paper.id))
    session.commit()
    session.add(Vote(user_id=user.id, paper_id=paper.id))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_paper_once_per_day_and_foreign_keys_enforced(session: Session) -> None:
    paper = _paper()
    session.add(paper)
    session.flush()
    session.add(DailyEntry(day=date(2024, 11, 28), paper_id=paper.id))
    session.commit()
    session.add(DailyEntry(day=date(2024, 11, 28), paper_id=paper.id))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    session.add(DailyEntry(day=date(2024, 11, 29), paper_id=999_999))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_arxiv_id_is_unique(session: Session) -> None:
    session.add(_paper("hep-th/9901001"))
    session.commit()
    session.add(_paper("hep-th/9901001"))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_deleting_a_paper_cascades(engine: Engine, session: Session) -> None:
    paper, user = _paper(), User(username="bo")
    session.add_all([paper, user])
    session.flush()
    session.add_all(
        [
            Vote(user_id=user.id, paper_id=paper.id),
            DailyEntry(day=date(2024, 1, 2), paper_id=paper.id),
        ]
    )
    session.commit()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM papers"))
        assert conn.execute(text("SELECT count(*) FROM votes")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM daily_entries")).scalar() == 0


def test_unreachable_postgres_gives_one_line_with_masked_password() -> None:
    engine = make_engine("postgresql+psycopg://me:s3cret@127.0.0.1:1/nowhere")
    with pytest.raises(DatabaseUnavailable) as info:
        check_connection(engine)
    message = str(info.value)
    assert "\n" not in message
    assert "s3cret" not in message
    assert "127.0.0.1:1/nowhere" in message
