"""Upvotes in the database: one per reader per paper, unvote, counts equal to the rows,
trending keys kept up to date, banned accounts refused; concurrent clicks on both
databases."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, func, select, update

from paperfeed.community.votes import VoteRefused, VoteResult, set_vote
from paperfeed.ranking.trending import trending_key
from paperfeed.storage.engine import session_factory, write_session
from paperfeed.storage.models import DailyEntry, Paper, User, Vote
from tests.times import naive_utc

NOW = naive_utc(2024, 11, 28, 12)


def _setup(engine: Engine, users: int = 3, *, hidden: bool = False) -> tuple[int, list[int]]:
    with write_session(engine) as session:
        paper = Paper(arxiv_id="2411.00001", title="A paper", authors=["A. Author"])
        session.add(paper)
        people = [User(username=f"user{n}", email=f"user{n}@example.org") for n in range(users)]
        session.add_all(people)
        session.flush()
        session.add(DailyEntry(day=date(2024, 11, 28), paper_id=paper.id, hidden=hidden,
                               submitted_at=naive_utc(2024, 11, 28, 7)))
        return paper.id, [u.id for u in people]


def _state(engine: Engine, paper_id: int) -> tuple[int, int, float | None]:
    """(rows, stored count, trending key) of a paper."""
    with session_factory(engine)() as session:
        rows = int(session.scalar(
            select(func.count()).select_from(Vote).where(Vote.paper_id == paper_id)) or 0)
        count, key = session.execute(
            select(Paper.vote_count, Paper.trending_key).where(Paper.id == paper_id)).one()
        return rows, count, key


def test_vote_unvote_and_repeat(engine: Engine) -> None:
    paper_id, (ada, bob, _) = _setup(engine)
    assert set_vote(engine, ada, paper_id, True, NOW) == VoteResult(True, 1, True)
    # voting again changes nothing: still one row
    assert set_vote(engine, ada, paper_id, True, NOW) == VoteResult(False, 1, True)
    assert set_vote(engine, bob, paper_id, True, NOW) == VoteResult(True, 2, True)
    assert _state(engine, paper_id)[:2] == (2, 2)
    assert set_vote(engine, ada, paper_id, False, NOW) == VoteResult(True, 1, False)
    assert set_vote(engine, ada, paper_id, False, NOW) == VoteResult(False, 1, False)
    assert _state(engine, paper_id)[:2] == (1, 1)


def test_vote_in_the_callers_transaction(engine: Engine) -> None:
    paper_id, (ada, _, _) = _setup(engine)
    with write_session(engine) as session:
        result = set_vote(session, ada, paper_id, True, NOW)
    assert result == VoteResult(True, 1, True)
    assert _state(engine, paper_id)[:2] == (1, 1)


def test_trending_key_follows_the_votes(engine: Engine) -> None:
    paper_id, users = _setup(engine)
    entry = naive_utc(2024, 11, 28, 7)
    assert _state(engine, paper_id)[2] is None  # nothing computed before the first vote
    times = [NOW + timedelta(minutes=n) for n in range(3)]
    for user, when in zip(users, times, strict=True):
        set_vote(engine, user, paper_id, True, when)
    key = _state(engine, paper_id)[2]
    assert key == pytest.approx(trending_key(times, entry))
    set_vote(engine, users[0], paper_id, False, NOW)
    lower = _state(engine, paper_id)[2]
    assert lower is not None and lower < key
    assert lower == pytest.approx(trending_key(times[1:], entry))


def test_banned_users_cannot_vote(engine: Engine) -> None:
    paper_id, (ada, _, _) = _setup(engine)
    with write_session(engine) as session:
        session.execute(update(User).where(User.id == ada).values(is_banned=True))
    with pytest.raises(VoteRefused, match="banned"):
        set_vote(engine, ada, paper_id, True, NOW)
    assert _state(engine, paper_id)[:2] == (0, 0)


def test_votes_on_a_paper_with_only_hidden_entries_count(engine: Engine) -> None:
    paper_id, (ada, bob, _) = _setup(engine, hidden=True)
    set_vote(engine, ada, paper_id, True, NOW)
    assert set_vote(engine, bob, paper_id, True, NOW).count == 2
    rows, count, key = _state(engine, paper_id)
    assert (rows, count) == (2, 2)
    assert key is None  # on no visible list: not trending


def _together(*jobs: tuple[int, bool], engine: Engine, paper_id: int) -> None:
    """Run set_vote for each (user, up) in its own thread, released at once."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(user: int, up: bool) -> None:
        try:
            barrier.wait()
            set_vote(engine, user, paper_id, up, NOW)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_simultaneous_clicks_leave_one_row_and_a_true_count(engine: Engine) -> None:
    paper_id, (ada, bob, cyd) = _setup(engine)
    for _ in range(10):
        # two clicks by one reader (and one by another) at the same moment
        _together((ada, True), (ada, True), (bob, True), engine=engine, paper_id=paper_id)
        rows, count, _ = _state(engine, paper_id)
        assert rows == count == 2
        # a vote and an unvote by one reader at once: zero or one row, count == rows
        _together((ada, False), (ada, True), (cyd, True), engine=engine, paper_id=paper_id)
        rows, count, _ = _state(engine, paper_id)
        assert count == rows and rows in (2, 3)
        _together((ada, False), (bob, False), (cyd, False), engine=engine, paper_id=paper_id)
        assert _state(engine, paper_id)[:2] == (0, 0)
