"""A moderator in headless Chromium: logs in, finds a reported hostile comment on /admin
(shown as text: no script runs, no dialog opens), hides it, and the paper page no longer
shows it. Reuses the browser set-up of test_browser.py."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from paperfeed.accounts.users import create_user
from paperfeed.config import Settings
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine, write_session
from paperfeed.storage.models import Report
from paperfeed.web.app import create_app
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS
from tests.web.browser import require_browser as _require_browser
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
    settings = Settings(database_url=f"sqlite:///{db}", secret_key="m" * 32,  # type: ignore[arg-type]
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


def test_moderator_hides_a_reported_comment_in_the_browser(moderated_site: str) -> None:
    sync_playwright = _require_browser()
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = chromium.new_context(viewport={"width": 1200, "height": 1400})
            context.set_default_timeout(60_000)
            page = context.new_page()
            problems: list[str] = []
            page.on("console",
                    lambda msg: problems.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: problems.append(str(exc)))

            def on_dialog(dialog: Any) -> None:
                problems.append(f"dialog: {dialog.message}")
                dialog.dismiss()

            page.on("dialog", on_dialog)
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
            context.close()
        finally:
            chromium.close()
