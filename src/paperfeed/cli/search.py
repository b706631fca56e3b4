"""CLI commands for search (filled in by the search work)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
