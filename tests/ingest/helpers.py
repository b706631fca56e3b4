"""Helpers shared by the ingest tests: a full dump of what imports write."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row an import writes, in a stable order (timestamps included)."""
    with engine.connect() as conn:
        return {
            "papers": [tuple(r) for r in conn.execute(text(
                "SELECT * FROM papers ORDER BY arxiv_id"))],
            "versions": [tuple(r) for r in conn.execute(text(
                "SELECT p.arxiv_id, v.version, v.submitted, v.size FROM paper_versions v "
                "JOIN papers p ON p.id = v.paper_id ORDER BY p.arxiv_id, v.version"))],
            "daily": [tuple(r) for r in conn.execute(text(
                "SELECT d.day, p.arxiv_id, d.source, d.submitted_by_name, d.submitted_at "
                "FROM daily_entries d JOIN papers p ON p.id = d.paper_id "
                "ORDER BY d.day, p.arxiv_id"))],
        }


def count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar() or 0)
