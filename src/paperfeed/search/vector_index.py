"""The approximate-nearest-neighbour index over paper vectors (usearch HNSW, a file on disk).

The vectors themselves live in the database (``paper_embeddings``, on SQLite and on
PostgreSQL alike); this file is a derived, rebuildable accelerator kept under
``settings.data_dir/vectors``, one per database and model (the name carries a hash of the
database URL). It is written to a temporary file and renamed into place, so readers (the web
server) never see a half-written index; they reload it when its modification time changes.

Small collections are searched exactly (brute force over the same file); large ones by HNSW.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from paperfeed.config import Settings

# Below this many vectors a query scans them all (exact, and still ~1 ms).
EXACT_LIMIT = 20_000
# f16 halves memory against f32 with no measurable recall loss on these vectors.
DTYPE = "f16"
# HNSW parameters, measured (benchmarks/bench_semantic.py; 100k generated papers, static
# model): ef_add 64 builds twice as fast as 128 for recall@10 0.96 vs 0.98 on document
# queries; ef_search 512 gives topic-query recall@10 0.87 (128: 0.79) for ~2.7 ms a query.
CONNECTIVITY = 16
EXPANSION_ADD = 64
EXPANSION_SEARCH = 512


def index_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "vectors"


def index_path(settings: Settings, model: str) -> Path:
    """Where the ANN index of `model` for this database lives."""
    digest = hashlib.sha256(settings.database_url.encode("utf-8")).hexdigest()[:16]
    return index_dir(settings) / f"{model}-{digest}.usearch"


def _meta_path(path: Path) -> Path:
    return path.with_suffix(".json")


def new_index(dim: int) -> Any:
    from usearch.index import Index

    return Index(
        ndim=dim,
        metric="cos",
        dtype=DTYPE,
        connectivity=CONNECTIVITY,
        expansion_add=EXPANSION_ADD,
        expansion_search=EXPANSION_SEARCH,
    )


def index_keys(index: Any) -> npt.NDArray[np.int64]:
    if len(index) == 0:
        return np.zeros(0, dtype=np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(index.keys, dtype=np.int64)


@dataclass
class IndexMeta:
    model: str
    dim: int
    count: int
    # Vectors written at or after this moment (DB clock, ISO) may not be in the index yet.
    synced_at: str | None = None
    # The recorded generation of the stored vectors this file holds (see
    # embedding_store.fingerprint); another one in the database means the file is stale.
    generation: str | None = None


def read_meta(path: Path) -> IndexMeta | None:
    try:
        data = json.loads(_meta_path(path).read_text(encoding="utf-8"))
        return IndexMeta(**data)
    except (OSError, ValueError, TypeError):
        return None


def load_for_update(path: Path) -> Any | None:
    """The index file fully in memory (for adding to it), or None when missing or unreadable."""
    from usearch.index import Index

    if not path.exists():
        return None
    try:
        return Index.restore(str(path), view=False)
    except Exception:
        return None


def save(index: Any, path: Path, meta: IndexMeta) -> None:
    """Write index and metadata atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    index.save(str(tmp))
    meta_tmp = tmp.with_suffix(".json.tmp")
    meta_tmp.write_text(json.dumps(meta.__dict__), encoding="utf-8")
    os.replace(tmp, path)
    os.replace(meta_tmp, _meta_path(path))


def save_meta(path: Path, meta: IndexMeta) -> None:
    """Replace the metadata alone (the index file is unchanged), atomically."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.json.tmp")
    tmp.write_text(json.dumps(meta.__dict__), encoding="utf-8")
    os.replace(tmp, _meta_path(path))


def remove_files(path: Path) -> None:
    for p in (path, _meta_path(path)):
        p.unlink(missing_ok=True)


class Searcher:
    """A read-only view of an index file, for queries."""

    def __init__(self, path: Path) -> None:
        from usearch.index import Index

        self.path = path
        self.mtime = path.stat().st_mtime_ns
        self.index: Any = Index.restore(str(path), view=True)
        if self.index is None:
            raise OSError(f"unreadable vector index {path}")

    def __len__(self) -> int:
        return len(self.index)

    def vector(self, key: int) -> npt.NDArray[np.float32] | None:
        if not self.index.contains(key):
            return None
        vec = self.index.get(key)
        return None if vec is None else np.asarray(vec, dtype=np.float32).reshape(-1)

    def search(self, vector: npt.NDArray[np.float32], k: int) -> list[tuple[int, float]]:
        if len(self.index) == 0 or k <= 0:
            return []
        exact = len(self.index) <= EXACT_LIMIT
        matches = self.index.search(vector, min(k, len(self.index)), exact=exact)
        return [
            (int(key), float(1.0 - dist))
            for key, dist in zip(matches.keys, matches.distances, strict=True)
        ]


_lock = threading.Lock()
_searchers: dict[Path, Searcher] = {}


def open_searcher(path: Path) -> Searcher | None:
    """A searcher over `path`, cached per process and reloaded when the file changes."""
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return None
    with _lock:
        cached = _searchers.get(path)
        if cached is not None and cached.mtime == mtime:
            return cached
    try:
        searcher = Searcher(path)
    except Exception:
        return None
    with _lock:
        _searchers[path] = searcher
    return searcher
