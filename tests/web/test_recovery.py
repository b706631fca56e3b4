"""Password reset and email verification by mail, in the browser's place, on SQLite and
PostgreSQL: the mails arrive at a real SMTP server on loopback and their links are
followed. Time moves through ``app.state.clock``, never by sleeping."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine, select

from paperfeed.accounts.recovery import reset_password, start_reset
from paperfeed.accounts.users import AccountError, set_banned
from paperfeed.storage.engine import session_factory, write_session
from paperfeed.storage.models import User
from tests.mail.smtpd import SmtpServer
from tests.web.conftest import page, texts
from tests.web.sessions import (
    NEW_PASSWORD,
    PASSWORD,
    START,
    Site,
    login,
    make_site,
    make_user,
    register,
    signed_in_as,
    token,
)

BASE = "https://testserver"
SENT = "If an account with that name or address exists, we sent a link"


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@dataclass
class Env:
    site: Site
    smtp: SmtpServer

    def client(self) -> TestClient:
        return self.site.client(https=True)

    def user(self, name: str) -> int:
        return make_user(self.site.engine, name)

    def account(self, name: str) -> User:
        with session_factory(self.site.engine)() as session:
            user = session.scalars(select(User).where(User.username_key == name.lower())).one()
            session.expunge(user)
            return user

    def mails_to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.smtp.messages if m["To"] == address]


def _site(engine: Engine, tmp_path: Path, *, limits: dict[str, str] | None = None,
          **extra: object) -> Site:
    """A site on https (secure cookies) whose rate limits the tests stay under."""
    generous = {"login": "1000/1m", "login_per_address": "1000/1m", "signup": "1000/1h"}
    return make_site(engine, tmp_path, base_url=BASE,
                     rate_limits={**generous, **(limits or {})}, **extra)


@pytest.fixture
def env(site_engine: Engine, smtp: SmtpServer, tmp_path: Path) -> Env:
    smtp.clear()
    return Env(_site(site_engine, tmp_path, smtp_url=smtp.url), smtp)


def link(message: EmailMessage, path: str) -> str:
    """The site-relative link to `path` in a mail's text part."""
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(rf"{re.escape(BASE)}({re.escape(path)}\?token=[\w-]+)",
                      str(body.get_content()))
    assert found, body
    return found.group(1)


def forgot(client: TestClient, typed: str) -> Response:
    return client.post("/forgot-password", data={
        "csrf_token": token(client, "/forgot-password"), "account": typed})


def reset(client: TestClient, url: str, password: str = NEW_PASSWORD,
          confirm: str | None = None) -> Response:
    """Open the reset link and send its form."""
    form = client.get(url)
    assert form.status_code == 200, form.text
    doc = page(form)
    return client.post("/reset-password", data={
        "csrf_token": doc.xpath('//input[@name="csrf_token"]/@value')[0],
        "token": doc.xpath('//input[@name="token"]/@value')[0],
        "password": password, "password_confirm": password if confirm is None else confirm,
    })


def main_text(response: Response) -> str:
    return texts(page(response), "//main")[0]


def can_log_in(env: Env, name: str, password: str) -> bool:
    return login(env.client(), name, password).status_code == 303


def reset_link_for(env: Env, name: str) -> str:
    response = forgot(env.client(), name)
    assert response.status_code == 200 and SENT in response.text
    mails = env.mails_to(f"{name}@example.org")
    assert mails
    return link(mails[-1], "/reset-password")


# -- password reset ----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "typed"), [
    ("rhea", "rhea"), ("remy", "REMY"), ("rosa", " Rosa@Example.ORG "),
])
def test_reset_by_mail_logs_out_every_session_and_sets_the_new_password(
    env: Env, name: str, typed: str
) -> None:
    env.user(name)
    phone, laptop = env.client(), env.client()
    assert login(phone, name).status_code == 303
    assert login(laptop, name).status_code == 303

    response = forgot(env.client(), typed)
    assert response.status_code == 200
    assert SENT in main_text(response)
    [mail] = env.mails_to(f"{name}@example.org")
    assert "Reset your" in mail["Subject"]
    url = link(mail, "/reset-password")

    done = reset(laptop, url)  # followed on a signed-in browser
    assert done.status_code == 200
    assert "Your password was changed" in main_text(done)
    assert "Every session of your account was logged out" in main_text(done)
    assert page(done).xpath('//main//a[@href="/login"]')
    assert signed_in_as(laptop) is None  # not signed in again automatically
    assert signed_in_as(phone) is None   # and the other session ended too
    assert not can_log_in(env, name, PASSWORD)
    assert can_log_in(env, name, NEW_PASSWORD)

    again = env.client().get(url)  # a link works once
    assert again.status_code == 410
    assert "already been used" in main_text(again)
    assert page(again).xpath('//main//a[@href="/forgot-password"]')


