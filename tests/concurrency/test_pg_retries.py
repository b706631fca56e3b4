"""PostgreSQL: a real deadlock and real serialization failures are retried (the whole
transaction re-run, its effect stored once); when the attempts run out the caller gets
:class:`DatabaseBusy`, not silence. The backoff between attempts is full jitter."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.orm import Session

from paperfeed.accounts.users import create_user
from paperfeed.community.votes import VoteResult, set_vote
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine, session_factory, write_session
from paperfeed.storage.models import Paper, Vote
from paperfeed.storage.retry import DatabaseBusy, backoff, run_transaction
from tests.conftest import _pg_database

NOW = datetime(2024, 11, 2, 12, 0, tzinfo=UTC).replace(tzinfo=None)  # naive UTC


def _engine(url: str, deadlock_ms: int, **kwargs: object) -> Engine:
    return make_engine(url, connect_args={"options": f"-c deadlock_timeout={deadlock_ms}"},
                       **kwargs)


@pytest.fixture(scope="module")
def pg_site() -> Iterator[tuple[str, int, int, int]]:
    """A migrated database with a paper and two readers: (url, paper, ada, bob)."""
    with _pg_database() as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        with write_session(engine) as session:
            paper = Paper(arxiv_id="2411.00001", version=1, title="Locks", abstract="A.",
                          authors=["A"], primary_category="cs.DB", categories=["cs.DB"],
                          published=date(2024, 11, 1))
            session.add(paper)
            ada = create_user(session, "ada", "ada@example.org", "correct horse battery")
            bob = create_user(session, "bob", "bob@example.org", "correct horse battery")
            session.flush()
            ids = (paper.id, ada.id, bob.id)
        engine.dispose()
        yield (url, *ids)


@pytest.fixture
def pg(pg_site: tuple[str, int, int, int]) -> tuple[str, int, int, int]:
    """The module's database with no votes."""
    engine = make_engine(pg_site[0])
    with write_session(engine) as session:
        session.execute(delete(Vote))
        session.execute(update(Paper).values(vote_count=0, trending_key=None))
    engine.dispose()
    return pg_site


def votes(url: str) -> tuple[list[int], int]:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        voters = sorted(session.scalars(select(Vote.user_id)))
        count = int(session.scalar(select(func.sum(Paper.vote_count))) or 0)
    engine.dispose()
    return voters, count


def test_backoff_is_full_jitter_under_a_doubling_cap() -> None:
    assert [backoff(n, 0.999_999, base=0.1, cap=1.0) for n in range(6)] == pytest.approx(
        [0.1, 0.2, 0.4, 0.8, 1.0, 1.0], rel=1e-5)
    assert backoff(3, 0.0) == 0.0
    assert backoff(2, 0.5, base=0.1, cap=1.0) == pytest.approx(0.2)
    assert backoff(50, 2.0, base=0.1, cap=1.0) == 1.0  # out-of-range jitter is clamped


def test_a_real_deadlock_is_retried_and_the_vote_stored_once(
    pg: tuple[str, int, int, int],
) -> None:
    url, paper, ada, _bob = pg
    ours = _engine(url, 50)  # this side finds the deadlock first and is rolled back
    theirs = _engine(url, 10_000)
    held, failures = threading.Event(), []

    def other_writer() -> None:
        """Locks ada's row, waits until our vote waits for it, then wants the paper."""
        try:
            with theirs.connect() as conn, conn.begin():
                conn.execute(text("SET LOCAL lock_timeout = '30s'"))
                conn.execute(text("SELECT id FROM users WHERE id = :u FOR UPDATE"), {"u": ada})
                held.set()
                while not conn.execute(text(
                        "SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar():
                    threading.Event().wait(0.01)
                conn.execute(text("SELECT id FROM papers WHERE id = :p FOR UPDATE"),
                             {"p": paper})
        except Exception as exc:  # reported by the assertion below
            failures.append(exc)

    thread = threading.Thread(target=other_writer)
    thread.start()
    assert held.wait(30)
    slept: list[float] = []
    result: VoteResult = run_transaction(
        ours, lambda session: set_vote(session, ada, paper, True, NOW), sleep=slept.append)
    thread.join(30)
    assert not thread.is_alive() and failures == []
    assert len(slept) == 1  # one deadlock, one re-run
    assert result == VoteResult(changed=True, count=1, voted=True)
    assert votes(url) == ([ada], 1)
    ours.dispose()
    theirs.dispose()


def _interfering(url: str, paper: int, ada: int, bob: int,
                 times: int) -> tuple[Callable[[Session], VoteResult], dict[str, int], Engine]:
    """A vote by ada in REPEATABLE READ whose first `times` attempts see bob's vote
    (toggled, and committed by another connection) land after their snapshot."""
    other = make_engine(url)
    state = {"attempts": 0, "bob_up": 0}

    def vote(session: Session) -> VoteResult:
        state["attempts"] += 1
        session.execute(text("SELECT 1"))  # the transaction's snapshot
        if state["attempts"] <= times:
            state["bob_up"] = 1 - state["bob_up"]
            set_vote(other, bob, paper, bool(state["bob_up"]), NOW)
        return set_vote(session, ada, paper, True, NOW)

    return vote, state, other


def test_a_serialization_failure_is_retried(pg: tuple[str, int, int, int]) -> None:
    url, paper, ada, bob = pg
    ours = make_engine(url, isolation_level="REPEATABLE READ")
    vote, state, other = _interfering(url, paper, ada, bob, times=1)
    slept: list[float] = []
    result = run_transaction(ours, vote, sleep=slept.append)
    assert state["attempts"] == 2 and len(slept) == 1
    assert result == VoteResult(changed=True, count=2, voted=True)
    assert votes(url) == (sorted([ada, bob]), 2)
    ours.dispose()
    other.dispose()


def test_when_the_attempts_run_out_the_error_is_reported(
    pg: tuple[str, int, int, int],
) -> None:
    url, paper, ada, bob = pg
    ours = make_engine(url, isolation_level="REPEATABLE READ")
    vote, state, other = _interfering(url, paper, ada, bob, times=99)
    slept: list[float] = []
    with pytest.raises(DatabaseBusy) as raised:
        run_transaction(ours, vote, attempts=3, sleep=slept.append)
    assert state["attempts"] == 3 and len(slept) == 2
    message = str(raised.value)
    assert "\n" not in message and "gave up after 3 attempts" in message
    assert "could not serialize" in message
    assert raised.value.retry_after > 0
    assert votes(url) == ([bob], 1)  # ada's vote: never stored; bob's toggles: each stored
    ours.dispose()
    other.dispose()
