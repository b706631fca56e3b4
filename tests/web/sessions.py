"""Shared helpers for tests of signed-in features: a site on a moved clock, users, the
CSRF token of a form, registering and logging in through the real forms."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine, func, select

from paperfeed.accounts.users import create_user
from paperfeed.storage.engine import session_factory, write_session
from paperfeed.storage.models import User
from paperfeed.web.app import create_app
from tests.web.conftest import make_settings, page, texts

PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple battery horse!"
START = 1_764_000_000.0  # 2025-11-24, a fixed clock


@dataclass
class Site:
    app: FastAPI
    engine: Engine
    now: list[float]

    def client(self, *, https: bool = False) -> TestClient:
        base = "https://testserver" if https else "http://testserver"
        return TestClient(self.app, base_url=base, follow_redirects=False)

    def move(self, seconds: float) -> None:
        self.now[0] += seconds


def make_site(engine: Engine, tmp_path: Path, **extra: object) -> Site:
    now = [START]
    settings = make_settings(engine, tmp_path, **extra)
    app = create_app(settings, engine, clock=lambda: now[0])
    return Site(app, engine, now)


def token(client: TestClient, path: str = "/login") -> str:
    """The CSRF token of the form on `path` (sets the visitor's pre-session cookie)."""
    response = client.get(path)
    assert response.status_code == 200, response.text
    found = page(response).xpath('//input[@name="csrf_token"]/@value')
    assert found
    return str(found[0])


def make_user(engine: Engine, name: str = "ada", **extra: str) -> int:
    with write_session(engine) as session:
        return create_user(session, name, f"{name}@example.org", PASSWORD, **extra).id


def register(client: TestClient, name: str, password: str = PASSWORD,
             confirm: str | None = None, email: str | None = None) -> Response:
    return client.post("/register", data={
        "csrf_token": token(client, "/register"), "username": name,
        "email": email if email is not None else f"{name}@example.org",
        "password": password, "password_confirm": password if confirm is None else confirm,
    })


def login(client: TestClient, name: str, password: str = PASSWORD, next_path: str = "") -> Response:
    return client.post("/login", data={
        "csrf_token": token(client), "username": name, "password": password, "next": next_path,
    })


def session_cookie(client: TestClient) -> str:
    value = client.cookies.get("pf_session") or client.cookies.get("__Host-pf_session")
    assert value
    return value


def signed_in_as(client: TestClient) -> str | None:
    """The username the account nav shows, or None when it offers "Log in"."""
    doc = page(client.get("/settings", follow_redirects=True))
    if texts(doc, '//nav[@class="account"]//a[.="Log in"]'):
        return None
    return texts(doc, '//nav[@class="account"]/a[@class="me"]')[0]


def user_count(engine: Engine) -> int:
    with session_factory(engine)() as session:
        return int(session.scalar(select(func.count()).select_from(User)) or 0)



def logged_in(site: Site, name: str, **extra: str) -> TestClient:
    """A client signed in as a new user `name` (role etc. in `extra`)."""
    make_user(site.engine, name, **extra)
    client = site.client()
    response = login(client, name)
    assert response.status_code == 303, response.text
    return client
