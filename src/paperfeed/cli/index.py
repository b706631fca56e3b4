"""CLI commands for index (filled in by the index work)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
