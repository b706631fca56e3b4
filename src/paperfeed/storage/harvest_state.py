"""Saved harvest progress (the HarvestState table): one JSON value per (source, key).

Written in its own short transaction after each page has been stored, so an
interrupted harvest restarts from the last page it finished: at worst one page is
fetched twice, and the idempotent upsert makes that harmless.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, delete, select

from paperfeed.storage.dialect import upsert
from paperfeed.storage.engine import write_transaction
from paperfeed.storage.models import HarvestState, utcnow

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
    table = HarvestState.__table__
    with write_transaction(engine) as conn:
        stmt = upsert(conn, table, ["source", "key"], ["value", "updated_at"])  # type: ignore[arg-type]
        conn.execute(
            stmt.values(
                source=source,
                key=_key(key),
                value=json.dumps(value, sort_keys=True),
                updated_at=utcnow(),
            )
        )


def clear(engine: Engine, source: str, key: str) -> None:
    with write_transaction(engine) as conn:
        conn.execute(
            delete(HarvestState).where(HarvestState.source == source, HarvestState.key == _key(key))
        )
