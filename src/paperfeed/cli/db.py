"""`paperfeed db …`: migrations, backups and restores."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from paperfeed.cli.common import console, fail, get_engine, get_settings, user_errors

if TYPE_CHECKING:
    from paperfeed.storage.backup_types import BackupSummary

db_app = typer.Typer(help="Database schema: migrate, back up, restore.", no_args_is_help=True)


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


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} bytes"


def _what(summary: BackupSummary) -> str:
    return (f"{summary.papers:,} papers, {summary.users:,} users, "
            f"schema {summary.revision}")


@db_app.command("backup")
@user_errors
def backup(
    file: Path = typer.Argument(..., help="Backup file to write (it appears only when whole)."),
    force: bool = typer.Option(False, "--force", help="Replace FILE if it exists."),
) -> None:
    """Back up the database to FILE while it is in use (SQLite: a consistent online copy;
    PostgreSQL: pg_dump custom format)."""
    from paperfeed.storage import backup as backups
    from paperfeed.storage.backup_types import BackupError

    settings = get_settings()
    engine = get_engine(settings, require_schema=False)
    started = time.perf_counter()
    try:
        summary = backups.backup(engine, file, overwrite=force, pg_bin=settings.pg_bin)
    except BackupError as exc:
        fail(escape(str(exc)))
    finally:
        engine.dispose()
    console.print(
        f"backup written: {escape(str(summary.path))} ({_size(summary.size)}; "
        f"{_what(summary)}) in {time.perf_counter() - started:.1f} s",
        highlight=False, soft_wrap=True,
    )


@db_app.command("restore")
@user_errors
def restore(
    file: Path = typer.Argument(..., help="A file written by `paperfeed db backup`."),
    force: bool = typer.Option(
        False, "--force", help="Replace a database that already holds papers or users."
    ),
) -> None:
    """Restore a backup into the configured database (refused when the database
    already holds papers or users, unless --force)."""
    from paperfeed.storage import backup as backups
    from paperfeed.storage import migrate
    from paperfeed.storage.backup_types import BackupError

    settings = get_settings()
    engine = get_engine(settings, require_schema=False)
    started = time.perf_counter()
    try:
        summary = backups.restore(engine, file, force=force, pg_bin=settings.pg_bin)
    except BackupError as exc:
        fail(escape(str(exc)))
    finally:
        engine.dispose()
    console.print(
        f"restored {escape(str(file))}: {_what(summary)} "
        f"in {time.perf_counter() - started:.1f} s",
        highlight=False, soft_wrap=True,
    )
    head = migrate.head_revision()
    if summary.revision != head:
        console.print(
            f"the backup's schema is older than this paperfeed's ({head}): "
            "run `paperfeed db upgrade` next", highlight=False, soft_wrap=True,
        )


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
