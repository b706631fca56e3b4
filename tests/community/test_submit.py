"""Submitting a paper (community.submit) on SQLite and PostgreSQL, against a real HTTP
server on loopback standing in for the arXiv API with recorded answers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from paperfeed.community.submit import (
    ArxivFetch,
    SubmitKind,
    SubmitOutcome,
    arxiv_fetcher,
    submit_paper,
)
from paperfeed.storage.engine import session_factory, write_session
from paperfeed.storage.models import DailyEntry, Paper, User
from tests.community.arxiv_replay import (
    EMPTY,
    ERROR_400,
    GARBAGE,
    OLD_STYLE,
    WITHDRAWN,
    FakeArxiv,
    fake_arxiv,
    ok,
)
from tests.hang import finishes
from tests.sources.replay import Reply, Request, serve
from tests.times import naive_utc

TODAY = date(2025, 11, 24)
NOW = naive_utc(2025, 11, 24, 9, 30)
STORED = "2411.17700"
OLD = "hep-th/9901001"


@pytest.fixture
def arxiv() -> Iterator[FakeArxiv]:
    with fake_arxiv() as fake:
        yield fake


def fetch_from(fake: FakeArxiv) -> ArxivFetch:
    return arxiv_fetcher(fake.url, "paperfeed-tests", interval=0.0, timeout=10.0)


def add_user(engine: Engine, name: str = "ada", *, banned: bool = False) -> User:
    with write_session(engine) as session:
        user = User(username=name, username_key=name.lower(), email=f"{name}@example.org",
                    is_banned=banned)
        session.add(user)
        session.flush()
        session.expunge(user)
        return user


@pytest.fixture
def stored(engine: Engine) -> None:
    with write_session(engine) as session:
        session.add_all([
            Paper(arxiv_id=STORED, title="A stored paper", authors=["Ann"]),
            Paper(arxiv_id=OLD, title="An old-style paper", authors=["Bob"]),
            Paper(arxiv_id="2411.00002", title="Withdrawn here", withdrawn=True),
        ])


def submit(engine: Engine, user: User, text: str, fetch: ArxivFetch, *,
           today: date = TODAY, cap: int = 10) -> SubmitOutcome:
    with session_factory(engine)() as session:
        return submit_paper(session, user, text, today, NOW, fetch, daily_cap=cap)


def entries(engine: Engine) -> list[tuple[date, str, int | None, str | None, str]]:
    with session_factory(engine)() as session:
        rows = session.execute(
            select(DailyEntry.day, Paper.arxiv_id, DailyEntry.submitted_by_id,
                   DailyEntry.submitted_by_name, DailyEntry.source)
            .join(Paper, Paper.id == DailyEntry.paper_id).order_by(DailyEntry.id)
        )
        return [tuple(r) for r in rows]


def paper_count(engine: Engine) -> int:
    with session_factory(engine)() as session:
        return int(session.scalar(select(func.count()).select_from(Paper)) or 0)


def get_paper(engine: Engine, arxiv_id: str) -> Paper | None:
    with session_factory(engine)() as session:
        return session.scalar(select(Paper).where(Paper.arxiv_id == arxiv_id))


@pytest.mark.usefixtures("stored")
def test_a_stored_paper_goes_on_todays_list_without_asking_arxiv(
    engine: Engine, arxiv: FakeArxiv
) -> None:
    ada = add_user(engine)
    outcome = submit(engine, ada, "https://arxiv.org/abs/2411.17700v2", fetch_from(arxiv))
    assert outcome.kind is SubmitKind.ADDED
    assert outcome.ok and not outcome.fetched
    assert outcome.path == "/papers/2411.17700"
    assert "2411.17700" in outcome.message and "today's list" in outcome.message
    assert arxiv.requests == []
    assert entries(engine) == [(TODAY, STORED, ada.id, "ada", "community")]
    with session_factory(engine)() as session:
        entry = session.scalar(select(DailyEntry))
        assert entry is not None and entry.submitted_at == NOW
    paper = get_paper(engine, STORED)
    assert paper is not None and paper.trending_key is not None  # on /trending at once


def test_an_unknown_paper_is_fetched_from_arxiv_and_stored(
    engine: Engine, arxiv: FakeArxiv
) -> None:
    ada = add_user(engine)
    outcome = submit(engine, ada, "arXiv:1605.08386v1", fetch_from(arxiv))
    assert outcome.kind is SubmitKind.ADDED and outcome.fetched
    assert outcome.path == "/papers/1605.08386"
    assert [r.params for r in arxiv.requests] == [
        {"id_list": "1605.08386", "start": "0", "max_results": "1"}
    ]
    assert arxiv.requests[0].path == "/api/query"
    paper = get_paper(engine, "1605.08386")
    assert paper is not None
    assert paper.title == "Heat-bath random walks with Markov bases"
    assert paper.authors == ["Caprice Stanley", "Tobias Windisch"]
    assert paper.categories == ["math.CO", "math.ST"]
    assert paper.trending_key is not None
    assert entries(engine) == [(TODAY, "1605.08386", ada.id, "ada", "community")]


def test_an_old_style_id_is_fetched_too(engine: Engine, arxiv: FakeArxiv) -> None:
    arxiv.reply = ok(OLD_STYLE)
    ada = add_user(engine)
    outcome = submit(engine, ada, "https://export.arxiv.org/abs/quant-ph/0201082v1",
                     fetch_from(arxiv))
    assert outcome.kind is SubmitKind.ADDED, outcome.message
    assert outcome.path == "/papers/quant-ph/0201082"
    assert arxiv.requests[0].params["id_list"] == "quant-ph/0201082"
    assert entries(engine)[0][1] == "quant-ph/0201082"


PASTED_FORMS = [
    ("2411.17700", STORED),
    ("  2411.17700\t", STORED),
    ("2411.17700v3", STORED),
    ("arXiv:2411.17700", STORED),
    ("ARXIV:2411.17700v1", STORED),
    ("https://arxiv.org/abs/2411.17700", STORED),
    ("http://arxiv.org/abs/2411.17700v2", STORED),
    ("https://arxiv.org/pdf/2411.17700", STORED),
    ("https://arxiv.org/pdf/2411.17700v2.pdf", STORED),
    ("arxiv.org/abs/2411.17700", STORED),
    ("www.arxiv.org/abs/2411.17700", STORED),
    ("https://export.arxiv.org/abs/2411.17700", STORED),
    ("https://arxiv.org/abs/2411.17700?context=cs.LG#abstract", STORED),
    ("HTTPS://ARXIV.ORG/ABS/2411.17700", STORED),
    ("hep-th/9901001", OLD),
    ("hep-th/9901001v2", OLD),
    ("arXiv:hep-th/9901001", OLD),
    ("https://arxiv.org/abs/hep-th/9901001v3", OLD),
    ("https://arxiv.org/pdf/hep-th/9901001.pdf", OLD),
]


@pytest.mark.usefixtures("stored")
def test_every_pasted_form_finds_the_paper(engine: Engine, arxiv: FakeArxiv) -> None:
    ada = add_user(engine)
    for n, (text, expected) in enumerate(PASTED_FORMS):
        day = TODAY + timedelta(days=n)
        outcome = submit(engine, ada, text, fetch_from(arxiv), today=day)
        assert outcome.kind is SubmitKind.ADDED, (text, outcome.message)
        assert outcome.arxiv_id == expected, text
    assert arxiv.requests == []
    assert [(e[0], e[1]) for e in entries(engine)] == [
        (TODAY + timedelta(days=n), expected) for n, (_t, expected) in enumerate(PASTED_FORMS)
    ]


@pytest.mark.usefixtures("stored")
def test_a_link_to_another_host_is_refused_and_never_fetched(
    engine: Engine, arxiv: FakeArxiv
) -> None:
    """The other host here is a real server that logs every request: it gets none."""
    ada = add_user(engine)
    with serve(lambda _r: ok(b"")) as other:
        host = other.url.removeprefix("http://")
        for text in (
            f"{other.url}/abs/2411.17700",
            f"{host}/abs/2411.17700",
            f"http://arxiv.org@{host}/abs/2411.17700",
            f"http://arxiv.org.{host.split(':')[0]}.nip.io:{host.split(':')[1]}/abs/2411.17700",
            "https://huggingface.co/papers/2411.17700",
            "https://www.alphaxiv.org/abs/2411.17700",
            "ftp://arxiv.org/abs/2411.17700",
        ):
            outcome = submit(engine, ada, text, fetch_from(arxiv))
            assert outcome.kind in (SubmitKind.NOT_ARXIV, SubmitKind.BAD_INPUT), text
            assert not outcome.ok and outcome.path is None
        assert other.requests == []
    outcome = submit(engine, ada, "https://huggingface.co/papers/2411.17700", fetch_from(arxiv))
    assert outcome.kind is SubmitKind.NOT_ARXIV
    assert "huggingface.co is not arXiv" in outcome.message
    assert "paste that id" in outcome.message and "2411.17700" in outcome.message
    assert arxiv.requests == []
    assert entries(engine) == []


def test_malformed_ids_are_refused_without_a_request(engine: Engine, arxiv: FakeArxiv) -> None:
    ada = add_user(engine)
    for text in ("", "   ", "2411.1770", "2413.17700", "hello world", "1234.5678.9",
                 "<script>alert(1)</script>", "2411.17700\n2411.17701", "x" * 10_000,
                 "javascript:alert(1)", "https://arxiv.org/list/cs.LG/new"):
        outcome = submit(engine, ada, text, fetch_from(arxiv))
        assert outcome.kind is SubmitKind.BAD_INPUT, text
        assert outcome.message
    assert arxiv.requests == []
    assert entries(engine) == [] and paper_count(engine) == 0


@pytest.mark.parametrize(("reply", "kind", "words"), [
    (ok(EMPTY), SubmitKind.NOT_FOUND, "arXiv has no paper 2411.99999"),
    (Reply(400, ERROR_400), SubmitKind.NOT_FOUND, "arXiv has no paper 2411.99999"),
    (ok(WITHDRAWN), SubmitKind.WITHDRAWN, "withdrawn"),
    (Reply(503, b"busy"), SubmitKind.FETCH_FAILED, "try again"),
    (Reply(503, b"busy", headers={"Retry-After": "3600"}), SubmitKind.FETCH_FAILED, "try again"),
    (ok(GARBAGE), SubmitKind.FETCH_FAILED, "try again"),
    (Reply(200, b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">'),
     SubmitKind.FETCH_FAILED, "try again"),
    (Reply(500, b"oops"), SubmitKind.FETCH_FAILED, "try again"),
], ids=["empty-feed", "error-feed", "withdrawn", "503", "503-retry-after-hour", "garbage",
        "truncated", "500"])
def test_what_arxiv_cannot_give_leaves_nothing_stored(
    engine: Engine, arxiv: FakeArxiv, reply: Reply, kind: SubmitKind, words: str
) -> None:
    arxiv.reply = reply
    ada = add_user(engine)
    text = "1605.08386" if kind is SubmitKind.WITHDRAWN else "2411.99999"
    outcome = submit(engine, ada, text, fetch_from(arxiv))
    assert outcome.kind is kind, outcome.message
    assert words in outcome.message
    assert "Nothing was saved" in outcome.message or kind is not SubmitKind.FETCH_FAILED
    assert 1 <= len(arxiv.requests) <= 2  # one try, at most one retry: a reader waits
    assert paper_count(engine) == 0 and entries(engine) == []


def test_a_silent_arxiv_times_out(engine: Engine) -> None:
    release = threading.Event()

    def hang(_req: Request) -> Reply:
        release.wait(30)
        return ok(EMPTY)

    ada = add_user(engine)
    with serve(hang) as silent:
        fetch = arxiv_fetcher(silent.url + "/api/query", "paperfeed-tests", interval=0.0,
                              timeout=0.3, retries=0)
        try:
            outcome = finishes(lambda: submit(engine, ada, "2411.99999", fetch), 20)
        finally:
            release.set()
    assert outcome.kind is SubmitKind.FETCH_FAILED
    assert "try again" in outcome.message
    assert paper_count(engine) == 0


@pytest.mark.usefixtures("stored")
def test_withdrawn_stored_papers_are_refused(engine: Engine, arxiv: FakeArxiv) -> None:
    outcome = submit(engine, add_user(engine), "2411.00002", fetch_from(arxiv))
    assert outcome.kind is SubmitKind.WITHDRAWN
    assert "withdrawn" in outcome.message
    assert entries(engine) == [] and arxiv.requests == []


@pytest.mark.usefixtures("stored")
def test_a_paper_already_on_todays_list_is_refused_with_its_path(
    engine: Engine, arxiv: FakeArxiv
) -> None:
    ada, bob = add_user(engine, "ada"), add_user(engine, "bob")
    assert submit(engine, ada, STORED, fetch_from(arxiv)).ok
    again = submit(engine, bob, "https://arxiv.org/abs/2411.17700", fetch_from(arxiv))
    assert again.kind is SubmitKind.ALREADY_LISTED
    assert again.path == "/papers/2411.17700"
    assert "already on today's list" in again.message
    assert submit(engine, ada, STORED, fetch_from(arxiv)).kind is SubmitKind.ALREADY_LISTED
    # Tomorrow is another list.
    assert submit(engine, bob, STORED, fetch_from(arxiv), today=TODAY + timedelta(days=1)).ok
    assert [(e[0], e[3]) for e in entries(engine)] == [
        (TODAY, "ada"), (TODAY + timedelta(days=1), "bob")
    ]
    # A paper a moderator took off today's list cannot come back today.
    with write_session(engine) as session:
        entry = session.scalar(select(DailyEntry).where(DailyEntry.day == TODAY))
        assert entry is not None
        entry.hidden = True
    hidden = submit(engine, bob, STORED, fetch_from(arxiv))
    assert hidden.kind is SubmitKind.ALREADY_LISTED and "moderator" in hidden.message


@pytest.mark.usefixtures("stored")
def test_the_daily_cap_counts_todays_submissions(engine: Engine, arxiv: FakeArxiv) -> None:
    ada, bob = add_user(engine, "ada"), add_user(engine, "bob")
    assert submit(engine, ada, STORED, fetch_from(arxiv), cap=2).ok
    assert submit(engine, ada, OLD, fetch_from(arxiv), cap=2).ok
    third = submit(engine, ada, "1605.08386", fetch_from(arxiv), cap=2)
    assert third.kind is SubmitKind.LIMIT_REACHED
    assert "2" in third.message and "tomorrow" in third.message
    assert arxiv.requests == []  # refused before arXiv is asked
    assert submit(engine, bob, "1605.08386", fetch_from(arxiv), cap=2).ok
    assert submit(engine, ada, STORED, fetch_from(arxiv), cap=2,
                  today=TODAY + timedelta(days=1)).ok
    assert submit(engine, ada, OLD, fetch_from(arxiv), cap=0,
                  today=TODAY + timedelta(days=1)).ok  # 0: no cap
    assert len(entries(engine)) == 5


@pytest.mark.usefixtures("stored")
def test_banned_accounts_cannot_submit(engine: Engine, arxiv: FakeArxiv) -> None:
    mallory = add_user(engine, "mallory", banned=True)
    outcome = submit(engine, mallory, STORED, fetch_from(arxiv))
    assert outcome.kind is SubmitKind.BANNED
    assert entries(engine) == []
    # Banned after the page was loaded: the check reads the account again.
    ada = add_user(engine, "ada")
    with write_session(engine) as session:
        row = session.get(User, ada.id)
        assert row is not None
        row.is_banned = True
    assert submit(engine, ada, STORED, fetch_from(arxiv)).kind is SubmitKind.BANNED


@pytest.mark.usefixtures("stored")
def test_simultaneous_submissions_of_one_paper_leave_one_entry(
    engine: Engine, arxiv: FakeArxiv
) -> None:
    users = [add_user(engine, f"user{n}") for n in range(6)]
    barrier = threading.Barrier(len(users))
    outcomes: list[SubmitOutcome] = []
    lock = threading.Lock()

    def one(user: User) -> None:
        barrier.wait()
        outcome = submit(engine, user, STORED, fetch_from(arxiv))
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=one, args=(u,)) for u in users]
    for t in threads:
        t.start()

    def join_all() -> None:
        for t in threads:
            t.join()

    finishes(join_all)
    kinds = sorted(o.kind.value for o in outcomes)
    assert kinds == ["added"] + ["already_listed"] * 5
    assert len(entries(engine)) == 1


def test_the_session_is_left_usable(engine: Engine, arxiv: FakeArxiv) -> None:
    """After a refusal and after a success the caller's session still reads."""
    ada = add_user(engine)
    with session_factory(engine)() as session:
        s: Session = session
        assert submit_paper(s, ada, "nope", TODAY, NOW, fetch_from(arxiv)).kind \
            is SubmitKind.BAD_INPUT
        assert submit_paper(s, ada, "1605.08386", TODAY, NOW, fetch_from(arxiv)).ok
        assert s.scalar(select(func.count()).select_from(DailyEntry)) == 1


def test_simultaneous_submissions_of_a_new_paper_store_it_once(
    engine: Engine, arxiv: FakeArxiv
) -> None:
    users = [add_user(engine, f"user{n}") for n in range(3)]
    barrier = threading.Barrier(len(users))
    outcomes: list[SubmitOutcome] = []

    def one(user: User) -> None:
        barrier.wait()
        outcomes.append(submit(engine, user, "1605.08386", fetch_from(arxiv)))

    threads = [threading.Thread(target=one, args=(u,)) for u in users]
    for t in threads:
        t.start()

    def join_all() -> None:
        for t in threads:
            t.join()

    finishes(join_all)
    assert sorted(o.kind.value for o in outcomes) == ["added", "already_listed", "already_listed"]
    assert paper_count(engine) == 1
    assert [e[1] for e in entries(engine)] == ["1605.08386"]
