"""List pages served from a shared shell and filled in per reader (paperfeed.web.shells):
the list is shared for the shell's lifetime, but each reader's account links, vote
states and CSRF token are their own and every vote count is current."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import Engine, select, update

from paperfeed.community.votes import set_vote
from paperfeed.render.jinja import VoteControlMaker, vote_control
from paperfeed.storage.engine import make_engine, session_factory, write_session
from paperfeed.storage.models import Paper
from paperfeed.web.app import create_app
from paperfeed.web.shells import ACCOUNT_MARK, ACCOUNT_SLOT, Shell, ShellCache, make_shell
from tests.web.conftest import make_settings, page, texts
from tests.web.sessions import START, login, make_user, token
from tests.web.test_votes_lists import IDS, add_papers, card, vote

TTL = 30.0
NOW = datetime(2025, 11, 24, 12, tzinfo=UTC).replace(tzinfo=None)  # naive UTC, as stored


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def paper_id(engine: Engine, arxiv_id: str) -> int:
    with session_factory(engine)() as session:
        found = session.scalar(select(Paper.id).where(Paper.arxiv_id == arxiv_id))
    assert found is not None
    return found


def retitle(engine: Engine, arxiv_id: str, title: str) -> None:
    with write_session(engine) as session:
        session.execute(update(Paper).where(Paper.arxiv_id == arxiv_id).values(title=title))


def titles(client: TestClient, path: str = "/") -> list[str]:
    doc = page(client.get(path))
    return [" ".join(a.text_content().split()) for a in doc.xpath("//article//h3/a")]


def signed_in(app_client: TestClient, name: str) -> TestClient:
    response = login(app_client, name)
    assert response.status_code == 303, response.text
    return app_client


def test_each_reader_gets_their_own_parts_of_a_shared_list(
    engine: Engine, tmp_path: Path
) -> None:
    add_papers(engine)
    ada, bob = make_user(engine, "ada"), make_user(engine, "bob")
    first = paper_id(engine, IDS[0])
    set_vote(engine, ada, first, True, NOW)
    now = [START]
    app = create_app(make_settings(engine, tmp_path), engine, page_cache_seconds=TTL,
                     clock=lambda: now[0])
    clock = Clock()
    app.state.shells.clock = clock
    mine = signed_in(TestClient(app, follow_redirects=False), "ada")
    theirs = signed_in(TestClient(app, follow_redirects=False), "bob")
    visitor = TestClient(app, follow_redirects=False, cookies={"unrelated": "1"})

    for path in ("/", "/trending", "/week/2025-W48", "/month/2025-11", "/date/2025-11-24"):
        mine_page, theirs_page = mine.get(path), theirs.get(path)
        assert mine_page.status_code == theirs_page.status_code == 200, path
        # the account links are the reader's own, and so are the CSRF tokens
        assert texts(page(mine_page), '//nav[@class="account"]/a[@class="me"]') == ["ada"]
        assert texts(page(theirs_page), '//nav[@class="account"]/a[@class="me"]') == ["bob"]
        mine_token = token(mine, path)
        assert mine_token not in theirs_page.text
        assert set(page(mine_page).xpath('//input[@name="csrf_token"]/@value')) == {mine_token}
        # the vote state is each reader's; the count is everyone's
        assert card(mine, IDS[0], path) == {"count": "1", "text": "▲ Unvote",
                                            "pressed": "true", "href": ""}
        assert card(theirs, IDS[0], path)["pressed"] == "false"
        assert card(theirs, IDS[0], path)["count"] == "1"
        # a visitor (a cookie, but no session) gets log-in links and no token
        shown = visitor.get(path)
        assert texts(page(shown), '//nav[@class="account"]/a') == ["Log in", "Sign up"]
        assert 'name="csrf_token"' not in shown.text
        assert card(visitor, IDS[0], path)["href"].startswith("/login?next=")

    # The list itself is shared for the shell's lifetime; counts are read every time.
    retitle(engine, IDS[1], "A new title")
    set_vote(engine, bob, first, True, NOW)
    assert "A new title" not in titles(mine)
    assert card(mine, IDS[0])["count"] == "2"
    assert card(theirs, IDS[0]) == {"count": "2", "text": "▲ Unvote", "pressed": "true",
                                    "href": ""}
    clock.now += TTL  # expired: rendered afresh
    assert "A new title" in titles(mine)

    # A state-changing request this process answers forgets every shell at once.
    retitle(engine, IDS[1], "Retitled again")
    assert "Retitled again" not in titles(theirs)
    assert vote(mine, IDS[0], "unvote").status_code == 303
    assert "Retitled again" in titles(theirs)
    assert card(mine, IDS[0])["pressed"] == "false"


def test_markers_in_data_stay_text(engine: Engine, tmp_path: Path) -> None:
    """A title holding the shell's markers is shown as written, never filled in."""
    add_papers(engine)
    retitle(engine, IDS[0], "<!--pf:account--> and <!--pf:vote:0-->")
    make_user(engine, "ada")
    app = create_app(make_settings(engine, tmp_path), engine, page_cache_seconds=TTL)
    client = signed_in(TestClient(app, follow_redirects=False), "ada")
    shown = client.get("/")
    assert "<!--pf:account--> and <!--pf:vote:0-->" in titles(client)
    assert len(page(shown).xpath('//nav[@class="account"]')) == 1
    assert len(page(shown).xpath('//form[@class="vote"]')) == len(IDS)


