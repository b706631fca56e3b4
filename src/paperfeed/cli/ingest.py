"""CLI commands for ingest (filled in by the ingest work)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
