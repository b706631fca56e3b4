"""The demo site in headless Chromium: daily page, a paper, back; hostile TeX stays inert.

Uses Debian's /usr/bin/chromium through Playwright (never `playwright install`). Under
`make test` (PAPERFEED_REQUIRE_PG=1) a missing browser fails the run instead of skipping.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from paperfeed.config import Settings
from paperfeed.demo.builder import build_demo
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine
from paperfeed.web.app import create_app
from tests.web.conftest import SCRIPT_TITLE, add_hostile_papers

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
# Git-ignored; only `make screenshot` (scripts/screenshot.py) updates docs/screenshot-daily.png.
SCREENSHOT = ROOT / "build" / "screenshots" / "screenshot-daily.png"
CHROMIUM = os.environ.get("PAPERFEED_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]
HOSTILE_DAY = date(2024, 11, 21)
# Every script on a page is one of the site's own files (no inline script, none injected).
OWN_SCRIPTS_ONLY = (
    "Array.from(document.scripts).every(s => s.src.startsWith(location.origin + '/static/')"
    " && !s.textContent.trim())"
)  # before the demo days, so / stays the demo's latest day


def _require_browser() -> Any:
    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "playwright is not installed"
    if missing is None and not Path(CHROMIUM).exists():
        missing = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if missing:
        if os.environ.get("PAPERFEED_REQUIRE_PG") == "1":
            pytest.fail(f"browser test required but {missing}")
        pytest.skip(missing)
    return sync_playwright


@pytest.fixture(scope="module")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo (plus hostile papers) served by uvicorn on a free loopback port."""
    db = tmp_path_factory.mktemp("browser") / "demo.db"
    engine = make_engine(f"sqlite:///{db}")
    migrate.upgrade(engine)
    build_demo(engine)
    add_hostile_papers(engine, HOSTILE_DAY)
    settings = Settings(database_url=f"sqlite:///{db}", demo=True, secret_key="demo",  # type: ignore[arg-type]
                        data_dir=db.parent)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings, engine), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120  # a hang guard, not a speed test
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        engine.dispose()


@pytest.fixture(scope="module")
def browser(live_site: str) -> Iterator[Any]:
    sync_playwright = _require_browser()
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def tab(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    """A page, and the console errors and dialogs it produced (CSP violations show here)."""
    context = browser.new_context(viewport={"width": 1200, "height": 1500})
    context.set_default_timeout(60_000)  # waits guard against hangs; a busy machine is slow
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))

    def on_dialog(dialog: Any) -> None:
        problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        yield page, problems
    finally:
        context.close()


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
