"""Times as paperfeed parses and stores them: UTC wall-clock, without tzinfo."""

from __future__ import annotations

from datetime import UTC, datetime


def naive_utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """The UTC time given, as a naive datetime (what a DateTime column holds)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC).replace(tzinfo=None)
