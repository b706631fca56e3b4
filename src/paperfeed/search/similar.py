"""Similar papers for the paper page: nearest neighbours by embedding, the paper excluded.

The page has a session but no settings, so the ANN index is found through the database:
``paperfeed index`` records where it wrote each model's index (``harvest_state``), and the
most recently built one is used. No index, no vector for this paper, or an unreadable file
gives an empty list: the page renders without the section rather than failing.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from paperfeed.search import embedding_store as store
from paperfeed.search import vector_index as vi
from paperfeed.storage.models import Paper, PaperEmbedding

log = logging.getLogger(__name__)

MAX_LIMIT = 50


def similar_ids(session: Session, paper_id: int, limit: int = 6) -> list[tuple[int, float]]:
    """(paper id, cosine score) of the papers nearest to `paper_id`, best first."""
    limit = max(0, min(int(limit), MAX_LIMIT))
    if limit == 0:
        return []
    for model, path in store.recorded_indexes(session.connection()):
        searcher = vi.open_searcher(Path(path))
        if searcher is None or len(searcher) == 0:
            continue
        vector = searcher.vector(paper_id)
        if vector is None:
            blob = session.execute(
                select(PaperEmbedding.vector).where(
                    PaperEmbedding.paper_id == paper_id, PaperEmbedding.model == model
                )
            ).scalar()
            if blob is None:
                continue
            vector = store.from_bytes(blob)
        if not np.any(vector):
            return []
        hits = searcher.search(vector, limit + 1)
        return [(pid, score) for pid, score in hits if pid != paper_id][:limit]
    return []


def similar_for_page(session: Session, paper: Paper, limit: int = 6) -> list[Paper]:
    """Nearest neighbours of `paper` by embedding, the paper itself excluded, in order."""
    try:
        hits = similar_ids(session, paper.id, limit)
        if not hits:
            return []
        rows = session.scalars(select(Paper).where(Paper.id.in_([pid for pid, _ in hits])))
        by_id = {p.id: p for p in rows}
    except (OSError, SQLAlchemyError, ValueError) as exc:
        log.warning("similar papers unavailable for %s: %s", paper.arxiv_id, exc)
        return []
    return [by_id[pid] for pid, _ in hits if pid in by_id]