def test_forgot_password_says_the_same_for_unknown_accounts_and_mails_nothing(
    env: Env,
) -> None:
    env.user("known")
    env.user("banned")
    env.user("mailless")
    with write_session(env.site.engine) as session:
        set_banned(session, session.scalars(select(User).where(
            User.username_key == "banned")).one(), True)
        session.scalars(select(User).where(User.username_key == "mailless")).one().email = None
    known = forgot(env.client(), "known")
    assert len(env.smtp.messages) == 1
    for typed in ("nobody", "nobody@example.org", "banned", "mailless", "@", "x" * 400):
        response = forgot(env.client(), typed)
        assert response.status_code == 200, typed
        assert main_text(response) == main_text(known)
    assert len(env.smtp.messages) == 1  # only the known account's


def test_the_login_page_links_to_forgot_password(env: Env) -> None:
    doc = page(env.client().get("/login"))
    assert doc.xpath('//main//a[@href="/forgot-password"][contains(., "Forgot your password?")]')
    form = page(env.client().get("/forgot-password"))
    assert form.xpath('//label[@for="account"]/text()') == ["Username or email"]


def test_an_expired_link_changes_nothing(env: Env) -> None:
    env.user("erin")
    url = reset_link_for(env, "erin")
    form = env.client().get(url)
    assert form.status_code == 200
    env.site.move(61 * 60)
    expired = env.client().get(url)
    assert expired.status_code == 410
    assert "expired" in main_text(expired)
    doc = page(form)
    client = env.client()
    response = client.post("/reset-password", data={
        "csrf_token": token(client, "/forgot-password"),
        "token": doc.xpath('//input[@name="token"]/@value')[0],
        "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 410
    assert can_log_in(env, "erin", PASSWORD)
    assert not can_log_in(env, "erin", NEW_PASSWORD)


def test_a_tampered_link_changes_nothing(env: Env) -> None:
    env.user("tara")
    url = reset_link_for(env, "tara")
    tampered = url[:-1] + ("A" if url[-1] != "A" else "B")
    for bad in (tampered, "/reset-password?token=", "/reset-password"):
        response = env.client().get(bad)
        assert response.status_code == 400, bad
        assert "not valid" in main_text(response)
    client = env.client()
    response = client.post("/reset-password", data={
        "csrf_token": token(client, "/forgot-password"), "token": tampered.split("=", 1)[1],
        "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert can_log_in(env, "tara", PASSWORD)
    assert reset(env.client(), url).status_code == 200  # the real link still works
    assert can_log_in(env, "tara", NEW_PASSWORD)


def test_a_newer_request_replaces_the_older_link(env: Env) -> None:
    env.user("nora")
    first = reset_link_for(env, "nora")
    second = reset_link_for(env, "nora")
    assert first != second
    assert env.client().get(first).status_code == 410
    assert reset(env.client(), second).status_code == 200
    assert can_log_in(env, "nora", NEW_PASSWORD)


def test_a_weak_or_mistyped_password_keeps_the_link_usable(env: Env) -> None:
    env.user("wade")
    url = reset_link_for(env, "wade")
    weak = reset(env.client(), url, "short")
    assert weak.status_code == 400
    assert "at least 10 characters" in texts(page(weak), '//p[@id="password-error"]')[0]
    assert "short" not in weak.text
    differ = reset(env.client(), url, NEW_PASSWORD, confirm=NEW_PASSWORD + "x")
    assert differ.status_code == 400
    assert texts(page(differ), '//p[@id="password_confirm-error"]')
    assert can_log_in(env, "wade", PASSWORD)
    assert reset(env.client(), url).status_code == 200
    assert can_log_in(env, "wade", NEW_PASSWORD)


def test_a_weak_password_does_not_use_up_the_token_even_in_one_transaction(
    env: Env,
) -> None:
    """The accounts layer checks the password before redeeming, so a caller that keeps
    its transaction after the refusal can still use the link."""
    env.user("pia")
    now = datetime.fromtimestamp(START, UTC).replace(tzinfo=None)
    with write_session(env.site.engine) as session:
        found = start_reset(session, "pia", now=now)
        assert found is not None
        _, reset_token = found
        with pytest.raises(AccountError):
            reset_password(session, reset_token, "short", now=now)
        reset_password(session, reset_token, NEW_PASSWORD, now=now)
    assert can_log_in(env, "pia", NEW_PASSWORD)


def test_forms_without_their_csrf_token_are_refused(env: Env) -> None:
    env.user("cora")
    client = env.client()
    client.get("/forgot-password")
    refused = client.post("/forgot-password", data={"account": "cora"})
    assert refused.status_code == 403
    assert page(refused).xpath('//input[@name="account"]/@value') == ["cora"]
    assert env.smtp.messages == []

    url = reset_link_for(env, "cora")
    form = client.get(url)
    refused = client.post("/reset-password", data={
        "token": page(form).xpath('//input[@name="token"]/@value')[0],
        "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert refused.status_code == 403
    assert can_log_in(env, "cora", PASSWORD)
    assert reset(env.client(), url).status_code == 200  # the link was not used up

    signed_in = env.client()
    assert login(signed_in, "cora", NEW_PASSWORD).status_code == 303
    before = len(env.smtp.messages)
    refused = signed_in.post("/settings/verify-email", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    assert len(env.smtp.messages) == before


def test_forgot_password_is_rate_limited_by_what_was_typed(
    site_engine: Engine, smtp: SmtpServer, tmp_path: Path
) -> None:
    smtp.clear()
    env = Env(_site(site_engine, tmp_path, smtp_url=smtp.url, limits={"login": "2/15m"}),
              smtp)
    env.user("lena")
    assert forgot(env.client(), "lena").status_code == 200
    assert forgot(env.client(), "LENA").status_code == 200
    limited = forgot(env.client(), "Lena")
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "Too many attempts" in main_text(limited)
    assert len(env.mails_to("lena@example.org")) == 2


def test_a_mail_failure_shows_the_same_page(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    env.user("mona")
    env.smtp.script(["550"])
    with caplog.at_level(logging.WARNING, logger="paperfeed.web.recovery"):
        response = forgot(env.client(), "mona")
    assert response.status_code == 200
    assert SENT in main_text(response)
    assert env.smtp.messages == []
    assert any("not sent" in record.getMessage() for record in caplog.records)


# -- email verification ----------------------------------------------------------------------


def test_registering_mails_a_link_that_verifies_the_address(env: Env) -> None:
    client = env.client()
    assert register(client, "vera").status_code == 303
    settings = page(client.get("/settings"))
    assert texts(settings, '//main//*[contains(., "is not verified yet")]')
    assert settings.xpath('//form[@action="/settings/verify-email"]//button')
    [mail] = env.mails_to("vera@example.org")
    assert "Verify" in mail["Subject"]
    url = link(mail, "/verify-email")

    verified = env.client().get(url)  # works without being signed in
    assert verified.status_code == 200
    assert "Your email address is verified" in main_text(verified)
    expected = datetime.fromtimestamp(START, UTC).replace(tzinfo=None)
    assert env.account("vera").email_verified_at == expected
    settings = page(client.get("/settings"))
    assert texts(settings, '//main//p[contains(., "is verified")]')
    assert not settings.xpath('//form[@action="/settings/verify-email"]')
    again = client.get(url)
    assert again.status_code == 410
    assert "already been used" in main_text(again)


def test_settings_send_a_new_verification_link(env: Env) -> None:
    env.user("sven")
    client = env.client()
    assert login(client, "sven").status_code == 303
    response = client.post("/settings/verify-email",
                           data={"csrf_token": token(client, "/settings")})
    assert response.status_code == 303
    notice = texts(page(client.get(response.headers["location"])), '//p[@role="status"]')
    assert notice and "We mailed you a verification link" in notice[0]
    [mail] = env.mails_to("sven@example.org")
    assert client.get(link(mail, "/verify-email")).status_code == 200
    assert env.account("sven").email_verified_at is not None


def test_a_verification_link_stops_working_when_the_address_changes(env: Env) -> None:
    env.user("cleo")
    client = env.client()
    assert login(client, "cleo").status_code == 303
    client.post("/settings/verify-email", data={"csrf_token": token(client, "/settings")})
    url = link(env.mails_to("cleo@example.org")[0], "/verify-email")
    with write_session(env.site.engine) as session:
        session.scalars(select(User).where(User.username_key == "cleo")).one().email = (
            "cleo@elsewhere.example")
    response = client.get(url)
    assert response.status_code == 400
    assert "not valid" in main_text(response)
    assert env.account("cleo").email_verified_at is None


def test_an_expired_verification_link_changes_nothing(env: Env) -> None:
    client = env.client()
    assert register(client, "otto").status_code == 303
    url = link(env.mails_to("otto@example.org")[0], "/verify-email")
    env.site.move(48 * 3600 + 1)
    response = client.get(url)
    assert response.status_code == 410
    assert "expired" in main_text(response)
    assert page(response).xpath('//main//a[@href="/settings"]')
    assert env.account("otto").email_verified_at is None


def test_registering_without_a_mail_server_still_makes_the_account(
    site_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    site = _site(site_engine, tmp_path)
    client = site.client(https=True)
    with caplog.at_level(logging.WARNING, logger="paperfeed.web.recovery"):
        assert register(client, "nomail").status_code == 303
    assert signed_in_as(client) == "nomail"
    assert any("not sent" in record.getMessage() for record in caplog.records)
    refused = client.post("/settings/verify-email",
                          data={"csrf_token": token(client, "/settings")})
    assert refused.status_code == 503
    assert "could not send the mail" in texts(page(refused), '//p[@id="verify-form-error"]')[0]
