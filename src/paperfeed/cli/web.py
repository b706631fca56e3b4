"""CLI commands for web (filled in by the web work)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
