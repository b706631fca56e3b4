"""Index files that keep themselves in step with the stored vectors (no pgvector).

Where vectors are searched through a usearch file (SQLite, PostgreSQL without pgvector),
each machine has its own file under ``data_dir/vectors``. ``paperfeed index`` records in
the database the generation of the stored vectors it indexed
(:func:`paperfeed.search.embedding_store.fingerprint`); each file's metadata carries the
generation it was built from. A web process reads the record at most every
``CHECK_SECONDS`` (one primary-key read) and, when its file is missing or was built from
another generation, brings the file up to date from ``paper_embeddings`` itself:

- small collections (up to ``SYNC_LIMIT`` vectors, a second or less) before answering;
- larger ones in a background thread, answering meanwhile from the old file; with no file
  at all, semantic search says that the index is being built instead of answering wrongly.

One process per machine updates a file at a time (an ``flock`` beside it); the others
pick the new file up when its modification time changes.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import Engine

from paperfeed.search import embedding_store as store
from paperfeed.search import vector_index as vi
from paperfeed.storage.models import utcnow

log = logging.getLogger(__name__)

# How long a process trusts the record it last read before reading it again.
CHECK_SECONDS = 3.0
# Up to this many vectors a stale or missing file is updated before answering.
SYNC_LIMIT = vi.EXACT_LIMIT

_lock = threading.Lock()
_records: dict[tuple[str, str], tuple[float, store.IndexRecord | None]] = {}
_path_locks: dict[Path, threading.Lock] = {}
_background: set[Path] = set()


class IndexBuilding(Exception):
    """This machine has no index file yet and is building it; the message is one line."""


def _engine_key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def remember(engine: Engine, record: store.IndexRecord) -> None:
    """Use `record` as this process's latest reading (after recording it)."""
    with _lock:
        _records[(_engine_key(engine), record.model)] = (time.monotonic(), record)


def index_record(engine: Engine, model: str) -> store.IndexRecord | None:
    """What was last built for `model` in this database, read at most every CHECK_SECONDS."""
    key = (_engine_key(engine), model)
    now = time.monotonic()
    with _lock:
        cached = _records.get(key)
    if cached is not None and now - cached[0] < CHECK_SECONDS:
        return cached[1]
    with engine.connect() as conn:
        record = store.recorded_index(conn, model)
    with _lock:
        _records[key] = (now, record)
    return record


def file_searcher(engine: Engine, path: Path, record: store.IndexRecord) -> vi.Searcher | None:
    """A searcher over this machine's file for `record`'s model, brought up to the recorded
    generation first when small, else in the background (the old file answers meanwhile).
    Raises IndexBuilding when there is no usable file yet and it is being built."""
    searcher = vi.open_searcher(path)
    meta = vi.read_meta(path)
    if searcher is not None and meta is not None and meta.generation == record.generation:
        return searcher
    if record.count <= SYNC_LIMIT:
        refresh(engine, path, record)
        return vi.open_searcher(path)
    _refresh_in_background(engine, path, record)
    if searcher is not None:
        return searcher
    raise IndexBuilding(
        "the semantic index of this server is being built from the database; "
        "try again in a few minutes"
    )


def refresh(engine: Engine, path: Path, record: store.IndexRecord) -> None:
    """Bring the file at `path` up to `record`'s generation, unless another thread or
    process of this machine just did."""
    update_file(engine, path, record.model, record.dim, record.generation, only_if_stale=True)


def update_file(
    engine: Engine, path: Path, model: str, dim: int, generation: str,
    *, only_if_stale: bool = False,
) -> int:
    """:func:`sync_file` by one thread and one process of this machine at a time; with
    `only_if_stale`, nothing is done when the file already holds `generation`. Returns the
    vectors the file holds."""
    with _lock:
        path_lock = _path_locks.setdefault(path, threading.Lock())
    with path_lock, _file_lock(path):
        if only_if_stale:
            meta = vi.read_meta(path)
            current = vi.open_searcher(path)
            if meta is not None and meta.generation == generation and current is not None:
                return len(current)
        return sync_file(engine, path, model, dim, generation)


def _refresh_in_background(engine: Engine, path: Path, record: store.IndexRecord) -> None:
    with _lock:
        if path in _background:
            return
        _background.add(path)

    def run() -> None:
        try:
            refresh(engine, path, record)
        except Exception:  # logged; the next query's check tries again
            log.exception("could not bring the semantic index %s up to date", path)
        finally:
            with _lock:
                _background.discard(path)

    threading.Thread(target=run, name="semantic-index-refresh", daemon=True).start()


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def sync_file(engine: Engine, path: Path, model: str, dim: int, generation: str) -> int:
    """Bring the ANN file at `path` in step with the vectors table (at least as new as
    `generation`, which its metadata then carries); returns the vectors it holds."""
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
    new_meta = vi.IndexMeta(model, dim, len(index), started.isoformat(), generation)
    if dirty or not path.exists():
        vi.save(index, path, new_meta)
    elif meta is None or meta.generation != generation:
        vi.save_meta(path, new_meta)
    return len(index)
