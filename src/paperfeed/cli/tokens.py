"""`paperfeed token …`: API tokens for an account, made by an operator (create, list,
revoke). The new token is printed once, alone on standard output, so a script can
capture it; it is never shown again."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from paperfeed.cli.common import console, err_console, fail, get_engine, get_settings, user_errors
from paperfeed.cli.users import account_session, find_account

token_app = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@token_app.command("create")
@user_errors
def create(
    username: str = typer.Argument(..., help="The account the token acts for."),
    name: str = typer.Option("cli", "--name", "-n", help="What the token is for."),
    write: bool = typer.Option(
        False, "--write", help="A read-write token (vote, submit, comment); default: read."
    ),
) -> None:
    """Make an API token for USER and print it once (send it as `Authorization: Bearer`)."""
    from paperfeed.accounts import api_tokens

    with account_session() as session:
        user = find_account(session, username)
        if user.is_banned:
            fail(f"{username} is banned; unban the account first")
        try:
            made = api_tokens.create(session, user, name, write=write, now=_now())
        except api_tokens.TokenError as exc:
            fail(str(exc))
        scope = "read-write" if write else "read"
        label = made.record.name
    typer.echo(made.token)
    err_console.print(f"{scope} token {escape(label)!r} for {escape(username)}; it is shown "
                      "only this once.", highlight=False)


@token_app.command("list")
@user_errors
def list_tokens(
    username: str = typer.Argument(..., help="Whose tokens."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """List USER's live tokens: id, name, first characters, access, made, last used."""
    from paperfeed.accounts import api_tokens
    from paperfeed.storage.engine import session_factory

    engine = get_engine(get_settings())
    with session_factory(engine)() as session:
        user = find_account(session, username)
        rows: list[dict[str, Any]] = [
            {"id": t.id, "name": t.name, "prefix": t.prefix,
             "access": "read-write" if t.can_write else "read",
             "created": t.created_at.isoformat(timespec="seconds"),
             "last_used": t.last_used_at.isoformat(timespec="seconds") if t.last_used_at
             else None}
            for t in api_tokens.live_tokens(session, user.id)
        ]
    engine.dispose()
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table("id", "name", "starts with", "access", "created", "last used")
    for row in rows:
        table.add_row(str(row["id"]), escape(row["name"]), row["prefix"] + "…", row["access"],
                      row["created"].replace("T", " "),
                      (row["last_used"] or "never").replace("T", " "))
    console.print(table)


@token_app.command("revoke")
@user_errors
def revoke(
    username: str = typer.Argument(..., help="Whose token."),
    token_id: int = typer.Argument(..., help="The token's id (from `paperfeed token list`)."),
) -> None:
    """Revoke one of USER's tokens; it stops working at once."""
    from paperfeed.accounts import api_tokens

    with account_session() as session:
        user = find_account(session, username)
        if not api_tokens.revoke(session, user.id, token_id, now=_now()):
            fail(f"{username} has no live token {token_id}")
    console.print(f"token {token_id} of {escape(username)} revoked", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="token")
