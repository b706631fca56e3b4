"""Similar papers for the paper page (filled in by the semantic-search work)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from paperfeed.storage.models import Paper


def similar_for_page(session: Session, paper: Paper, limit: int = 6) -> list[Paper]:
    """Nearest neighbours of `paper` by embedding, the paper itself excluded."""
    return []
