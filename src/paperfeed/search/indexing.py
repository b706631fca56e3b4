"""Build what is missing from the semantic index: vectors into the database, then the ANN file.

``index_missing`` is incremental and resumable. It embeds papers that have no vector for the
model yet and papers modified since their vector was written whose title/abstract hash
changed (a paper touched for another reason, such as a vote, is only marked current).
Vectors are committed batch by batch, so a run that is killed keeps what it did and the
next run continues with the rest. The ANN file is then brought in step with the table: new
and re-embedded vectors are added, vectors of deleted papers removed; a missing or
unreadable file is rebuilt from the table.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import Engine

from paperfeed.config import Settings
from paperfeed.search import embedding_store as store
from paperfeed.search import vector_index as vi
from paperfeed.search.embedder import content_hash, get_embedder, paper_text
from paperfeed.storage.engine import write_session
from paperfeed.storage.models import utcnow

Progress = Callable[[int, int], None]

DEFAULT_BATCH = 512


def index_missing(
    engine: Engine,
    settings: Settings,
    *,
    progress: Progress | None = None,
    model: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    rebuild: bool = False,
    status: Callable[[str], None] | None = None,
) -> int:
    """Embed every paper that has no current vector and update the ANN index; returns how
    many papers were embedded. `progress(done, total)` is called after every batch;
    `status(message)` before the (possibly long) ANN index update."""
    embedder = get_embedder(model or settings.embedding_model)
    name = embedder.key  # what the vectors are stored and indexed under
    path = vi.index_path(settings, name)
    if rebuild:
        with write_session(engine) as session:
            store.delete_model(session.connection(), name)
        vi.remove_files(path)
    with engine.connect() as conn:
        todo = store.pending_ids(conn, name)
    total, done, embedded = len(todo), 0, 0
    if progress:
        progress(0, total)
    batch_size = max(1, batch_size)
    for start in range(0, total, batch_size):
        ids = todo[start : start + batch_size]
        with engine.connect() as conn:
            papers = store.paper_texts(conn, ids)
            old = store.stored_hashes(conn, name, ids)
        fresh: list[tuple[int, str, str]] = []
        unchanged: list[int] = []
        for pid, title, abstract in papers:
            body = paper_text(title, abstract)
            digest = content_hash(body)
            if old.get(pid) == digest:
                unchanged.append(pid)
            else:
                fresh.append((pid, digest, body))
        vectors = embedder.encode([body for _, _, body in fresh])
        now = utcnow()
        with write_session(engine) as session:
            conn = session.connection()
            store.write_vectors(
                conn, name, [(pid, d, vectors[i]) for i, (pid, d, _) in enumerate(fresh)], now
            )
            store.touch(conn, name, unchanged, now)
        embedded += len(fresh)
        done += len(ids)
        if progress:
            progress(done, total)
    if status:
        status("updating the nearest-neighbour index")
    sync_index(engine, settings, name, embedder.dim)
    return embedded


def sync_index(engine: Engine, settings: Settings, model: str, dim: int) -> int:
    """Bring the ANN file in step with the vectors table; returns the vectors it holds."""
    path = vi.index_path(settings, model)
    meta = vi.read_meta(path)
    index = None
    if meta is not None and meta.model == model and meta.dim == dim:
        index = vi.load_for_update(path)
    full = index is None
    if index is None:
        index = vi.new_index(dim)
    started = utcnow()
    with engine.connect() as conn:
        table_ids = store.vector_ids(conn, model)
        changed = np.zeros(0, dtype=np.int64)
        if not full and meta is not None and meta.synced_at:
            # A second of slack for clocks that tick coarsely.
            since = datetime.fromisoformat(meta.synced_at) - timedelta(seconds=1)
            changed = store.ids_written_since(conn, model, since)
    keys = vi.index_keys(index)
    gone = np.setdiff1d(keys, table_ids)
    replaced = np.intersect1d(changed, keys)
    for key in np.concatenate([gone, replaced]):
        index.remove(int(key))
    to_add = np.union1d(np.setdiff1d(table_ids, keys), replaced)
    # Adding everything: stream the table rather than look each id up.
    to_add_ids = None if len(to_add) == len(table_ids) else to_add
    dirty = full or len(gone) > 0 or len(to_add) > 0
    if len(to_add):
        for batch_keys, vectors in store.iter_vectors(engine, model, to_add_ids):
            index.add(batch_keys, vectors)
    if dirty or not path.exists():
        vi.save(index, path, vi.IndexMeta(model, dim, len(index), started.isoformat()))
    with write_session(engine) as session:
        store.record_index(session.connection(), model, str(path.resolve()), dim)
    return len(index)
