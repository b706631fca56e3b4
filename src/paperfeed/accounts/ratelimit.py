"""Rate limits: requests counted per key (an action and an account or client address)
in fixed windows, in the database so every worker and machine shares the count.

A limit is written ``COUNT/PERIOD``: ``10/15m`` is ten per fifteen minutes (periods in
``s``, ``m``, ``h`` or ``d``); ``0/…`` or an empty string turns the limit off.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete

from paperfeed.storage.dialect import increment
from paperfeed.storage.models import RateLimitHit
from paperfeed.storage.retry import run_connection

_LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class Limit:
    count: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds}s"


def parse_limit(text: str) -> Limit | None:
    """``"10/15m"`` → Limit(10, 900); None for an empty or zero limit (no limit)."""
    if not text.strip():
        return None
    match = _LIMIT.match(text)
    if not match:
        raise ValueError(f"a rate limit looks like 10/15m (count/period), not {text!r}")
    count, number, unit = int(match[1]), int(match[2] or 1), match[3]
    if count == 0:
        return None
    if number == 0:
        raise ValueError(f"a rate limit's period cannot be zero: {text!r}")
    return Limit(count, number * _UNIT[unit])


def hit(engine: Engine, key: str, limit: Limit | None, now: float) -> float | None:
    """Count one request for `key` at `now` (seconds since the epoch); None when it is
    within the limit, else the seconds until the window ends (for ``Retry-After``)."""
    if limit is None:
        return None
    window = int(now // limit.seconds)
    table = RateLimitHit.__table__

    def count_hit(conn: Connection) -> int:
        stmt = increment(conn, table, ["key", "window"], "count").values(  # type: ignore[arg-type]
            key=key[:200], window=window, count=1
        )
        count = int(conn.execute(stmt).scalar_one())
        if count == 1:  # first hit of a window: forget this key's older windows
            conn.execute(delete(RateLimitHit).where(
                RateLimitHit.key == key[:200], RateLimitHit.window < window
            ))
        return count

    count = run_connection(engine, count_hit)  # retried on a deadlock; busy → DatabaseBusy
    if count <= limit.count:
        return None
    return max(1.0, math.ceil((window + 1) * limit.seconds - now))

