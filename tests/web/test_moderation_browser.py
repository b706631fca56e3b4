"""A moderator in headless Chromium: logs in, finds a reported hostile comment on /admin
(shown as text: no script runs, no dialog opens), hides it, and the paper page no longer
shows it. Reuses the browser set-up of test_browser.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from paperfeed.accounts.users import create_user
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine, write_session
from paperfeed.storage.models import Report
from tests.web.browser import launch, open_tab, serve_engine
from tests.web.sessions import PASSWORD
from tests.web.test_moderation import HOSTILE, add_content

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def moderated_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A site with one paper, a hostile comment reported twice and a moderator."""
    db: Path = tmp_path_factory.mktemp("moderation") / "site.db"
    engine = make_engine(f"sqlite:///{db}")
    migrate.upgrade(engine)
    with write_session(engine) as s:
        author = create_user(s, "spammer", "spammer@example.org", PASSWORD).id
        reporter = create_user(s, "alice", "alice@example.org", PASSWORD).id
        create_user(s, "moddy", "moddy@example.org", PASSWORD, role="moderator")
    content = add_content(engine, author)
    with write_session(engine) as s:
        s.add(Report(reporter_id=reporter, comment_id=content.comment,
                     reason='<img src=x onerror="alert(9)">'))
    try:
        with serve_engine(engine, db.parent) as url:
            yield url
    finally:
        engine.dispose()


def test_moderator_hides_a_reported_comment_in_the_browser(moderated_site: str) -> None:
    with launch() as chromium, open_tab(chromium, viewport={"width": 1200, "height": 1400}) \
            as (page, problems):
        page.goto(moderated_site + "/login?next=/admin")
        page.fill("#username", "moddy")
        page.fill("#password", PASSWORD)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(moderated_site + "/admin")
        shown = page.locator(".reported-comment").inner_text()
        assert " ".join(shown.split()) == " ".join(HOSTILE.split())
        assert page.locator("main script, main img").count() == 0
        assert page.locator(".reason").inner_text() == '<img src=x onerror="alert(9)">'
        page.get_by_role("button", name="Hide comment").click()
        page.wait_for_url(moderated_site + "/admin?done=hide")
        assert "hidden" in page.get_by_role("status").inner_text()
        assert page.locator(".mod-queue").inner_text().endswith("No open reports.")
        page.goto(moderated_site + "/papers/2511.00001")
        # The moderator still sees it, marked hidden, with Restore; readers do not.
        hidden = page.locator("article.comment.is-hidden", has_text="Buy pills")
        assert hidden.get_by_role("button", name="Restore").count() == 1
        reader = page.context.browser.new_context().new_page()
        reader.goto(moderated_site + "/papers/2511.00001")
        assert "Buy pills" not in reader.locator("main").inner_text()
        assert "A fine comment." in reader.locator("main").inner_text()
        reader.context.close()
        assert problems == []
