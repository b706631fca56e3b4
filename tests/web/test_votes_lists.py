"""Upvotes in the browser without JavaScript (and the JSON answer the script uses), the
trending, week and month lists, profiles, and hidden entries off the lists; each on
SQLite and PostgreSQL, on a site whose clock the test moves."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine, func, select, update

from paperfeed.storage.engine import session_factory, write_session
from paperfeed.storage.models import Comment, DailyEntry, Paper, User, Vote
from tests.web.conftest import page, texts
from tests.web.sessions import Site, logged_in, login, make_site, make_user, token

DAY = date(2025, 11, 24)  # the day of the sessions' START clock (a Monday, ISO 2025-W48)
IDS = ("2511.00001", "2511.00002", "2511.00003")


def add_papers(engine: Engine, day: date = DAY, ids: tuple[str, ...] = IDS,
               submitter: int | None = None) -> None:
    with write_session(engine) as session:
        for n, arxiv_id in enumerate(ids):
            paper = Paper(arxiv_id=arxiv_id, title=f"Paper {arxiv_id}", authors=["A. Author"],
                          abstract="An abstract.", categories=["cs.LG"])
            session.add(paper)
            session.flush()
            session.add(DailyEntry(day=day, paper_id=paper.id, submitted_by_id=submitter,
                                   submitted_at=datetime.combine(day, datetime.min.time())
                                   + timedelta(hours=6, minutes=n)))


def vote(client: TestClient, arxiv_id: str, action: str = "up", *, csrf: str | None = None,
         next_path: str | None = None, json: bool = False) -> Response:
    data = {"csrf_token": token(client, "/") if csrf is None else csrf, "action": action,
            "next": f"/#paper-{arxiv_id}" if next_path is None else next_path}
    headers = {"Accept": "application/json"} if json else {}
    return client.post(f"/papers/{arxiv_id}/vote", data=data, headers=headers)


def rows(engine: Engine) -> int:
    with session_factory(engine)() as session:
        return int(session.scalar(select(func.count()).select_from(Vote)) or 0)


def card(client: TestClient, arxiv_id: str, path: str = "/") -> dict[str, str]:
    """What a card's vote control shows on `path`."""
    doc = page(client.get(path))
    found = doc.xpath(f'//article[@id="paper-{arxiv_id}"]')
    assert found, f"no card {arxiv_id} on {path}"
    control = found[0]
    button = control.xpath('.//*[contains(@class, "vote-button")]')[0]
    return {
        "count": texts(control, './/*[@class="vote-count"]')[0],
        "text": " ".join(button.text_content().split()),
        "pressed": button.get("aria-pressed") or "",
        "href": button.get("href") or "",
    }


def order(client: TestClient, path: str) -> list[str]:
    return [el.get("id").split("paper-", 1)[1] for el in page(client.get(path)).xpath(
        '//ol[@class="papers"]//article[@class="card"]')]


# -- voting --------------------------------------------------------------------------------


def test_vote_without_javascript_comes_back_to_the_card(site: Site) -> None:
    add_papers(site.engine)
    client = logged_in(site, "ada")
    assert card(client, IDS[1]) == {"count": "0", "text": "▲ Upvote", "pressed": "false",
                                     "href": ""}
    response = vote(client, IDS[1])
    assert response.status_code == 303
    assert response.headers["location"] == f"/#paper-{IDS[1]}"
    assert card(client, IDS[1]) == {"count": "1", "text": "▲ Unvote", "pressed": "true",
                                    "href": ""}
    # the form now unvotes
    doc = page(client.get("/"))
    assert doc.xpath(f'//article[@id="paper-{IDS[1]}"]//input[@name="action"]/@value') == [
        "unvote"]
    assert vote(client, IDS[1], "unvote").status_code == 303
    assert card(client, IDS[1])["count"] == "0"
    assert rows(site.engine) == 0
    # the paper page has the control near its title, and comes back to it
    response = vote(client, IDS[0], next_path=f"/papers/{IDS[0]}#paper-{IDS[0]}")
    assert response.headers["location"] == f"/papers/{IDS[0]}#paper-{IDS[0]}"
    doc = page(client.get(f"/papers/{IDS[0]}"))
    assert texts(doc, '//article[@class="paper"]//*[@class="vote-count"]') == ["1"]
    assert doc.xpath('//article[@class="paper"]//button/@aria-pressed') == ["true"]
    # a foreign `next` is not followed
    response = vote(client, IDS[2], next_path="//evil.example/")
    assert response.headers["location"] == f"/papers/{IDS[2]}"


