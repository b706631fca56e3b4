"""SQLite with another process holding the write lock (``BEGIN IMMEDIATE`` on the same
file): writes wait ``db_busy_timeout`` and then answer 503 with Retry-After (pages a
"busy, try again" page, forms with what was typed kept, the API its error shape), reads
keep answering (WAL), and once the lock is released the same requests succeed, each
stored once. The CLI says so in one line and exits 1."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from paperfeed.cli import app as cli_app
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine, session_factory, write_session
from paperfeed.storage.models import Comment, DailyEntry, Paper, Vote
from paperfeed.web.app import create_app
from tests.web.conftest import make_settings, page, texts
from tests.web.sessions import START, Site, logged_in, token

ARXIV = "2411.00001"
PAPER = f"/papers/{ARXIV}"
TYPED = "A careful comment that must not be lost: $x^2$ and *emphasis*."


@contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Another connection (as another process would) holding SQLite's write lock."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.fixture
def db(sqlite_url: str) -> Iterator[tuple[Engine, Path]]:
    engine = make_engine(sqlite_url)
    migrate.upgrade(engine)
    with write_session(engine) as session:
        paper = Paper(arxiv_id=ARXIV, version=1, title="A paper about locks",
                      abstract="An abstract.", authors=["A. Author"], primary_category="cs.DB",
                      categories=["cs.DB"], published=date(2024, 11, 1))
        session.add(paper)
        session.flush()
        session.add(DailyEntry(day=date(2024, 11, 1), paper_id=paper.id, source="manual"))
    yield engine, Path(sqlite_url.removeprefix("sqlite:///"))
    engine.dispose()


def busy_site(engine: Engine, tmp_path: Path) -> Site:
    """The site's own engine comes from the settings: a 0.2 s busy timeout."""
    now = [START]
    settings = make_settings(engine, tmp_path, db_busy_timeout=0.2,
                             rate_limits={"signup": "100/1h"})
    app = create_app(settings, clock=lambda: now[0])
    assert app.state.engine is not engine
    return Site(app, engine, now)


def api_token(client: TestClient) -> str:
    response = client.post("/settings/tokens", data={
        "csrf_token": token(client, "/settings/tokens"), "name": "script", "scope": "write"})
    assert response.status_code == 201, response.text
    return str(page(response).xpath('//input[@id="new-token"]/@value')[0])


def stored(engine: Engine) -> tuple[int, int, list[str]]:
    with session_factory(engine)() as session:
        votes = session.scalar(select(func.count()).select_from(Vote)) or 0
        count = session.scalar(select(Paper.vote_count)) or 0
        bodies = list(session.scalars(select(Comment.body)))
    return int(votes), int(count), bodies


def assert_busy(response: object) -> None:
    assert response.status_code == 503, response.text  # type: ignore[attr-defined]
    assert 1 <= int(response.headers["retry-after"]) <= 10  # type: ignore[attr-defined]


def test_writes_answer_503_while_locked_and_succeed_after(
    db: tuple[Engine, Path], tmp_path: Path
) -> None:
    engine, path = db
    site = busy_site(engine, tmp_path)
    ada = logged_in(site, "ada")
    bearer = {"Authorization": f"Bearer {api_token(ada)}"}
    csrf = token(ada, PAPER)
    vote = {"csrf_token": csrf, "action": "up", "next": PAPER}
    comment = {"csrf_token": csrf, "body": TYPED}
    anonymous = site.client()

    with write_lock(path):
        # Reads go on (WAL): pages, the API with a token, a JSON twin.
        assert ada.get("/").status_code == 200
        assert ada.get(PAPER).status_code == 200
        assert anonymous.get(f"/api/v1/papers/{ARXIV}", headers=bearer).status_code == 200
        assert anonymous.get(f"{PAPER}.json").status_code == 200

        # The vote form: a short page saying to try again.
        refused = ada.post(f"{PAPER}/vote", data=vote)
        assert_busy(refused)
        doc = page(refused)
        assert texts(doc, "//h1") == ["Busy, try again"]
        assert "try again in a few seconds" in doc.text_content()
        # The same form from votes.js (JSON), and the API: the API's error shape.
        scripted = ada.post(f"{PAPER}/vote", data=vote, headers={"Accept": "application/json"})
        assert_busy(scripted)
        assert scripted.json()["error"]["code"] == "busy"
        api = anonymous.post(f"/api/v1/papers/{ARXIV}/vote", headers=bearer)
        assert_busy(api)
        assert set(api.json()) == {"error"} and api.json()["error"]["code"] == "busy"
        # The comment form comes back with what was typed.
        form = ada.post(f"{PAPER}/comments", data=comment)
        assert_busy(form)
        assert page(form).xpath('//textarea[@name="body"]/text()') == [TYPED]
        assert "try again" in " ".join(texts(page(form), '//*[@id="form-error"]'))
        # A page that writes (a digest confirmation link).
        assert_busy(anonymous.get("/digest/confirm?token=not-a-real-token"))
        assert stored(engine) == (0, 0, [])

    assert ada.post(f"{PAPER}/vote", data=vote).status_code == 303
    assert anonymous.post(f"/api/v1/papers/{ARXIV}/vote", headers=bearer).status_code == 200
    assert ada.post(f"{PAPER}/comments", data=comment).status_code == 303
    assert anonymous.get("/digest/confirm?token=not-a-real-token").status_code == 400
    assert stored(engine) == (1, 1, [TYPED])


def test_the_cli_says_busy_in_one_line_and_exits_1(
    db: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, path = db
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", str(engine.url))
    monkeypatch.setenv("PAPERFEED_DB_BUSY_TIMEOUT", "0.2")
    args = ["user", "create", "ada", "--email", "ada@example.org", "--password-stdin"]
    runner = CliRunner()
    with write_lock(path):
        refused = runner.invoke(cli_app, args, input="correct horse battery\n")
    assert refused.exit_code == 1, refused.output
    assert "Traceback" not in refused.output
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith("error: the database is busy")
    done = runner.invoke(cli_app, args, input="correct horse battery\n")
    assert done.exit_code == 0, done.output
