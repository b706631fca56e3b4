"""Shared CLI plumbing: consoles, settings, engines, one-line errors, exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from sqlalchemy import Engine

from paperfeed.config import ConfigError, Settings, load_settings

console = Console()
err_console = Console(stderr=True)

# Exit codes scripts can rely on.
EXIT_OK = 0
EXIT_ERROR = 1  # user or environment error (unknown id, database unreachable, bad config)
EXIT_USAGE = 2  # unusable input (unknown file format), also Typer's usage errors
EXIT_PARTIAL = 3  # the run completed but some records were rejected

F = TypeVar("F", bound=Callable[..., Any])


class State:
    config_file: Path | None = None


state = State()


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def get_settings(**overrides: Any) -> Settings:
    try:
        return load_settings(state.config_file, **overrides)
    except ConfigError as exc:
        fail(str(exc))


def get_engine(settings: Settings, *, require_schema: bool = True) -> Engine:
    """An engine that is known to connect (and, by default, to have an up-to-date schema)."""
    from paperfeed.storage.engine import DatabaseUnavailable, check_connection, make_engine
    from paperfeed.storage.migrate import SchemaOutOfDate, require_up_to_date

    engine = make_engine(settings.database_url, busy_timeout=settings.db_busy_timeout)
    try:
        check_connection(engine)
        if require_schema:
            require_up_to_date(engine)
    except (DatabaseUnavailable, SchemaOutOfDate) as exc:
        fail(str(exc))
    return engine


def user_errors(func: F) -> F:
    """Turn known user-facing exceptions into one-line errors instead of tracebacks."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from sqlalchemy.exc import DBAPIError

        from paperfeed.storage.engine import DatabaseUnavailable
        from paperfeed.storage.retry import DatabaseBusy, is_contention

        try:
            return func(*args, **kwargs)
        except (ConfigError, DatabaseUnavailable, DatabaseBusy) as exc:
            fail(str(exc))
        except DBAPIError as exc:  # another writer held the database: one line, exit 1
            if not is_contention(exc):
                raise
            fail(f"{DatabaseBusy.busy(exc)}; try again in a moment")
        except KeyboardInterrupt:
            err_console.print("interrupted")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(EXIT_OK) from None

    return wrapper  # type: ignore[return-value]
