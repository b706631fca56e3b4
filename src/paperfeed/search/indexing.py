"""Build what is missing from the semantic index (filled in by the semantic-search work)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from paperfeed.config import Settings


def index_missing(
    engine: Engine, settings: Settings, *, progress: Callable[[int, int], None] | None = None
) -> int:
    """Embed every paper that has no vector yet and update the ANN index; returns how many."""
    return 0