def test_a_signed_in_list_page_needs_one_database_connection(
    engine: Engine, tmp_path: Path
) -> None:
    """Who is signed in and their votes are read through the request's own session: a
    request that held one pooled connection while waiting for a second would, with
    enough readers at once, empty the pool and stall every page."""
    add_papers(engine)
    make_user(engine, "ada")
    single = make_engine(engine.url.render_as_string(hide_password=False), pool_size=1,
                         max_overflow=0, pool_timeout=5)
    try:
        app = create_app(make_settings(engine, tmp_path), single)
        client = signed_in(TestClient(app, follow_redirects=False), "ada")
        for path in ("/", "/trending", "/week/2025-W48", "/papers/" + IDS[0]):
            response = client.get(path)
            assert response.status_code == 200, (path, response.text[:300])
            assert 'class="me"' in response.text
    finally:
        single.dispose()


def shell(name: str) -> Shell:
    return make_shell(f"<p>{name}</p>{ACCOUNT_MARK}", [], 0.0)


def test_an_expired_shell_is_rendered_by_one_request_while_the_others_reuse_it() -> None:
    clock = Clock()
    cache = ShellCache(seconds=TTL, clock=clock)
    key = ("/", "")
    assert cache.get(key) is None  # nothing yet: this caller renders
    assert cache.get(key) is None  # nothing to reuse: a second caller renders too
    cache.put(key, replace(shell("first"), expires=clock.now + TTL), cache.generation)
    assert cache.get(key) is not None
    clock.now += TTL
    assert cache.get(key) is None  # expired: this caller renders afresh...
    reused = cache.get(key)  # ...and meanwhile the others get the expired copy
    assert reused is not None and reused.parts[0] == "<p>first</p>"
    cache.abandon(key)  # the render failed: the next caller tries again
    assert cache.get(key) is None


def test_a_render_begun_before_a_write_is_not_kept() -> None:
    clock = Clock()
    cache = ShellCache(seconds=TTL, clock=clock)
    key = ("/trending", "")
    assert cache.get(key) is None
    began = cache.generation
    cache.clear()  # a write this process answered, while the render ran
    cache.put(key, replace(shell("before the write"), expires=clock.now + TTL), began)
    assert cache.get(key) is None
    cache.put(key, replace(shell("after"), expires=clock.now + TTL), cache.generation)
    found = cache.get(key)
    assert found is not None and found.parts[0] == "<p>after</p>"
    assert found.slots == (ACCOUNT_SLOT,)


@settings(max_examples=200, deadline=None)
@given(arxiv_id=st.sampled_from(["2411.00001", "hep-th/9901001", 'x"<&>\x00']),
       next_path=st.text(max_size=40), count=st.integers(0, 10**6), voted=st.booleans(),
       csrf=st.text(max_size=40))
def test_a_filled_vote_control_is_exactly_the_one_rendered_directly(
    arxiv_id: str, next_path: str, count: int, voted: bool, csrf: str
) -> None:
    """The shell's pre-made controls (holes filled by string replacement) are the same
    markup as vote_control, escaping included, whatever the values."""
    maker = VoteControlMaker.for_page(arxiv_id, next_path, "/login?next=" + next_path)
    assert maker.form(count, voted, str(escape(csrf))) == str(vote_control(
        arxiv_id, count, mode="form", voted=voted, csrf=csrf, next_path=next_path))
    assert maker.visitor(count) == str(vote_control(
        arxiv_id, count, mode="login", login_url="/login?next=" + next_path))
