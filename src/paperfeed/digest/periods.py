"""Digest periods: a day, or an ISO week (Monday to Sunday). Pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from paperfeed.render.format import format_day

PeriodKind = Literal["daily", "weekly"]
KINDS: tuple[str, ...] = ("daily", "weekly")


@dataclass(frozen=True, slots=True)
class Period:
    kind: PeriodKind
    start: date  # first day
    end: date  # last day (inclusive)

    @property
    def label(self) -> str:
        """"Thursday, 3 December 2026" or "the week of 30 November 2026"."""
        if self.kind == "daily":
            return format_day(self.start)
        return f"the week of {self.start.day} {self.start:%B %Y}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def check_kind(kind: str) -> PeriodKind:
    if kind not in KINDS:
        raise ValueError(f"unknown period {kind!r}: use daily or weekly")
    return kind  # type: ignore[return-value]


def containing(kind: str, day: date) -> Period:
    """The period of `kind` that contains `day`."""
    if check_kind(kind) == "daily":
        return Period("daily", day, day)
    start = day - timedelta(days=day.weekday())
    return Period("weekly", start, start + timedelta(days=6))


def just_ended(kind: str, today: date) -> Period:
    """The last whole period before `today`: yesterday, or last week."""
    return containing(kind, today - timedelta(days=1 if kind == "daily" else 7))
