"""Semantic search: embed the query with the index's model, look up its nearest papers.

Model choice (measured; figures in the project README and ``benchmarks/``): the default is
``minilm-static``, a static token table distilled on this machine from the packaged
all-MiniLM-L6-v2. It embeds thousands of papers per second on 2 cores, so a million papers
are indexed in minutes rather than the 5-11 hours the transformer would need, at a lower
but still useful quality (title -> abstract retrieval on real arXiv records: see
``benchmarks/eval_search.py``). ``PAPERFEED_EMBEDDING_MODEL=minilm`` selects the
transformer for collections small enough to afford it. Queries are always embedded by the
model that embedded the documents.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import Engine, bindparam
from sqlalchemy import text as sql_text

from paperfeed.config import Settings
from paperfeed.search import vector_index as vi
from paperfeed.search.embedder import ModelUnavailable, clean_text, get_embedder, storage_key

MAX_K = 1000


class SemanticUnavailable(Exception):
    """Semantic search cannot run (nothing indexed, model missing); the message is one line."""


def semantic_search(
    engine: Engine, settings: Settings, text: str, k: int
) -> list[tuple[int, float]]:
    """Papers nearest in meaning to `text`: (paper primary key, cosine score), best first.

    An empty or meaningless query gives []. Raises SemanticUnavailable when there is no
    index for the configured model.
    """
    model = settings.embedding_model
    query = clean_text(text or "")
    k = max(0, min(int(k), MAX_K))
    searcher = vi.open_searcher(vi.index_path(settings, storage_key(model)))
    if searcher is None or len(searcher) == 0:
        raise SemanticUnavailable(
            f"no semantic index for model {model!r} yet: run `paperfeed index`"
        )
    if not query or k == 0:
        return []
    try:
        embedder = get_embedder(model)
    except ModelUnavailable as exc:
        raise SemanticUnavailable(str(exc)) from None
    vector = embedder.encode([query])[0]
    if not np.any(vector):
        return []
    hits = searcher.search(vector, k)
    return _existing(engine, hits)


def _existing(engine: Engine, hits: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Drop hits whose paper was deleted since the index was last brought up to date."""
    if not hits:
        return hits
    stmt = sql_text("SELECT id FROM papers WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    with engine.connect() as conn:
        alive = {int(r[0]) for r in conn.execute(stmt, {"ids": [pid for pid, _ in hits]})}
    return [(pid, score) for pid, score in hits if pid in alive]
