"""Saved harvest progress (the HarvestState table): one JSON value per (source, key).

Written in its own short transaction after each page has been stored, so an
interrupted harvest restarts from the last page it finished: at worst one page is
fetched twice, and the idempotent upsert makes that harmless.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Engine, delete, select

from paperfeed.storage.dialect import upsert
from paperfeed.storage.models import HarvestState, utcnow
from paperfeed.storage.retry import run_connection

MAX_KEY = 512


def _key(key: str) -> str:
    return key if len(key) <= MAX_KEY else key[: MAX_KEY - 1] + "…"


def load(engine: Engine, source: str, key: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        value = conn.execute(
            select(HarvestState.value).where(
                HarvestState.source == source, HarvestState.key == _key(key)
            )
        ).scalar_one_or_none()
    if not value:
        return None
    try:
        data = json.loads(value)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def save(engine: Engine, source: str, key: str, value: dict[str, Any]) -> None:
    """Save `value` for (source, key) in a short transaction of its own (re-run after a
    deadlock or serialization failure, see :mod:`paperfeed.storage.retry`)."""
    table = HarvestState.__table__

    def write(conn: Connection) -> None:
        stmt = upsert(conn, table, ["source", "key"], ["value", "updated_at"])  # type: ignore[arg-type]
        conn.execute(
            stmt.values(
                source=source,
                key=_key(key),
                value=json.dumps(value, sort_keys=True),
                updated_at=utcnow(),
            )
        )

    run_connection(engine, write)


def clear(engine: Engine, source: str, key: str) -> None:
    stmt = delete(HarvestState).where(HarvestState.source == source,
                                      HarvestState.key == _key(key))
    run_connection(engine, lambda conn: conn.execute(stmt))
