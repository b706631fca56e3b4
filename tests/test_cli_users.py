"""`paperfeed user …` on SQLite and PostgreSQL: create, set-password, ban, unban, role,
list; errors are one line with exit code 1 (2 for usage)."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner, Result

from paperfeed.accounts.passwords import verify_password
from paperfeed.accounts.sessions import start_session
from paperfeed.accounts.users import find_user
from paperfeed.cli import app
from paperfeed.storage.engine import session_factory, write_session
from paperfeed.storage.models import Comment, DailyEntry, ModerationAction, Paper, UserSession
from tests.times import naive_utc

runner = CliRunner()
PASSWORD = "correct horse battery"


@pytest.fixture
def db(engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", db_url)
    return engine


def invoke(*args: str, stdin: str | None = None) -> Result:
    return runner.invoke(app, ["user", *args], input=stdin)


def create(name: str = "ada", *extra: str) -> Result:
    return invoke("create", name, "--email", f"{name}@example.org", "--password-stdin", *extra,
                  stdin=PASSWORD + "\n")


def one_line_error(result: Result, code: int, words: str) -> None:
    assert result.exit_code == code, result.output
    output = result.output.strip()
    assert len(output.splitlines()) == 1, output
    assert words in output


def test_create_with_password_stdin(db: Engine) -> None:
    result = create("Ada", "--admin")
    assert result.exit_code == 0, result.output
    assert "created admin Ada" in result.output
    with session_factory(db)() as session:
        user = find_user(session, "ada")
        assert user is not None
        assert (user.username, user.email, user.role) == ("Ada", "ada@example.org", "admin")
        assert verify_password(user.password_hash, PASSWORD)
    assert create("grace", "--moderator").exit_code == 0
    with session_factory(db)() as session:
        grace = find_user(session, "grace")
        assert grace is not None and grace.role == "moderator"


def test_create_errors_are_one_line(db: Engine) -> None:
    assert create("ada").exit_code == 0
    one_line_error(create("ADA"), 1, "is taken")
    one_line_error(create("admin"), 1, "reserved")
    one_line_error(create("bad name"), 1, "Usernames have 2 to 30 characters")
    one_line_error(invoke("create", "bob", "--email", "bob@example.org", "--password-stdin",
                          stdin="short\n"), 1, "at least 10")
    one_line_error(invoke("create", "bob", "--email", "nope", "--password-stdin",
                          stdin=PASSWORD + "\n"), 1, "email address")
    one_line_error(create("bob", "--admin", "--moderator"), 2, "one of --admin and --moderator")
    # No terminal and no --password-stdin: a usage error, not a hang.
    one_line_error(invoke("create", "bob", "--email", "bob@example.org"), 2, "--password-stdin")
    with session_factory(db)() as session:
        assert find_user(session, "bob") is None


def test_set_password(db: Engine) -> None:
    create("ada")
    with write_session(db) as session:
        user = find_user(session, "ada")
        assert user is not None
        start_session(session, user, naive_utc(2025, 1, 1), days=30)
    result = invoke("set-password", "ADA", "--password-stdin", stdin="a brand new password\n")
    assert result.exit_code == 0, result.output
    with session_factory(db)() as session:
        user = find_user(session, "ada")
        assert user is not None
        assert verify_password(user.password_hash, "a brand new password")
        assert session.scalar(select(func.count()).select_from(UserSession)) == 0
    one_line_error(invoke("set-password", "ada", "--password-stdin", stdin="short\n"), 1,
                   "at least 10")
    one_line_error(invoke("set-password", "nobody", "--password-stdin",
                          stdin=PASSWORD + "\n"), 1, "no user named 'nobody'")


def test_ban_and_unban(db: Engine) -> None:
    create("ada")
    with write_session(db) as session:
        user = find_user(session, "ada")
        assert user is not None
        start_session(session, user, naive_utc(2025, 1, 1), days=30)
    result = invoke("ban", "ada")
    assert result.exit_code == 0, result.output
    with session_factory(db)() as session:
        user = find_user(session, "ada")
        assert user is not None and user.is_banned
        assert session.scalar(select(func.count()).select_from(UserSession)) == 0
    assert invoke("unban", "ada").exit_code == 0
    with session_factory(db)() as session:
        user = find_user(session, "ada")
        assert user is not None and not user.is_banned
    one_line_error(invoke("ban", "nobody"), 1, "no user named")


def test_ban_from_the_command_line_is_logged_and_can_hide_content(db: Engine) -> None:
    create("ada")
    with write_session(db) as session:
        user = find_user(session, "ada")
        assert user is not None
        paper = Paper(arxiv_id="2411.00001", title="A paper", authors=["A"],
                      categories=["cs.LG"])
        session.add(paper)
        session.flush()
        session.add(Comment(paper_id=paper.id, user_id=user.id, body="spam spam"))
        session.add(DailyEntry(day=date(2025, 1, 1), paper_id=paper.id,
                               submitted_by_id=user.id))
    result = invoke("ban", "ada", "--hide-content", "--note", "spam run")
    assert result.exit_code == 0, result.output
    assert "hid 1 comment(s) and 1 daily entry" in result.output
    assert invoke("unban", "ada").exit_code == 0
    with session_factory(db)() as session:
        log = session.execute(select(ModerationAction.moderator_name, ModerationAction.action,
                                     ModerationAction.target_label, ModerationAction.note)
                              .order_by(ModerationAction.id)).all()
        assert [tuple(row) for row in log] == [
            ("operator (command line)", "ban", "ada",
             "spam run Hid 1 comment(s) and 1 daily entry."),
            ("operator (command line)", "unban", "ada", ""),
        ]
        assert session.scalar(select(Comment.hidden)) is True
        assert session.scalar(select(DailyEntry.hidden)) is True  # unban leaves it hidden


def test_role(db: Engine) -> None:
    create("ada")
    result = invoke("role", "ada", "moderator")
    assert result.exit_code == 0, result.output
    assert "ada is now moderator" in result.output
    with session_factory(db)() as session:
        user = find_user(session, "ada")
        assert user is not None and user.is_moderator and not user.is_admin
    one_line_error(invoke("role", "ada", "king"), 2, "unknown role 'king'")
    one_line_error(invoke("role", "nobody", "admin"), 1, "no user named")


def test_list(db: Engine) -> None:
    create("bob")
    create("Ada", "--admin")
    invoke("ban", "bob")
    result = invoke("list", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["username"], r["email"], r["role"], r["banned"]) for r in rows] == [
        ("Ada", "ada@example.org", "admin", False), ("bob", "bob@example.org", "user", True),
    ]
    assert all(datetime.fromisoformat(r["created"]) for r in rows)
    table = invoke("list")
    assert table.exit_code == 0
    for word in ("username", "Ada", "bob@example.org", "banned", "2 accounts"):
        assert word in table.output
