"""`paperfeed db …`: migrations."""

from __future__ import annotations

import typer

from paperfeed.cli.common import console, get_engine, get_settings, user_errors

db_app = typer.Typer(help="Database schema: migrate.", no_args_is_help=True)


@db_app.command("upgrade")
@user_errors
def upgrade(
    revision: str = typer.Argument("head", help="Target revision (default: the latest)."),
) -> None:
    """Create or migrate the database schema to the latest version."""
    from paperfeed.storage import migrate

    settings = get_settings()
    engine = get_engine(settings, require_schema=False)
    before = migrate.current_revision(engine)
    migrate.upgrade(engine, revision)
    after = migrate.current_revision(engine)
    if before == after:
        console.print(f"schema already at {after}")
    else:
        console.print(f"schema upgraded: {before or '(empty)'} -> {after}")


@db_app.command("current")
@user_errors
def current() -> None:
    """Print the schema revision of the database and the one the code expects."""
    from paperfeed.storage import migrate

    engine = get_engine(get_settings(), require_schema=False)
    console.print(f"database: {migrate.current_revision(engine) or '(empty)'}")
    console.print(f"code:     {migrate.head_revision()}")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