def test_vote_with_json(site: Site) -> None:
    add_papers(site.engine)
    ada, bob = logged_in(site, "ada"), logged_in(site, "bob")
    response = vote(ada, IDS[0], json=True)
    assert response.status_code == 200
    assert response.json() == {"count": 1, "voted": True}
    assert vote(bob, IDS[0], json=True).json() == {"count": 2, "voted": True}
    assert vote(bob, IDS[0], json=True).json() == {"count": 2, "voted": True}  # no double
    assert vote(ada, IDS[0], "unvote", json=True).json() == {"count": 1, "voted": False}
    assert rows(site.engine) == 1
    assert vote(ada, "2511.99999", json=True).status_code == 404


def test_visitors_are_sent_to_log_in_and_pages_stay_cacheable(site: Site) -> None:
    add_papers(site.engine)
    client = site.client()
    shown = card(client, IDS[0])
    assert shown["text"] == "▲ Upvote" and shown["href"] == f"/login?next=/%23paper-{IDS[0]}"
    for path in ("/", "/trending", "/week/2025-W48", f"/papers/{IDS[0]}"):
        response = client.get(path)
        assert response.status_code == 200
        assert "set-cookie" not in response.headers, path  # the page cache may keep it
        assert not page(response).xpath('//input[@name="csrf_token"]'), path
    response = client.post(f"/papers/{IDS[0]}/vote",
                           data={"action": "up", "next": f"/#paper-{IDS[0]}"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/%23paper-{IDS[0]}"
    assert rows(site.engine) == 0


def test_csrf_missing_or_from_another_session_writes_nothing(site: Site) -> None:
    add_papers(site.engine)
    ada, bob = logged_in(site, "ada"), logged_in(site, "bob")
    assert vote(ada, IDS[0], csrf="").status_code == 403
    response = vote(ada, IDS[0], csrf=token(bob, "/"))
    assert response.status_code == 403
    assert "nothing was saved" in response.text.lower()
    assert vote(ada, IDS[0], csrf=token(bob, "/"), json=True).status_code == 403
    assert rows(site.engine) == 0
    assert card(ada, IDS[0])["count"] == "0"


def test_rate_limit(engine: Engine, tmp_path: Path) -> None:
    site = make_site(engine, tmp_path, rate_limits={"vote": "3/1m"})
    add_papers(site.engine)
    client = logged_in(site, "ada")
    csrf = token(client, "/")
    for action in ("up", "unvote", "up"):
        assert vote(client, IDS[0], action, csrf=csrf).status_code == 303
    response = vote(client, IDS[0], "unvote", csrf=csrf)
    assert response.status_code == 429
    assert 0 < int(response.headers["retry-after"]) <= 60
    assert "Too many" in response.text
    assert card(client, IDS[0])["count"] == "1"  # the refused unvote did nothing
    site.move(61)
    assert vote(client, IDS[0], "unvote", csrf=csrf).status_code == 303
    assert rows(site.engine) == 0


def test_banned_account_cannot_vote(site: Site) -> None:
    add_papers(site.engine)
    client = logged_in(site, "ada")
    csrf = token(client, "/")
    with write_session(site.engine) as session:
        session.execute(update(User).where(User.username == "ada").values(is_banned=True))
    response = vote(client, IDS[0], csrf=csrf)
    # a banned account's session no longer signs in: off to the log-in page
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert rows(site.engine) == 0


# -- trending, week, month ------------------------------------------------------------------


def test_trending_order_follows_votes_over_time(site: Site) -> None:
    add_papers(site.engine)
    voters = [logged_in(site, f"user{n}") for n in range(4)]
    anonymous = site.client()
    assert order(anonymous, "/trending")[:1] == []  # no key before the first vote
    for client in voters[:3]:
        assert vote(client, IDS[0]).status_code == 303
    assert vote(voters[3], IDS[1]).status_code == 303
    assert order(anonymous, "/trending")[:2] == [IDS[0], IDS[1]]
    # two days later, fresh votes on the third paper beat the old ones
    site.move(2 * 86400)
    for client in voters[:2]:
        assert vote(client, IDS[2]).status_code == 303
    assert order(anonymous, "/trending")[:2] == [IDS[2], IDS[0]]
    # the daily page still orders by votes
    assert order(anonymous, "/")[:2] == [IDS[0], IDS[2]]


def test_trending_only_recent_lists(site: Site) -> None:
    add_papers(site.engine, DAY - timedelta(days=60), ("2509.00001",))
    add_papers(site.engine)
    client = logged_in(site, "ada")
    for arxiv_id in ("2509.00001", IDS[0]):
        assert vote(client, arxiv_id).status_code == 303
    assert order(client, "/trending") == [IDS[0]]


def test_week_and_month_pages(site: Site) -> None:
    add_papers(site.engine, DAY - timedelta(days=7), ("2511.00010",))  # 2025-W47
    add_papers(site.engine)  # 2025-W48
    add_papers(site.engine, date(2025, 12, 2), ("2512.00001",))  # W49, December
    client = logged_in(site, "ada")
    assert vote(client, IDS[0]).status_code == 303
    # /week and /month go to the period of the latest list
    assert site.client().get("/week").headers["location"] == "/week/2025-W49"
    assert site.client().get("/week").status_code == 302
    assert site.client().get("/month").headers["location"] == "/month/2025-12"
    doc = page(client.get("/week/2025-W48"))
    assert "Week 48 of 2025" in texts(doc, "//h1")[0]
    assert order(client, "/week/2025-W48") == [IDS[0], IDS[2], IDS[1]]  # votes, then newest
    assert order(client, "/week/2025-W48?sort=time") == [IDS[2], IDS[1], IDS[0]]
    assert doc.xpath('//a[@rel="prev"]/@href')[0] == "/week/2025-W47"
    assert doc.xpath('//a[@rel="next"]/@href')[0] == "/week/2025-W49"
    assert order(client, "/month/2025-11") == [IDS[0], IDS[2], IDS[1], "2511.00010"]
    doc = page(client.get("/month/2025-11"))
    assert doc.xpath('//a[@rel="next"]/@href')[0] == "/month/2025-12"
    assert not doc.xpath('//a[@rel="prev"]')
    # the daily page links to its week and month
    doc = page(client.get(f"/date/{DAY.isoformat()}"))
    assert "/week/2025-W48" in doc.xpath("//a/@href")
    assert "/month/2025-11" in doc.xpath("//a/@href")
    # an empty but valid period is a page, not an error
    response = client.get("/month/2020-01")
    assert response.status_code == 200 and "No papers" in response.text


def test_bad_periods_are_helpful_404s(site: Site) -> None:
    add_papers(site.engine)
    client = site.client()
    for path, hint in (("/week/2025-W54", "2024-W48"), ("/week/2025-48", "2024-W48"),
                       ("/week/<b>x", "2024-W48"), ("/month/2025-13", "2024-11"),
                       ("/month/25-11", "2024-11")):
        response = client.get(path)
        assert response.status_code == 404, path
        assert hint in response.text, path
        assert "<b>x" not in response.text
        assert "/week/2025-W48" in response.text or "/month/2025-11" in response.text


# -- profiles ------------------------------------------------------------------------------


def test_profile(site: Site) -> None:
    ada_id = make_user(site.engine, "Ada")
    add_papers(site.engine, submitter=ada_id)
    with write_session(site.engine) as session:
        paper_id = session.scalar(select(Paper.id).where(Paper.arxiv_id == IDS[0]))
        session.add(Comment(paper_id=paper_id, user_id=ada_id, body="Nice."))
        session.add(Comment(paper_id=paper_id, user_id=ada_id, body="Gone.", deleted=True))
    bob = logged_in(site, "bob", role="moderator")
    assert vote(bob, IDS[0]).status_code == 303
    # the cards say who submitted them, with a link to the profile
    doc = page(bob.get("/"))
    assert texts(doc, f'//article[@id="paper-{IDS[0]}"]//*[@class="submitter"]') == [
        "submitted by Ada"]
    assert "/users/Ada" in doc.xpath(f'//article[@id="paper-{IDS[0]}"]//a/@href')

    client = site.client()
    doc = page(client.get("/users/ada"))  # any case
    assert texts(doc, "//h1") == ["Ada"]
    assert texts(doc, '//*[@class="comment-count"]') == ["1 comment"]
    assert set(order(client, "/users/ada")) == set(IDS)
    assert not doc.xpath('//section[@class="profile-upvoted"]')
    assert "banned" not in doc.xpath('string(//section[@class="profile"])')
    # bob shows his upvotes; his badge says moderator
    with write_session(site.engine) as session:
        session.execute(update(User).where(User.username == "bob").values(show_upvotes=True))
    doc = page(client.get("/users/BOB"))
    assert "moderator" in texts(doc, "//h1")[0]
    assert doc.xpath(f'//section[@class="profile-upvoted"]//article[@id="upvoted-paper-{IDS[0]}"]')
    # a paper someone submitted on two days and upvoted: once per section, ids unique
    with write_session(site.engine) as session:
        session.add(DailyEntry(day=DAY + timedelta(days=1), paper_id=paper_id,
                               submitted_by_id=ada_id))
        session.execute(update(User).where(User.username == "Ada").values(show_upvotes=True))
    ada = site.client()
    assert login(ada, "Ada").status_code == 303
    assert vote(ada, IDS[0]).status_code == 303
    doc = page(client.get("/users/Ada"))
    ids = doc.xpath("//article/@id")
    assert len(ids) == len(set(ids)) == len(IDS) + 1
    assert order(client, "/users/Ada").count(IDS[0]) == 2  # submitted, and upvoted
    # banned
    with write_session(site.engine) as session:
        session.execute(update(User).where(User.username == "Ada").values(is_banned=True))
    assert "This account is banned." in texts(page(client.get("/users/Ada")), "//p")
    # unknown and deleted accounts
    assert client.get("/users/nobody").status_code == 404
    with write_session(site.engine) as session:
        user = session.scalar(select(User).where(User.username == "Ada"))
        assert user is not None
        from paperfeed.community.membership import delete_account
        delete_account(session, user)
    assert client.get("/users/Ada").status_code == 404


# -- hidden entries ------------------------------------------------------------------------


def test_hidden_entry_is_off_every_list(site: Site) -> None:
    add_papers(site.engine)
    add_papers(site.engine, DAY + timedelta(days=1), ("2511.00099",))
    client = logged_in(site, "ada")
    assert vote(client, IDS[0]).status_code == 303
    with write_session(site.engine) as session:
        paper_id = session.scalar(select(Paper.id).where(Paper.arxiv_id == IDS[0]))
        session.execute(update(DailyEntry).where(DailyEntry.paper_id == paper_id)
                        .values(hidden=True))
        # (as moderation does) the key goes with the last visible entry
        from paperfeed.community.counts import refresh_votes
        refresh_votes(session, paper_id)
        later = session.scalar(select(Paper.id).where(Paper.arxiv_id == "2511.00099"))
        session.execute(update(DailyEntry).where(DailyEntry.paper_id == later)
                        .values(hidden=True))
    doc = page(client.get(f"/date/{DAY.isoformat()}"))
    assert "2 papers" in texts(doc, '//p[@class="count"]')[0]
    assert IDS[0] not in order(client, f"/date/{DAY.isoformat()}")
    # the day whose only entry is hidden is gone: / shows DAY, with no later day
    assert order(client, "/") == [IDS[2], IDS[1]]  # newest first at equal votes
    assert not page(client.get("/")).xpath('//a[@rel="next"]')
    assert IDS[0] not in order(client, "/trending")
    assert IDS[0] not in order(client, "/week/2025-W48")
    # the vote still counts, on the paper page
    doc = page(client.get(f"/papers/{IDS[0]}"))
    assert texts(doc, '//article[@class="paper"]//*[@class="vote-count"]') == ["1"]
    assert client.get(f"/date/{(DAY + timedelta(days=1)).isoformat()}").status_code == 404
