"""The whole digest loop in real Chromium, on SQLite and PostgreSQL: subscribe from the
daily page's footer, follow the link in the mail the loopback SMTP server received,
change the preferences, get a digest, and leave with the one-click POST of RFC 8058."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from paperfeed.digest.periods import containing
from paperfeed.digest.service import send
from tests.digest.conftest import DAY, Env, make_settings
from tests.digest.helpers import digests_to, subscription
from tests.mail.smtpd import SmtpServer
from tests.web.browser import launch, open_tab, serve_engine

pytestmark = pytest.mark.browser


def _path(url: str) -> str:
    return re.sub(r"^https://papers\.example\.org", "", url)


def _link_in(env: Env, email: str, word: str, path: str) -> str:
    mails = [m for m in env.smtp.messages if m["To"] == email and word in m["Subject"]]
    assert mails, [m["Subject"] for m in env.smtp.messages]
    body = mails[-1].get_body(("plain",))
    assert body is not None
    found = re.search(rf"(https://papers\.example\.org{re.escape(path)}\?token=\S+)",
                      str(body.get_content()))
    assert found
    return _path(found.group(1))


def test_subscribe_confirm_adjust_receive_and_leave(engine: Engine, smtp: SmtpServer,
                                                    tmp_path: Path) -> None:
    # The served site (tests.web.browser.serve_engine) signs with "x" * 32: so do we.
    settings = make_settings(engine, tmp_path, smtp.url).model_copy(
        update={"secret_key": SecretStr("x" * 32)})
    env = Env(engine, settings, smtp, containing("weekly", DAY))
    extra = {"smtp_url": smtp.url, "site_name": settings.site_name,
             "mail_from": settings.mail_from, "base_url": settings.base_url}
    with serve_engine(engine, tmp_path, **extra) as live, launch() as browser, \
            open_tab(browser) as (page, problems):
        page.goto(f"{live}/")
        footer = page.locator("form.subscribe")
        footer.get_by_label("Your email for the digest").fill("reader@example.org")
        footer.get_by_role("button", name="Subscribe").click()
        page.get_by_role("heading", name="Check your inbox").wait_for()
        assert subscription(env, "reader@example.org").status == "pending"

        page.goto(live + _link_in(env, "reader@example.org", "Confirm", "/digest/confirm"))
        page.get_by_role("heading", name="You are subscribed").wait_for()
        page.get_by_role("link", name="your preferences page").click()
        page.get_by_role("heading", name="Your digest").wait_for()
        page.get_by_label("Weekly").check()
        page.get_by_label("arXiv categories").fill("quant-ph, math.NA")
        page.get_by_label("Keywords").fill("spectral")
        page.get_by_role("button", name="Save preferences").click()
        page.get_by_text("Saved. Your next digest follows these preferences.").wait_for()
        row = subscription(env, "reader@example.org")
        assert (row.status, row.period, row.categories, row.keywords) == (
            "active", "weekly", ["quant-ph", "math.NA"], ["spectral"])

        assert send(engine, settings, env.period).sent == 1
        [digest] = digests_to(env, "reader@example.org")
        assert "Quantum error correction with cat qubits" in str(digest.get_body(("plain",)))
        one_click = _path(str(digest["List-Unsubscribe"]).strip("<>"))
        assert str(digest["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"

        page.goto(live + one_click)  # opening the link only asks
        page.get_by_role("button", name="Unsubscribe").wait_for()
        assert subscription(env, "reader@example.org").status == "active"

        page.context.clear_cookies()  # a mail client's POST carries no cookie
        response = page.request.post(live + one_click, form={"List-Unsubscribe": "One-Click"},
                                     max_redirects=0)
        assert response.status == 200
        assert subscription(env, "reader@example.org").status == "unsubscribed"
        assert problems == []
