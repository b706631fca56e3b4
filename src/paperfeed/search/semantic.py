"""Semantic search: embed the query with the index's model, look up its nearest papers.

Model choice, measured on this project's 2-core machines (``benchmarks/eval_search.py``,
``benchmarks/bench_semantic.py``; the machine was shared with other jobs, so absolute
speeds are pessimistic):

=================  ===========================  =====================  ================
model              title -> abstract, 1,504     texts/s on 2 cores     1M papers
                   real arXiv records           (abstract-length)
=================  ===========================  =====================  ================
minilm-static      acc@1 0.841, acc@10 0.961    ~1,000-3,000           ~6-17 min
minilm             acc@1 0.946, acc@10 0.993    ~11-25 (256 tokens)    ~11-25 hours
=================  ===========================  =====================  ================

The default is ``minilm-static`` (:mod:`paperfeed.search.embedder`): a static token table
distilled on this machine from the packaged all-MiniLM-L6-v2, the only choice that indexes
a million papers within the hour the product asks for. It keeps most of the transformer's
quality, and hybrid search (keyword + semantic, fused) covers much of the rest: on arXiv's
category names as queries, precision@10 is keyword 0.22, semantic 0.40, hybrid 0.43.
``PAPERFEED_EMBEDDING_MODEL=minilm`` selects the transformer for collections small enough
to afford it. Queries are always embedded by the model that embedded the documents (the
index file and the stored vectors are keyed on the model and its recipe).
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import Engine, bindparam
from sqlalchemy import text as sql_text

from paperfeed.config import Settings
from paperfeed.search import index_refresh as refresh
from paperfeed.search import vector_index as vi
from paperfeed.search import vector_table as vt
from paperfeed.search.embedder import ModelUnavailable, clean_text, get_embedder, storage_key

MAX_K = 1000


class SemanticUnavailable(Exception):
    """Semantic search cannot run (nothing indexed, model missing); the message is one line."""


def semantic_search(
    engine: Engine, settings: Settings, text: str, k: int
) -> list[tuple[int, float]]:
    """Papers nearest in meaning to `text`: (paper primary key, cosine score), best first.

    Searches the database's vector table when ``paperfeed index`` built one (PostgreSQL
    with pgvector), else this machine's index file, brought up to date first when another
    machine indexed new vectors (:mod:`paperfeed.search.index_refresh`). An empty or
    meaningless query gives []. Raises SemanticUnavailable when nothing is indexed for
    the configured model, or this machine's file is still being built.
    """
    model = settings.embedding_model
    key = storage_key(model)
    query = clean_text(text or "")
    k = max(0, min(int(k), MAX_K))
    searcher = _file_searcher(engine, settings, key)
    if not query or k == 0:
        return []
    try:
        embedder = get_embedder(model)
    except ModelUnavailable as exc:
        raise SemanticUnavailable(str(exc)) from None
    vector = embedder.encode([query])[0]
    if not np.any(vector):
        return []
    if searcher is None:  # pgvector: rows of deleted papers went with them
        with engine.connect() as conn:
            return vt.search(conn, key, vector, k)
    # Papers deleted since the index was last updated are dropped; ask for more
    # neighbours until k live ones are found or the index has no more.
    fetch = k
    while True:
        hits = searcher.search(vector, fetch)
        alive = _existing(engine, hits)
        if len(alive) >= k or len(hits) < fetch or fetch >= len(searcher):
            return alive[:k]
        fetch = min(len(searcher), 2 * fetch + (len(hits) - len(alive)))


def _file_searcher(engine: Engine, settings: Settings, key: str) -> vi.Searcher | None:
    """This machine's up-to-date index file for model `key`, or None when the vectors are
    searched in the database (pgvector). Raises SemanticUnavailable when there is none."""
    record = refresh.index_record(engine, key)
    missing = SemanticUnavailable(
        f"no semantic index for model {settings.embedding_model!r} yet: run `paperfeed index`"
    )
    if record is not None and record.backend == "pgvector":
        if record.count == 0:
            raise missing
        return None
    path = vi.index_path(settings, key)
    if record is None:
        searcher = vi.open_searcher(path)  # a file from before indexes were recorded
    else:
        try:
            searcher = refresh.file_searcher(engine, path, record)
        except refresh.IndexBuilding as exc:
            raise SemanticUnavailable(str(exc)) from None
    if searcher is None or len(searcher) == 0:
        raise missing
    return searcher


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
