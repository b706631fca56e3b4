"""Migrations: up, down, up again, with data; one head; serve-side schema check."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_single_head() -> None:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(migrate.alembic_config()).get_heads()
    assert len(heads) == 1


def test_upgrade_downgrade_upgrade_round_trip(db_url: str) -> None:
    engine = make_engine(db_url)
    assert migrate.current_revision(engine) is None
    assert not migrate.is_up_to_date(engine)
    migrate.upgrade(engine)
    assert migrate.is_up_to_date(engine)
    assert {"papers", "paper_versions", "daily_entries", "users", "votes", "comments"} <= _tables(
        engine
    )
    migrate.downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    assert "papers" not in _tables(engine)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO papers (arxiv_id, version, title, abstract, authors, categories,"
                " withdrawn, links, vote_count, upstream_upvotes, comment_count, created_at,"
                " modified_at) VALUES ('2401.00001', 1, 't', 'a', '[]', '[]', false, '{}',"
                " 0, 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    # Upgrading an up-to-date database is a no-op that keeps the data.
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM papers")).scalar() == 1
    engine.dispose()


def test_require_up_to_date_names_the_fix(db_url: str) -> None:
    engine = make_engine(db_url)
    with pytest.raises(migrate.SchemaOutOfDate, match="paperfeed db upgrade"):
        migrate.require_up_to_date(engine)
    engine.dispose()
