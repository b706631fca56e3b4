"""Build what is missing from the semantic index: vectors into the database, then the ANN file.

``index_missing`` is incremental and resumable. It embeds papers that have no vector for the
model yet and papers modified since their vector was written whose title/abstract hash
changed (a paper touched for another reason, such as a vote, is only marked current).
Vectors are committed batch by batch, so a run that is killed keeps what it did and the
next run continues with the rest. The nearest-neighbour index is then brought in step with
the table: on PostgreSQL with pgvector, the model's vector table and its HNSW index in the
database (:mod:`paperfeed.search.vector_table`); elsewhere this machine's ANN file, where
new and re-embedded vectors are added and vectors of deleted papers removed (a missing or
unreadable file is rebuilt from the table), and the generation of the stored vectors is
recorded so that other machines' web servers refresh their own files
(:mod:`paperfeed.search.index_refresh`).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from paperfeed.config import Settings
from paperfeed.search import embedding_store as store
from paperfeed.search import index_refresh as refresh
from paperfeed.search import vector_index as vi
from paperfeed.search import vector_table as vt
from paperfeed.search.embedder import content_hash, get_embedder, paper_text, storage_key
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
        vt.drop_table(engine, name)
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
    """Bring what serves nearest-neighbour queries in step with the vectors table and record
    it in the database: the vector table and its HNSW index when the server has pgvector,
    else this machine's index file (other machines rebuild theirs from the recorded
    generation). Returns the vectors it holds."""
    path = vi.index_path(settings, model)
    if vt.available(engine):
        count = vt.sync(engine, model, dim)
        record = store.IndexRecord(model, "pgvector", vt.table_name(model), dim, count=count)
    else:
        with engine.connect() as conn:
            generation, _ = store.fingerprint(conn, model)
        count = refresh.update_file(engine, path, model, dim, generation)
        record = store.IndexRecord(model, "file", str(path.resolve()), dim, generation, count)
    with write_session(engine) as session:
        store.record_index(session.connection(), record)
    refresh.remember(engine, record)
    return count


def index_location(engine: Engine, model: str) -> str:
    """Where `model`'s nearest-neighbour index is, in words, as last recorded."""
    with engine.connect() as conn:
        record = store.recorded_index(conn, storage_key(model))
    if record is None:
        return "nothing indexed yet"
    if record.backend == "pgvector":
        return f"in the database: pgvector table {record.path}, {record.count} vectors"
    return f"index file {record.path}, {record.count} vectors; other machines refresh theirs"
