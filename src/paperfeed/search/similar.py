"""Similar papers for the paper page: nearest neighbours by embedding, the paper excluded.

``paperfeed index`` records in the database what it built for each model
(``harvest_state``); the most recently built one is used. With pgvector the neighbours
come from the database's vector table; otherwise from an index file: this machine's own
(from `settings`, when the caller has them) or the recorded path, brought up to the
recorded generation first (:mod:`paperfeed.search.index_refresh`). No index, no vector
for this paper, or an unreadable file gives an empty list: the page renders without the
section rather than failing.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from paperfeed.config import Settings
from paperfeed.search import embedding_store as store
from paperfeed.search import index_refresh as refresh
from paperfeed.search import vector_index as vi
from paperfeed.search import vector_table as vt
from paperfeed.storage.models import Paper, PaperEmbedding

log = logging.getLogger(__name__)

MAX_LIMIT = 50


def similar_ids(
    session: Session, paper_id: int, limit: int = 6, settings: Settings | None = None
) -> list[tuple[int, float]]:
    """(paper id, cosine score) of the papers nearest to `paper_id`, best first."""
    limit = max(0, min(int(limit), MAX_LIMIT))
    if limit == 0:
        return []
    for record in store.recorded_indexes(session.connection()):
        if record.count == 0 and record.backend == "pgvector":
            continue
        if record.backend == "pgvector":
            return vt.neighbours(session.connection(), record.model, paper_id, limit)
        path = vi.index_path(settings, record.model) if settings else Path(record.path)
        bind = session.get_bind()
        try:
            searcher = (
                refresh.file_searcher(bind, path, record) if isinstance(bind, Engine)
                else vi.open_searcher(path)
            )
        except refresh.IndexBuilding:
            continue
        if searcher is None or len(searcher) == 0:
            continue
        vector = searcher.vector(paper_id)
        if vector is None:
            blob = session.execute(
                select(PaperEmbedding.vector).where(
                    PaperEmbedding.paper_id == paper_id, PaperEmbedding.model == record.model
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


def similar_for_page(
    session: Session, paper: Paper, limit: int = 6, settings: Settings | None = None
) -> list[Paper]:
    """Nearest neighbours of `paper` by embedding, the paper itself excluded, in order.
    `settings` locate this machine's index file (else the path recorded by the last
    `paperfeed index`, usually the same one)."""
    try:
        hits = similar_ids(session, paper.id, limit, settings)
        if not hits:
            return []
        rows = session.scalars(select(Paper).where(Paper.id.in_([pid for pid, _ in hits])))
        by_id = {p.id: p for p in rows}
    except (OSError, SQLAlchemyError, ValueError) as exc:
        log.warning("similar papers unavailable for %s: %s", paper.arxiv_id, exc)
        return []
    return [by_id[pid] for pid, _ in hits if pid in by_id]
