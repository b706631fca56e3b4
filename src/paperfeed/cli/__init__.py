"""The `paperfeed` command line. Each command family lives in its own module."""

from __future__ import annotations

from pathlib import Path

import typer

from paperfeed import __version__
from paperfeed.cli import common

app = typer.Typer(
    name="paperfeed",
    help="paperfeed: a self-hostable daily-papers service (arXiv in; daily lists, votes, "
    "search, feeds out).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"paperfeed {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    config: Path | None = typer.Option(
        None, "--config", "-c", help="TOML config file (default: $PAPERFEED_CONFIG).",
        envvar="PAPERFEED_CONFIG",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    common.state.config_file = config


def _register() -> None:
    # Import order is the order of `paperfeed --help`.
    from paperfeed.cli import (
        db,
        digest,
        export,
        harvest,
        index,
        ingest,
        papers,
        search,
        tokens,
        users,
        web,
    )

    for module in (web, db, ingest, harvest, papers, search, export, index, users, tokens,
                   digest):
        module.register(app)


_register()


def main() -> None:
    app()
