"""The trending score: a pure function of a paper's votes, their times and the time its
daily entry was made.

Each vote counts 1 and the daily entry counts ``ENTRY_WEIGHT``; every one of them halves
in weight every ``HALF_LIFE_HOURS``::

    score(now) = ENTRY_WEIGHT * 2^(-(now - t_entry) / H) + sum over votes 2^(-(now - t_vote) / H)

So more votes never lower a score, at equal votes the newer paper (newer entry, newer
votes) ranks higher, and every score decays to zero as time passes.

Because every term decays at the same rate, the order of two papers never changes while
no one votes: ``score(now) = 2^(key - hours(now) / H)`` with the time-free sort key::

    key = log2(ENTRY_WEIGHT * 2^(hours(t_entry) / H) + sum 2^(hours(t_vote) / H))

(hours counted from ``EPOCH``). The key is what the database stores and indexes, so
``/trending`` is one ``ORDER BY trending_key DESC``; a new vote updates it in place with
:func:`add_event` and :func:`score_at` turns it back into today's score for display.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

HALF_LIFE_HOURS = 24.0
ENTRY_WEIGHT = 0.5
EPOCH = datetime(2000, 1, 1)  # noqa: DTZ001 - naive UTC, as the database stores times


def _exponent(when: datetime) -> float:
    """hours(when) / H: the log2 weight a unit event at `when` adds to the key."""
    return (when - EPOCH).total_seconds() / 3600.0 / HALF_LIFE_HOURS


def _log2_add(a: float, b: float) -> float:
    """log2(2^a + 2^b) without overflow."""
    high, low = (a, b) if a >= b else (b, a)
    return high + math.log2(1.0 + 2.0 ** (low - high))


def trending_key(vote_times: Iterable[datetime], entry_time: datetime) -> float:
    """The sort key of a paper with these votes whose daily entry was made at
    `entry_time` (times naive UTC)."""
    key = _exponent(entry_time) + math.log2(ENTRY_WEIGHT)
    for when in vote_times:
        key = _log2_add(key, _exponent(when))
    return key


def add_event(key: float, when: datetime, weight: float = 1.0) -> float:
    """The key after one more vote (or `weight` of one) at `when`."""
    return _log2_add(key, _exponent(when) + math.log2(weight))


def remove_event(key: float, when: datetime, weight: float = 1.0) -> float | None:
    """The key after a vote (or `weight` of one) at `when` is taken back, or None when
    the rest is too small to compute from the key alone without losing precision (the
    caller then recomputes it from the remaining votes with :func:`trending_key`)."""
    gap = _exponent(when) + math.log2(weight) - key  # <= 0: the event is part of the key
    if gap >= 0.0:
        return None
    rest = 1.0 - 2.0**gap
    if rest < 1e-6:
        return None
    return key + math.log2(rest)


def score_at(key: float, now: datetime) -> float:
    """The score at `now` of a paper whose key is `key`: about the number of votes of
    the last half-life, decaying towards zero."""
    exponent = key - _exponent(now)
    return 0.0 if exponent < -1000 else 2.0**exponent


def score(vote_times: Iterable[datetime], entry_time: datetime, now: datetime) -> float:
    """The trending score at `now` (see the module's formula)."""
    return score_at(trending_key(vote_times, entry_time), now)
