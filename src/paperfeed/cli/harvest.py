"""CLI commands for harvest (filled in by the harvest work)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
