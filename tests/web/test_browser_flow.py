"""The community flow in real Chromium, on SQLite and on PostgreSQL: a reader registers,
logs in, submits a paper, upvotes it, comments with math and gets a reply, finds it on
/trending and logs out; a second reader sees all of it; a moderator hides the comment
and nobody else sees it any more.

The paper page with its comments saved on the way is, with the daily and trending
pages of tests/web/test_browser.py, one of the README's screenshots: `make screenshot` copies
them from build/screenshots/ to docs/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from paperfeed.demo.builder import DEMO_ADMIN, DEMO_ADMIN_PASSWORD
from paperfeed.storage.engine import session_factory
from paperfeed.storage.models import Comment, DailyEntry, Paper, Vote
from tests.web.browser import ROOT, launch, open_tab, serve_engine

pytestmark = pytest.mark.browser

SHOTS = ROOT / "build" / "screenshots"
PASSWORD = "correct horse battery"
# A demo paper, pasted the way people paste: an abs URL with a version.
PAPER = "2411.17700"


@pytest.fixture(scope="module")
def live(site_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_engine(site_engine, tmp_path_factory.mktemp("flow")) as url:
        yield url


@pytest.fixture(scope="module")
def browser(live: str) -> Iterator[Any]:
    with launch() as chromium:
        yield chromium


def _register(page: Any, base: str, name: str) -> None:
    page.goto(base + "/register")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Email address").fill(f"{name}@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_load_state()
    assert page.locator("nav.account a.me").inner_text() == name


def _log_in(page: Any, base: str, name: str, password: str = PASSWORD) -> None:
    page.goto(base + "/login")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert page.locator("nav.account a.me").inner_text() == name


def _log_out(page: Any) -> None:
    page.locator("nav.account").get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    assert page.locator("nav.account").get_by_role("link", name="Log in").count() == 1


def _comment(page: Any) -> Any:
    return page.locator("article.comment", has_text="Energy is")


def _first_reader(base: str, browser: Any, shots: bool) -> int:
    """ada's part; returns the paper's vote count after her vote."""
    with open_tab(browser) as (page, problems):
        _register(page, base, "ada")
        _log_out(page)
        _log_in(page, base, "ada")

        # Submit: the paper goes on today's list in ada's name.
        page.goto(base + "/submit")
        page.get_by_label("arXiv id or link").fill(f" https://arxiv.org/abs/{PAPER}v1 ")
        page.get_by_role("button", name="Submit").click()
        page.wait_for_url(f"**/papers/{PAPER}?submitted=1")
        assert "submitted this paper" in page.locator(".submitted-notice").inner_text()
        assert page.locator(".submitted-by a.submitter", has_text="ada").count() == 1

        # Upvote with the script: the count changes in place, no navigation.
        control = page.locator("form.vote").first
        before = int(control.locator(".vote-count").inner_text())
        url = page.url
        control.get_by_role("button", name="Upvote").click()
        page.wait_for_function(
            "n => document.querySelector('form.vote .vote-count').textContent.trim() == n",
            arg=str(before + 1),
        )
        assert page.url == url
        assert control.locator("button").get_attribute("aria-pressed") == "true"

        # Comment with math, then reply to it.
        page.get_by_label("Add a comment").fill(r"Energy is $E = mc^2$, and *that* is all.")
        page.get_by_role("button", name="Post comment").click()
        page.wait_for_load_state()
        comment = _comment(page)
        comment.wait_for()
        box = comment.locator(".comment-body math").bounding_box()
        assert box is not None and box["width"] > 0  # Chromium lays the MathML out
        comment.locator("summary", has_text="Reply").click()
        comment.get_by_label("Your reply").fill("Agreed -- see also section 4.")
        comment.get_by_role("button", name="Post reply").click()
        page.locator("article.comment", has_text="see also section 4").wait_for()
        if shots:
            page.goto(f"{base}/papers/{PAPER}#comments")
            page.screenshot(path=str(SHOTS / "screenshot-paper.png"))

        # On /trending it leads: a fresh entry and a fresh vote outrank the demo's days.
        page.goto(base + "/trending")
        first = page.locator("article.card").first
        assert first.get_attribute("id") == f"paper-{PAPER}"
        _log_out(page)
        assert problems == []
    return before + 1


def _second_reader_and_moderator(base: str, browser: Any, votes: int) -> None:
    # A second reader sees the paper on today's list, its vote, its comments.
    with open_tab(browser) as (page, problems):
        _register(page, base, "bob")
        page.goto(base + "/")
        card = page.locator(f"article[id='paper-{PAPER}']")
        assert card.locator(".vote-count").inner_text() == str(votes)
        assert "ada" in card.inner_text()  # submitted by
        page.goto(f"{base}/papers/{PAPER}")
        assert _comment(page).count() == 1
        assert problems == []

    # A moderator hides the comment: readers no longer see it.
    with open_tab(browser) as (page, problems):
        _log_in(page, base, DEMO_ADMIN, DEMO_ADMIN_PASSWORD)
        page.goto(f"{base}/papers/{PAPER}")
        _comment(page).get_by_role("button", name="Hide").first.click()
        page.wait_for_load_state()
        assert problems == []
    with open_tab(browser) as (page, problems):
        page.goto(f"{base}/papers/{PAPER}")
        assert _comment(page).count() == 0
        assert problems == []


def _check_rows(engine: Engine, votes: int) -> None:
    with session_factory(engine)() as session:
        paper = session.scalars(select(Paper).where(Paper.arxiv_id == PAPER)).one()
        rows = session.scalars(select(Vote).where(Vote.paper_id == paper.id)).all()
        assert paper.vote_count == len(rows) == votes
        entry = session.scalars(
            select(DailyEntry).where(DailyEntry.paper_id == paper.id)
            .order_by(DailyEntry.day.desc())
        ).first()
        assert entry is not None and entry.submitted_by_name == "ada"
        hidden = session.scalars(select(Comment).where(Comment.paper_id == paper.id,
                                                       Comment.hidden)).all()
        assert len(hidden) == 1


def test_community_flow(live: str, browser: Any, site_engine: Engine) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    shots = site_engine.dialect.name == "sqlite"
    votes = _first_reader(live, browser, shots)
    _second_reader_and_moderator(live, browser, votes)
    _check_rows(site_engine, votes)
    if shots:
        assert Path(SHOTS / "screenshot-paper.png").exists()
