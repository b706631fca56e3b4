"""The trending key: the formula, its order, and moving it by one vote either way."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from paperfeed.ranking.trending import (
    EPOCH,
    add_event,
    remove_event,
    score,
    score_at,
    trending_key,
)

T0 = datetime(2025, 11, 24, 9, 0)  # noqa: DTZ001 - naive UTC, as stored
H = timedelta(hours=1)


def test_score_is_the_formula() -> None:
    votes = [T0 + 2 * H, T0 + 5 * H]
    now = T0 + 30 * H
    expected = 0.5 * 2 ** (-30 / 24) + 2 ** (-28 / 24) + 2 ** (-25 / 24)
    assert math.isclose(score(votes, T0, now), expected, rel_tol=1e-12)


def test_more_votes_rank_higher_and_newer_beats_older_at_equal_votes() -> None:
    one = trending_key([T0 + H], T0)
    two = trending_key([T0 + H, T0 + 2 * H], T0)
    assert two > one
    later = trending_key([T0 + 25 * H], T0 + 24 * H)
    assert later > one
    # The key is time-free: the order of two papers never changes while nobody votes.
    for hours in (0, 24, 24 * 365):
        now = T0 + hours * H
        assert (score_at(two, now) > score_at(one, now)) or score_at(one, now) == 0.0


def test_adding_and_removing_votes_one_at_a_time_matches_the_recount() -> None:
    rng = random.Random(8)
    times: list[datetime] = []
    key = trending_key([], T0)
    for _ in range(300):
        if times and rng.random() < 0.4:
            gone = times.pop(rng.randrange(len(times)))
            moved = remove_event(key, gone)
            key = trending_key(times, T0) if moved is None else moved
        else:
            when = T0 + timedelta(minutes=rng.randrange(0, 60 * 24 * 10))
            times.append(when)
            key = add_event(key, when)
        assert math.isclose(key, trending_key(times, T0), rel_tol=0, abs_tol=1e-9)


def test_removing_what_dominates_asks_for_a_recount() -> None:
    key = trending_key([T0 + 960 * H], T0)  # one vote forty days after an old entry
    assert remove_event(key, T0 + 960 * H) is None
    # ten days: still exact enough to move the key without a recount
    key = trending_key([T0 + 240 * H], T0)
    moved = remove_event(key, T0 + 240 * H)
    assert moved is not None and math.isclose(moved, trending_key([], T0), abs_tol=1e-9)
    assert remove_event(trending_key([], EPOCH), T0) is None  # never part of the key
