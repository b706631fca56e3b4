"""Comments in headless Chromium: a comment with math and a reply appear in place (with
comments.js) and after a reload, a hostile comment runs no script, and the forms work
with JavaScript turned off. Uses Debian's /usr/bin/chromium through Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine, write_session
from paperfeed.storage.models import Paper
from tests.web.browser import launch, serve_engine
from tests.web.sessions import PASSWORD, make_user
from tests.web.test_browser import OWN_SCRIPTS_ONLY

pytestmark = pytest.mark.browser

ARXIV = "2411.00001"
HOSTILE = (
    '<img src=x onerror="window.pwned=1"> <script>window.pwned=2</script> '
    "[click](javascript:window.pwned=3) <svg onload=window.pwned=4> "
    "$\\href{javascript:window.pwned=5}{x}$"
)


@pytest.fixture(scope="module")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One paper and two accounts, served by uvicorn on a free loopback port."""
    db = tmp_path_factory.mktemp("comments-browser") / "site.db"
    engine = make_engine(f"sqlite:///{db}")
    migrate.upgrade(engine)
    with write_session(engine) as session:
        session.add(Paper(arxiv_id=ARXIV, version=1, title="Squares and their bounds",
                          abstract="An abstract.", authors=["A. Author"],
                          primary_category="math.CO", categories=["math.CO"],
                          published=date(2024, 11, 1)))
    make_user(engine, "ada")
    make_user(engine, "bob")
    try:
        with serve_engine(engine, db.parent) as url:
            yield url
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def browser(live_site: str) -> Iterator[Any]:
    with launch() as chromium:
        yield chromium


def _tab(browser: Any, problems: list[str], *, javascript: bool = True) -> Any:
    context = browser.new_context(viewport={"width": 1200, "height": 1500},
                                  java_script_enabled=javascript)
    context.set_default_timeout(60_000)  # waits guard against hangs, not speed
    page = context.new_page()
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))

    def on_dialog(dialog: Any) -> None:
        problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return page


def _log_in(page: Any, live_site: str, name: str) -> None:
    page.goto(f"{live_site}/login?next=/papers/{ARXIV}")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"**/papers/{ARXIV}")


def test_comment_with_math_and_a_reply_in_place(live_site: str, browser: Any) -> None:
    problems: list[str] = []
    page = _tab(browser, problems)
    _log_in(page, live_site, "ada")
    comments = page.locator("#comments .comment-list > article")
    before = comments.count()
    page.evaluate("window.samePage = true")  # gone if the page reloads
    page.fill("#new-comment", "Squares: $x^2 + y^2$ and *more*.")
    page.click("form.new-comment button[type=submit]")
    comments.nth(before).wait_for()  # appeared in place, no reload
    first = comments.nth(before)
    math = first.locator(".comment-body math")
    box = math.bounding_box()
    assert box is not None and box["width"] > 0  # Chromium lays the MathML out
    assert page.input_value("#new-comment") == ""

    first.locator("details.comment-reply summary").click()
    first.locator("details.comment-reply textarea").fill("Agreed, $x \\ge 0$.")
    first.locator("details.comment-reply button[type=submit]").click()
    comments.nth(before + 1).wait_for()
    reply = comments.nth(before + 1)
    assert "indent-1" in (reply.get_attribute("class") or "")
    assert reply.locator(".comment-body math").count() == 1
    assert page.evaluate("window.samePage") is True  # both appeared in place

    page.reload()
    assert comments.count() == before + 2
    assert "Agreed" in comments.nth(before + 1).inner_text()
    assert problems == []
    page.context.close()


def test_hostile_comment_runs_no_script(live_site: str, browser: Any) -> None:
    problems: list[str] = []
    page = _tab(browser, problems)
    _log_in(page, live_site, "bob")
    comments = page.locator("#comments .comment-list > article")
    before = comments.count()
    page.fill("#new-comment", HOSTILE)
    page.click("form.new-comment button[type=submit]")
    comments.nth(before).wait_for()
    body = comments.nth(before).locator(".comment-body")
    assert "<script>window.pwned=2</script>" in body.inner_text()
    assert page.evaluate("window.pwned") is None
    page.reload()
    body = page.locator("#comments .comment-list > article").nth(before).locator(".comment-body")
    assert "[click](javascript:window.pwned=3)" in body.inner_text()
    assert body.locator("a, img, svg, script").count() == 0
    assert page.evaluate("window.pwned") is None
    assert page.evaluate(OWN_SCRIPTS_ONLY)
    assert problems == []  # no dialog, no CSP violation, no script error
    page.context.close()


def test_forms_work_without_javascript(live_site: str, browser: Any) -> None:
    problems: list[str] = []
    page = _tab(browser, problems, javascript=False)
    _log_in(page, live_site, "ada")
    page.fill("#new-comment", "Posted without JavaScript.")
    page.click("form.new-comment button[type=submit]")
    page.wait_for_url("**#comment-*")
    target = page.url.rsplit("#", 1)[1]
    assert "Posted without JavaScript." in page.locator(f"#{target}").inner_text()
    # The reply form opens without JavaScript (a <details>) and posts as a plain form.
    article = page.locator(f"#{target}")
    article.locator("details.comment-reply summary").click()
    article.locator("details.comment-reply textarea").fill("A plain reply.")
    article.locator("details.comment-reply button[type=submit]").click()
    page.wait_for_url("**#comment-*")
    assert page.url.rsplit("#", 1)[1] != target
    assert "A plain reply." in page.locator("#comments").inner_text()
    assert problems == []
    page.context.close()
