"""Upvotes in real Chromium: with JavaScript the count changes in place (no page load);
without it the plain form comes back to the same card.

Uses Debian's /usr/bin/chromium through Playwright, like tests/web/test_browser.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from paperfeed.demo.builder import build_demo
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine
from tests.web.browser import launch, serve_engine
from tests.web.sessions import PASSWORD, make_user

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo with two readers (ada, bob), served by uvicorn on a free loopback port."""
    db = tmp_path_factory.mktemp("browser-votes") / "demo.db"
    engine = make_engine(f"sqlite:///{db}")
    migrate.upgrade(engine)
    build_demo(engine)
    make_user(engine, "ada")
    make_user(engine, "bob")
    try:
        with serve_engine(engine, db.parent, demo=True) as url:
            yield url
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def browser(live_site: str) -> Iterator[Any]:
    with launch() as chromium:
        yield chromium


def _signed_in_page(browser: Any, live_site: str, name: str, *, javascript: bool) -> Any:
    context = browser.new_context(viewport={"width": 1200, "height": 900},
                                  java_script_enabled=javascript)
    context.set_default_timeout(60_000)  # a hang guard; a busy machine is slow
    page = context.new_page()
    page.goto(live_site + "/login?next=/")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_site + "/")
    return page


def test_upvote_with_javascript_updates_in_place(browser: Any, live_site: str) -> None:
    page = _signed_in_page(browser, live_site, "ada", javascript=True)
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    loads: list[str] = []
    page.on("framenavigated", lambda frame: loads.append(frame.url))
    card = page.locator("article.card").nth(3)
    count = card.locator(".vote-count")
    before = int(count.inner_text())
    button = card.get_by_role("button", name="Upvote")
    page.evaluate("window.stillHere = true")
    button.click()
    page.wait_for_function(
        "([el, n]) => el.textContent === String(n)", arg=[count.element_handle(), before + 1]
    )
    pressed = card.locator("button.vote-button")
    assert pressed.get_attribute("aria-pressed") == "true"
    assert pressed.inner_text().strip().endswith("Unvote")
    assert page.evaluate("window.stillHere") is True  # the page was not reloaded
    assert loads == []
    # and back
    pressed.click()
    page.wait_for_function(
        "([el, n]) => el.textContent === String(n)", arg=[count.element_handle(), before]
    )
    assert pressed.get_attribute("aria-pressed") == "false"
    assert page.evaluate("window.stillHere") is True
    assert problems == []
    page.context.close()


def test_upvote_without_javascript_lands_back_on_the_card(browser: Any, live_site: str) -> None:
    page = _signed_in_page(browser, live_site, "bob", javascript=False)
    card = page.locator("article.card").nth(20)
    card_id = card.get_attribute("id")
    assert card_id and card_id.startswith("paper-")
    before = int(card.locator(".vote-count").inner_text())
    card.get_by_role("button", name="Upvote").click()
    page.wait_for_url(f"{live_site}/#{card_id}")
    again = page.locator(f'article[id="{card_id}"]')
    assert int(again.locator(".vote-count").inner_text()) == before + 1
    assert again.locator("button.vote-button").get_attribute("aria-pressed") == "true"
    # the browser scrolled to the card: it is in view
    box = again.bounding_box()
    assert box is not None and -5 <= box["y"] < 900
    page.context.close()
