"""Shared helpers for the tests in headless Chromium (Playwright): the browser, a live
uvicorn server on a demo database, and axe-core accessibility checks.

Uses Debian's /usr/bin/chromium (never `playwright install`) and build/axe/axe.min.js,
which `make test` fetches from npm (scripts/axe.py). Under `make test`
(PAPERFEED_REQUIRE_PG=1) a missing browser or axe-core fails the run instead of skipping.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import Engine

from paperfeed.config import Settings
from paperfeed.demo.builder import build_demo
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine
from paperfeed.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "build" / "axe" / "axe.min.js"
CHROMIUM = os.environ.get("PAPERFEED_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]
# WCAG 2.0/2.1/2.2 A and AA, plus axe's best practices (heading order, unique landmarks).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# Failures whatever impact axe gives them: the issue names these explicitly.
AXE_ALWAYS = {"heading-order", "landmark-unique", "label", "link-in-text-block", "target-size"}


def _missing(what: str) -> None:
    if os.environ.get("PAPERFEED_REQUIRE_PG") == "1":
        pytest.fail(f"browser test required but {what}")
    pytest.skip(what)


def require_browser() -> Any:
    """Playwright's sync_playwright, or skip (fail under `make test`) without a browser."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    if not Path(CHROMIUM).exists():
        _missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    return sync_playwright


def require_axe() -> str:
    """The axe-core script, or skip (fail under `make test`) when it was not fetched."""
    if not AXE.exists():
        _missing(f"no axe-core at {AXE} (run: python scripts/axe.py)")
    return AXE.read_text(encoding="utf-8")


@contextmanager
def launch() -> Iterator[Any]:
    sync_playwright = require_browser()
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def serve_demo(
    directory: Path, prepare: Callable[[Engine], None] | None = None
) -> Iterator[str]:
    """The demo (plus whatever `prepare` adds) served by uvicorn on a free loopback port."""
    db = directory / "demo.db"
    engine = make_engine(f"sqlite:///{db}")
    migrate.upgrade(engine)
    build_demo(engine)
    if prepare is not None:
        prepare(engine)
    try:
        with serve_engine(engine, directory, demo=True) as url:
            yield url
    finally:
        engine.dispose()


@contextmanager
def serve_engine(engine: Engine, directory: Path, **settings: Any) -> Iterator[str]:
    """The site on `engine`'s (migrated) database, served by uvicorn on a free loopback
    port, with the real clock."""
    config = Settings(database_url=engine.url.render_as_string(hide_password=False),  # type: ignore[arg-type]
                      secret_key="x" * 32, data_dir=directory, **settings)
    with serve_app(lambda _url: create_app(config, engine)) as url:
        yield url


@contextmanager
def serve_app(make_app: Callable[[str], Any]) -> Iterator[str]:
    """``make_app(url)`` served by uvicorn on a free loopback port; yields the URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(uvicorn.Config(make_app(url), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120  # a hang guard, not a speed test
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=60)


@contextmanager
def open_tab(browser: Any, **context_options: Any) -> Iterator[tuple[Any, list[str]]]:
    """A page, and the console errors and dialogs it produced (CSP violations show here)."""
    options: dict[str, Any] = {"viewport": {"width": 1200, "height": 1500}, **context_options}
    context = browser.new_context(**options)
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


_RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                          resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary || ""})),
  }));
}"""


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Every axe-core violation on the page as it is now (the script is injected once)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, so the site's CSP (script-src 'self')
        # does not block it and the page itself stays script-free.
        page.evaluate(require_axe())
    found: list[dict[str, Any]] = page.evaluate(_RUN_AXE, AXE_TAGS)
    return found


def check_axe(page: Any) -> list[str]:
    """The critical and serious violations (and those in AXE_ALWAYS), one readable line
    per element: `[impact] rule: help — element — what is wrong`."""
    lines = []
    for violation in axe_violations(page):
        if violation["impact"] not in {"critical", "serious"} and violation["id"] not in AXE_ALWAYS:
            continue
        for node in violation["nodes"]:
            summary = " ".join(node["summary"].split())
            lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} — "
                         f"{node['target']} — {summary}")
    return lines
