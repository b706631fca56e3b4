"""Accounts in the browser, on SQLite and PostgreSQL: sign up, log in, log out, change the
password, delete the account; sessions rotate and end server-side; CSRF, rate limits
and banned accounts. Time moves through ``app.state.clock``, never by sleeping."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from paperfeed.accounts.users import set_banned
from paperfeed.cli import app as cli_app
from paperfeed.community.counts import refresh_votes
from paperfeed.storage.engine import session_factory, write_session
from paperfeed.storage.models import Comment, DailyEntry, Paper, User, UserSession, Vote
from paperfeed.web.accounts import CSRF_MESSAGE, WRONG_LOGIN
from tests.times import naive_utc
from tests.web.conftest import page, texts
from tests.web.sessions import (
    NEW_PASSWORD,
    PASSWORD,
    Site,
    login,
    make_site,
    make_user,
    register,
    session_cookie,
    signed_in_as,
    token,
    user_count,
)

# -- sign up -----------------------------------------------------------------------------


def test_register_signs_in_and_goes_back(site: Site) -> None:
    client = site.client()
    response = client.post("/register", data={
        "csrf_token": token(client, "/register?next=/papers/2411.00001"), "username": "Ada",
        "email": "Ada@Example.org", "password": PASSWORD, "password_confirm": PASSWORD,
        "next": "/papers/2411.00001",
    })
    assert response.status_code == 303
    assert response.headers["location"] == "/papers/2411.00001"
    assert signed_in_as(client) == "Ada"
    with session_factory(site.engine)() as session:
        user = session.scalars(select(User)).one()
        assert (user.username, user.username_key, user.email) == ("Ada", "ada", "ada@example.org")
        assert user.password_hash and user.password_hash.startswith("$argon2id$")


@pytest.mark.parametrize(("name", "field", "message"), [
    ("ada lovelace", "username", "letters, digits, '_' and '-'"),
    ("-ada", "username", "starting with a letter or digit"),
    ("a", "username", "2 to 30 characters"),
    ("admin", "username", "reserved"),
    ("API", "username", "reserved"),
    ("ADA", "username", "is taken"),
])
def test_register_refuses_bad_usernames_with_a_message_by_the_field(
    site: Site, name: str, field: str, message: str
) -> None:
    make_user(site.engine, "ada")
    client = site.client()
    response = register(client, name)
    assert response.status_code == 400
    doc = page(response)
    error = texts(doc, f'//p[@id="{field}-error"]')
    assert error and message in error[0]
    described = doc.xpath(f'//input[@name="{field}"]/@aria-describedby')[0]
    assert f"{field}-error" in described.split()
    assert doc.xpath(f'//input[@name="{field}"]/@aria-invalid') == ["true"]
    assert doc.xpath('//input[@name="username"]/@value') == [name]  # kept
    assert PASSWORD not in response.text
    assert user_count(site.engine) == 1
    assert signed_in_as(client) is None


@pytest.mark.parametrize(("password", "confirm", "email", "field", "message"), [
    ("short", "short", None, "password", "at least 10"),
    (PASSWORD, PASSWORD + "x", None, "password_confirm", "differ"),
    (PASSWORD, None, "not-an-address", "email", "email address"),
    (PASSWORD, None, "ada@example.org", "email", "already has an account"),
])
def test_register_refuses_bad_passwords_and_addresses(
    site: Site, password: str, confirm: str | None, email: str | None, field: str, message: str
) -> None:
    make_user(site.engine, "ada")
    response = register(site.client(), "grace", password, confirm, email)
    assert response.status_code == 400
    doc = page(response)
    assert message in texts(doc, f'//p[@id="{field}-error"]')[0]
    assert doc.xpath('//input[@name="password"]/@value') == []
    assert user_count(site.engine) == 1


def test_signup_rate_limit_per_address(engine: Engine, tmp_path: Path) -> None:
    site = make_site(engine, tmp_path, rate_limits={"signup": "2/1h"})
    assert register(site.client(), "one").status_code == 303
    assert register(site.client(), "two").status_code == 303
    response = register(site.client(), "three")
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert page(response).xpath('//input[@name="username"]/@value') == ["three"]
    assert user_count(engine) == 2
    site.move(3601)
    assert register(site.client(), "three").status_code == 303


# -- log in, log out, cookies ----------------------------------------------------------------


def test_login_rotates_the_session_id(site: Site) -> None:
    make_user(site.engine, "ada")
    client = site.client()
    assert login(client, "ada").status_code == 303
    first = session_cookie(client)
    response = login(client, "ADA", next_path="/settings")
    assert response.status_code == 303
    assert response.headers["location"] == "/settings"
    second = session_cookie(client)
    assert second != first
    assert signed_in_as(client) == "ada"
    replay = site.client()
    replay.cookies.set("pf_session", first)
    assert signed_in_as(replay) is None
    with session_factory(site.engine)() as session:
        assert session.scalar(select(func.count()).select_from(UserSession)) == 1


def test_logout_ends_the_session_on_the_server(site: Site) -> None:
    make_user(site.engine, "ada")
    client = site.client()
    login(client, "ada")
    old = session_cookie(client)
    response = client.post("/logout", data={"csrf_token": token(client, "/settings")})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert signed_in_as(client) is None
    replay = site.client()
    replay.cookies.set("pf_session", old)
    assert signed_in_as(replay) is None
    assert replay.get("/settings").status_code == 303


def test_unknown_user_and_wrong_password_get_the_same_answer(site: Site) -> None:
    make_user(site.engine, "ada")
    client = site.client()
    known = login(client, "ada", "wrong password!")
    unknown = login(client, "bob", "wrong password!")
    assert known.status_code == unknown.status_code == 400
    assert texts(page(known), '//p[@role="alert"]') == [WRONG_LOGIN]
    assert known.text.replace('value="ada"', "") == unknown.text.replace(
        'value="bob"', "")


def test_cookies_are_httponly_and_lax(site: Site) -> None:
    make_user(site.engine, "ada")
    cookie = login(site.client(), "ada").headers["set-cookie"]
    assert cookie.startswith("pf_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie


def test_https_cookies_are_secure_with_the_host_prefix(engine: Engine, tmp_path: Path) -> None:
    site = make_site(engine, tmp_path, base_url="https://papers.example.org")
    make_user(engine, "ada")
    client = site.client(https=True)
    form = client.get("/login")
    assert form.headers["set-cookie"].startswith("__Host-pf_csrf=")
    response = login(client, "ada")
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-pf_session=")
    for flag in ("Secure", "HttpOnly", "SameSite=lax", "Path=/"):
        assert flag in cookie
    assert "Domain" not in cookie
    assert signed_in_as(client) == "ada"


def test_twenty_wrong_passwords_hit_the_limit_and_reveal_nothing(site: Site) -> None:
    make_user(site.engine, "ada")
    client = site.client()
    answers: dict[str, list[tuple[int, str]]] = {}
    for name in ("ada", "nobody"):
        answers[name] = []
        for _ in range(20):
            response = login(client, name, "not the password")
            body = re.sub(r"\d+ (seconds|minutes)", "N", response.text.replace(
                f'value="{name}"', ""))
            answers[name].append((response.status_code, body))
            if response.status_code == 429:
                assert int(response.headers["retry-after"]) > 0
                assert page(response).xpath('//input[@name="username"]/@value') == [name]
    statuses = [status for status, _ in answers["ada"]]
    assert statuses == [400] * 10 + [429] * 10
    assert answers["ada"] == answers["nobody"]
    assert login(client, "ada").status_code == 429
    site.move(15 * 60 + 1)
    assert login(client, "ada").status_code == 303
    assert signed_in_as(client) == "ada"


def test_a_banned_users_old_cookie_is_logged_out(site: Site) -> None:
    user_id = make_user(site.engine, "ada")
    client = site.client()
    login(client, "ada")
    old = session_cookie(client)
    with write_session(site.engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        user.is_banned = True  # banned without ending the sessions: the cookie still fails
    replay = site.client()
    replay.cookies.set("pf_session", old)
    assert signed_in_as(replay) is None
    assert "Log in" in texts(page(replay.get("/")), '//nav[@class="account"]')[0]
    response = login(site.client(), "ada")
    assert response.status_code == 400
    assert texts(page(response), '//p[@role="alert"]') == [WRONG_LOGIN]
    with write_session(site.engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        set_banned(session, user, False)
    assert signed_in_as(replay) == "ada"  # the session row survived a ban without revoking


def test_user_ban_on_the_command_line_ends_sessions(
    site: Site, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(site.engine, "ada")
    client = site.client()
    login(client, "ada")
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", db_url)
    result = CliRunner().invoke(cli_app, ["user", "ban", "ada"])
    assert result.exit_code == 0, result.output
    assert signed_in_as(client) is None
    with session_factory(site.engine)() as session:
        assert session.scalar(select(func.count()).select_from(UserSession)) == 0
    assert CliRunner().invoke(cli_app, ["user", "unban", "ada"]).exit_code == 0
    assert signed_in_as(client) is None  # unbanning does not bring sessions back


# -- CSRF ----------------------------------------------------------------------------------


def test_forms_without_or_with_another_sessions_token_are_refused(site: Site) -> None:
    make_user(site.engine, "ada")
    make_user(site.engine, "bob")
    ada, bob, visitor = site.client(), site.client(), site.client()
    login(ada, "ada")
    login(bob, "bob")
    bob_token = token(bob, "/settings")
    visitor_own = token(visitor, "/register")
    for forged in ("", bob_token, token(site.client(), "/register")):
        data = {"username": "mallory", "email": "m@example.org", "password": PASSWORD,
                "password_confirm": PASSWORD}
        if forged:
            data["csrf_token"] = forged
        response = visitor.post("/register", data=data)
        assert response.status_code == 403
        doc = page(response)
        assert texts(doc, '//p[@role="alert"]') == [CSRF_MESSAGE]
        assert doc.xpath('//input[@name="username"]/@value') == ["mallory"]
        assert doc.xpath('//input[@name="email"]/@value') == ["m@example.org"]
        assert PASSWORD not in response.text
        assert doc.xpath('//input[@name="csrf_token"]/@value') == [visitor_own]  # fresh, own
        response = visitor.post("/login", data={**data, "username": "ada", "csrf_token": forged})
        assert response.status_code == 403
        assert signed_in_as(visitor) is None
        # Signed-in forms with Bob's token (or none) from Ada's browser.
        response = ada.post("/settings/password", data={
            "csrf_token": forged, "current_password": PASSWORD, "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD,
        })
        assert response.status_code == 403
        assert CSRF_MESSAGE in texts(page(response), '//p[@role="alert"]')
        response = ada.post("/settings/delete", data={
            "csrf_token": forged, "confirm_username": "ada", "password": PASSWORD,
        })
        assert response.status_code == 403
        assert page(response).xpath('//input[@name="confirm_username"]/@value') == ["ada"]
        assert ada.post("/settings/profile", data={"csrf_token": forged,
                                                   "show_upvotes": "on"}).status_code == 403
        assert ada.post("/logout", data={"csrf_token": forged}).status_code == 403
        assert signed_in_as(ada) == "ada"
    assert user_count(site.engine) == 2
    with session_factory(site.engine)() as session:
        assert session.scalar(select(User.show_upvotes).where(User.username == "ada")) is False
    assert login(site.client(), "ada").status_code == 303


# -- settings -------------------------------------------------------------------------------


def test_change_password_ends_other_sessions_and_keeps_this_one(site: Site) -> None:
    make_user(site.engine, "ada")
    here, elsewhere = site.client(), site.client()
    login(here, "ada")
    login(elsewhere, "ada")
    form = {"csrf_token": token(here, "/settings"), "current_password": "wrong password!",
            "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD}
    response = here.post("/settings/password", data=form)
    assert response.status_code == 400
    assert "not your current password" in texts(page(response),
                                                '//p[@id="current_password-error"]')[0]
    response = here.post("/settings/password", data={**form, "current_password": PASSWORD,
                                                      "new_password_confirm": "other"})
    assert response.status_code == 400
    assert signed_in_as(elsewhere) == "ada"
    response = here.post("/settings/password", data={**form, "current_password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["location"] == "/settings?saved=password"
    assert "password was changed" in here.get("/settings?saved=password").text
    assert signed_in_as(here) == "ada"
    assert signed_in_as(elsewhere) is None
    assert login(site.client(), "ada").status_code == 400
    assert login(site.client(), "ada", NEW_PASSWORD).status_code == 303


def test_show_upvotes_toggle(site: Site) -> None:
    make_user(site.engine, "ada")
    client = site.client()
    login(client, "ada")
    csrf = token(client, "/settings")
    assert client.post("/settings/profile", data={"csrf_token": csrf,
                                                  "show_upvotes": "on"}).status_code == 303
    assert page(client.get("/settings")).xpath('//input[@id="show_upvotes"]/@checked')
    assert client.post("/settings/profile", data={"csrf_token": csrf}).status_code == 303
    assert not page(client.get("/settings")).xpath('//input[@id="show_upvotes"]/@checked')


def _community(engine: Engine, ada: int, bob: int) -> list[int]:
    """Two papers on a list (one submitted by Ada), both upvoted by Ada, one by Bob too,
    and a comment by Ada with a reply by Bob."""
    when = naive_utc(2025, 11, 24, 8)
    with write_session(engine) as session:
        papers = [Paper(arxiv_id=f"2411.0000{n}", version=1, title=f"Paper {n}",
                        abstract="An abstract.", authors=["A. Author"], primary_category="cs.LG",
                        categories=["cs.LG"], published=date(2024, 11, 1)) for n in (1, 2)]
        session.add_all(papers)
        session.flush()
        session.add_all([DailyEntry(day=date(2025, 11, 24), paper_id=p.id, submitted_at=when,
                                    submitted_by_id=ada if n == 0 else None)
                         for n, p in enumerate(papers)])
        session.add_all([Vote(user_id=ada, paper_id=papers[0].id, created_at=when),
                         Vote(user_id=ada, paper_id=papers[1].id, created_at=when),
                         Vote(user_id=bob, paper_id=papers[0].id, created_at=when)])
        comment = Comment(paper_id=papers[0].id, user_id=ada, body="A comment by Ada.")
        session.add(comment)
        session.flush()
        session.add(Comment(paper_id=papers[0].id, user_id=bob, parent_id=comment.id,
                            body="Bob's reply."))
        for paper in papers:
            refresh_votes(session, paper.id)
        return [p.id for p in papers]


def test_delete_account(site: Site) -> None:
    ada, bob = make_user(site.engine, "ada"), make_user(site.engine, "bob")
    paper_ids = _community(site.engine, ada, bob)
    client = site.client()
    login(client, "ada")
    old = session_cookie(client)
    csrf = token(client, "/settings")
    response = client.post("/settings/delete", data={
        "csrf_token": csrf, "confirm_username": "bob", "password": PASSWORD})
    assert response.status_code == 400
    error = texts(page(response), '//p[@id="confirm_username-error"]')
    assert "Type your username, ada" in error[0]
    response = client.post("/settings/delete", data={
        "csrf_token": csrf, "confirm_username": "ADA", "password": "wrong password!"})
    assert response.status_code == 400
    assert user_count(site.engine) == 2

    response = client.post("/settings/delete", data={
        "csrf_token": csrf, "confirm_username": "ADA", "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert signed_in_as(client) is None
    replay = site.client()
    replay.cookies.set("pf_session", old)
    assert signed_in_as(replay) is None
    with session_factory(site.engine)() as session:
        assert session.get(User, ada) is None
        assert session.scalar(select(func.count()).select_from(UserSession)) == 0
        assert list(session.scalars(select(Vote.user_id))) == [bob]
        counts = {p.id: (p.vote_count, p.trending_key is not None)
                  for p in session.scalars(select(Paper))}
        assert counts == {paper_ids[0]: (1, True), paper_ids[1]: (0, True)}
        comments = {c.body: c.user_id for c in session.scalars(select(Comment))}
        assert comments == {"A comment by Ada.": None, "Bob's reply.": bob}
        entries = list(session.scalars(select(DailyEntry).order_by(DailyEntry.paper_id)))
        assert [e.submitted_by_id for e in entries] == [None, None]
    doc = page(site.client().get("/papers/2411.00001"))
    authors = texts(doc, '//*[@class="comment-author"]')
    assert authors == ["deleted user", "bob"]
    assert login(site.client(), "ada").status_code == 400
    assert register(site.client(), "ada").status_code == 303


def test_settings_needs_a_login(site: Site) -> None:
    response = site.client().get("/settings")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/settings"


def test_login_page_keeps_a_local_next_only(site: Site) -> None:
    make_user(site.engine, "ada")
    doc = page(site.client().get("/login?next=//evil.example/x"))
    assert doc.xpath('//input[@name="next"]/@value') == ["/"]
    response = login(site.client(), "ada", next_path="https://evil.example/")
    assert response.headers["location"] == "/"


def test_forms_label_every_control(site: Site) -> None:
    make_user(site.engine, "ada")
    client = site.client()
    docs = [page(client.get("/login")), page(client.get("/register"))]
    login(client, "ada")
    docs += [page(client.get("/settings")), page(client.get("/logout"))]
    for doc in docs:
        assert len(doc.xpath("//h1")) == 1
        for control in doc.xpath('//main//input[not(@type="hidden")]'):
            assert doc.xpath(f'//label[@for="{control.get("id")}"]'), control.get("name")

