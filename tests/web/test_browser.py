"""The demo site in headless Chromium: daily page, a paper, back; hostile TeX stays inert.

Uses Debian's /usr/bin/chromium through Playwright (tests/web/browser.py). Under
`make test` (PAPERFEED_REQUIRE_PG=1) a missing browser fails the run instead of skipping.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from tests.web.browser import ROOT, launch, open_tab, serve_demo
from tests.web.conftest import SCRIPT_TITLE, add_hostile_papers

pytestmark = pytest.mark.browser

# Git-ignored; only `make screenshot` (scripts/screenshot.py) updates docs/screenshot-daily.png.
SCREENSHOT = ROOT / "build" / "screenshots" / "screenshot-daily.png"
HOSTILE_DAY = date(2024, 11, 21)  # before the demo days, so / stays the demo's latest day
# Every script on a page is one of the site's own files (no inline script, none injected).
OWN_SCRIPTS_ONLY = (
    "Array.from(document.scripts).every(s => s.src.startsWith(location.origin + '/static/')"
    " && !s.textContent.trim())"
)


@pytest.fixture(scope="module")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo (plus hostile papers) served by uvicorn on a free loopback port."""
    directory = tmp_path_factory.mktemp("browser")
    with serve_demo(directory, lambda engine: add_hostile_papers(engine, HOSTILE_DAY)) as url:
        yield url


@pytest.fixture(scope="module")
def browser(live_site: str) -> Iterator[Any]:
    with launch() as chromium:
        yield chromium


@pytest.fixture
def tab(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    """A page, and the console errors and dialogs it produced (CSP violations show here)."""
    with open_tab(browser) as opened:
        yield opened


def test_daily_page_then_a_paper_then_back(live_site: str, tab: tuple[Any, list[str]]) -> None:
    page, problems = tab
    page.goto(live_site + "/")
    assert "28 November 2024" in page.locator("h1").inner_text()
    assert page.locator(".demo-banner").is_visible()
    cards = page.locator("article.card")
    assert cards.count() >= 40
    first_title = cards.first.locator("h3 a").inner_text()
    assert first_title
    # the abstract is collapsed until opened
    abstract = cards.first.locator("details.abstract p")
    assert not abstract.is_visible()
    cards.first.locator("details.abstract summary").click()
    assert abstract.is_visible()

    # The page as the README shows it; `make screenshot` copies it to docs/.
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.reload()
    page.screenshot(path=str(SCREENSHOT))

    cards.first.locator("h3 a").click()
    page.wait_for_url("**/papers/**")
    assert page.locator("h1.paper-title").inner_text() == first_title
    assert page.locator("section.abstract-full").is_visible()
    assert page.get_by_role("link", name="PDF").first.get_attribute("href")

    page.go_back()
    page.wait_for_url(live_site + "/")
    assert page.locator("article.card").first.locator("h3 a").inner_text() == first_title
    assert problems == []


def test_trending_lists_the_demo_by_fading_votes(
    live_site: str, tab: tuple[Any, list[str]]
) -> None:
    """/trending after `make demo` lists the demo's papers (the README's picture)."""
    page, problems = tab
    page.goto(live_site + "/trending")
    assert page.locator("h1").inner_text() == "Trending papers"
    cards = page.locator("article.card")
    assert cards.count() >= 20
    assert int(cards.first.locator(".vote-count").inner_text()) > 0
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT.with_name("screenshot-trending.png")))
    assert problems == []


def test_math_renders_and_hostile_text_stays_inert(
    live_site: str, tab: tuple[Any, list[str]]
) -> None:
    page, problems = tab
    page.goto(f"{live_site}/date/{HOSTILE_DAY.isoformat()}")
    assert page.get_by_text(SCRIPT_TITLE).first.is_visible()
    page.goto(f"{live_site}/papers/2411.99002")
    math = page.locator("h1.paper-title math")
    box = math.bounding_box()
    assert box is not None and box["width"] > 0  # Chromium lays the MathML out
    assert "\\href{javascript:alert(3)}{x}" in page.locator("section.abstract-full").inner_text()
    page.goto(f"{live_site}/papers/2411.99001")
    assert page.locator("h1").inner_text() == SCRIPT_TITLE
    assert page.evaluate(OWN_SCRIPTS_ONLY)
    assert problems == []  # no alert dialog, no CSP violation, no script error


def test_the_api_docs_work_in_a_browser_with_nothing_from_outside(
    live_site: str, tab: tuple[Any, list[str]]
) -> None:
    """/api/docs renders Swagger UI from the site's own files under its
    Content-Security-Policy, lists the API's operations, and can run one."""
    page, problems = tab
    outside: list[str] = []
    page.on("request", lambda req: outside.append(req.url)
            if not req.url.startswith(live_site) and not req.url.startswith("data:") else None)
    page.goto(live_site + "/api/docs")
    page.wait_for_selector(".opblock-summary")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/papers/" in p for p in paths)
    assert any("/api/daily_papers" in p for p in paths)
    block = page.locator(".opblock-get").filter(has_text="/api/v1/days/latest").first
    block.locator(".opblock-summary").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    status = page.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip().startswith("200")
    assert outside == []
    assert [p for p in problems if "Content Security Policy" in p or "Refused" in p] == []
