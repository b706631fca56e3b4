"""`paperfeed user …`: create accounts, set passwords, ban, change roles, list (operators)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.table import Table

from paperfeed.cli.common import EXIT_USAGE, console, fail, get_engine, get_settings, user_errors

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from paperfeed.storage.models import User

user_app = typer.Typer(
    help="Accounts: create, set-password, ban, unban, role, list.", no_args_is_help=True
)

PASSWORD_STDIN = typer.Option(
    False, "--password-stdin", help="Read the password from one line of standard input."
)


@contextmanager
def account_session() -> Iterator[Session]:
    """One write transaction on the configured database; AccountError is one line."""
    from paperfeed.accounts.users import AccountError
    from paperfeed.storage.engine import write_session

    engine = get_engine(get_settings())
    try:
        with write_session(engine) as session:
            yield session
    except AccountError as exc:
        fail(exc.message)
    finally:
        engine.dispose()


def find_account(session: Session, name: str) -> User:
    from paperfeed.accounts.users import find_user

    user = find_user(session, name)
    if user is None:
        fail(f"no user named {name!r}")
    return user


def read_password(from_stdin: bool) -> str:
    """The new password: one line of stdin, or typed twice (hidden) on a terminal."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            fail("--password-stdin: standard input is empty", EXIT_USAGE)
        return line.removesuffix("\n").removesuffix("\r")
    if not sys.stdin.isatty():
        fail("no terminal to type a password on; pass it with --password-stdin", EXIT_USAGE)
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _on_user(name: str, change: Callable[[Session, User], object]) -> str:
    """Apply `change` to the account named `name` in one transaction; its username."""
    with account_session() as session:
        user = find_account(session, name)
        change(session, user)
        return user.username


@user_app.command("create")
@user_errors
def create(
    name: str = typer.Argument(..., help="Username (2-30 letters, digits, '_' or '-')."),
    email: str = typer.Option(..., "--email", help="The account's email address."),
    admin: bool = typer.Option(False, "--admin", help="Make the account an admin."),
    moderator: bool = typer.Option(False, "--moderator", help="Make the account a moderator."),
    password_stdin: bool = PASSWORD_STDIN,
) -> None:
    """Create an account (prompts twice for its password on a terminal)."""
    from paperfeed.accounts.users import create_user

    if admin and moderator:
        fail("choose one of --admin and --moderator", EXIT_USAGE)
    role = "admin" if admin else "moderator" if moderator else "user"
    password = read_password(password_stdin)
    with account_session() as session:
        user = create_user(session, name, email, password, role=role)
        username = user.username
    console.print(f"created {role} {escape(username)}", highlight=False)


@user_app.command("set-password")
@user_errors
def set_password(
    name: str = typer.Argument(..., help="Username."),
    password_stdin: bool = PASSWORD_STDIN,
) -> None:
    """Set an account's password; its sessions end."""
    from paperfeed.accounts import users

    password = read_password(password_stdin)
    username = _on_user(name, lambda s, u: users.set_password(s, u, password))
    console.print(f"password set for {escape(username)}; their sessions ended", highlight=False)


NOTE = typer.Option("", "--note", help="Why, for the moderation log.")


@user_app.command("ban")
@user_errors
def ban(
    name: str = typer.Argument(..., help="Username."),
    hide_content: bool = typer.Option(
        False, "--hide-content", help="Also hide their comments and the entries they submitted."),
    note: str = NOTE,
) -> None:
    """Ban an account: it cannot log in and its sessions end at once (written to the
    moderation log as the operator's action)."""
    from paperfeed.community.moderation import ban_user

    hidden: list[int] = []

    def change(session: Session, user: User) -> None:
        result = ban_user(session, None, user, note, hide_content=hide_content)
        hidden.extend((len(result.hidden_comments), len(result.hidden_entries)))

    username = _on_user(name, change)
    extra = (f"; hid {hidden[0]} comment(s) and {hidden[1]} daily entr"
             + ("y" if hidden[1] == 1 else "ies")) if hide_content else ""
    console.print(f"banned {escape(username)}; their sessions ended{extra}", highlight=False)


@user_app.command("unban")
@user_errors
def unban(name: str = typer.Argument(..., help="Username."), note: str = NOTE) -> None:
    """Lift a ban (written to the moderation log; what the ban hid stays hidden)."""
    from paperfeed.community.moderation import unban_user

    username = _on_user(name, lambda s, u: unban_user(s, None, u, note))
    console.print(f"unbanned {escape(username)}", highlight=False)


@user_app.command("role")
@user_errors
def role(
    name: str = typer.Argument(..., help="Username."),
    new_role: str = typer.Argument(..., metavar="ROLE", help="user, moderator or admin."),
) -> None:
    """Set an account's role."""
    from paperfeed.accounts.users import set_role
    from paperfeed.storage.models import ROLES

    if new_role not in ROLES:
        fail(f"unknown role {new_role!r}; roles are {', '.join(ROLES)}", EXIT_USAGE)
    username = _on_user(name, lambda _s, u: set_role(u, new_role))
    console.print(f"{escape(username)} is now {new_role}", highlight=False)


@user_app.command("list")
@user_errors
def list_users(as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """List the accounts: username, email, role, banned, created."""
    from sqlalchemy import select

    from paperfeed.storage.engine import session_factory
    from paperfeed.storage.models import User

    engine = get_engine(get_settings())
    with session_factory(engine)() as session:
        rows: list[dict[str, Any]] = [
            {"username": u.username, "email": u.email, "role": u.role, "banned": u.is_banned,
             "demo": u.is_demo, "created": u.created_at.isoformat(timespec="seconds")}
            for u in session.scalars(select(User).order_by(User.username_key))
        ]
    engine.dispose()
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table("username", "email", "role", "banned", "created")
    for row in rows:
        table.add_row(escape(row["username"]), escape(row["email"] or ""), row["role"],
                      "banned" if row["banned"] else "", row["created"].replace("T", " "))
    console.print(table)
    console.print(f"{len(rows)} account{'s' if len(rows) != 1 else ''}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
