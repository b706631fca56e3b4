"""Semantic search at scale: embedding throughput, index build, query p50/p99, recall, memory.

    python -m benchmarks.bench_semantic                 # 1,000,000 papers on SQLite
    python -m benchmarks.bench_semantic -n 100000 --pg postgresql+psycopg://.../db

On PostgreSQL with pgvector, `paperfeed index` puts the vectors and their HNSW index in
the database; the benchmark then times the queries at several ``hnsw.ef_search`` values
(``--ef-search``) and reports the table's size (``--m``/``--ef-construction`` with
``--rebuild-ann`` time another HNSW build over the same stored vectors; ``--file-index``
times the index-file path on the same vectors, as on a server without pgvector).

It builds a synthetic database (benchmarks/synth.py, bulk SQL), then runs exactly what
`paperfeed index` runs (``index_missing``: embed every paper with the configured model,
store the vectors in paper_embeddings, build the usearch HNSW file), then times
``semantic_search`` (query embedding + ANN + existence check) on topic queries and
measures the ANN's recall@10 against exact search over the stored vectors. The
transformer's (``minilm``) throughput is measured on a sample, since a full run would take
hours. The database and index are kept in --data-dir: a rerun only times the queries
(``--reindex`` embeds everything again).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from pathlib import Path

import numpy as np
from sqlalchemy import Engine
from sqlalchemy import text as sql_text

from benchmarks.bench_keyword import build
from benchmarks.synth import TOPICS, generate
from paperfeed.config import Settings
from paperfeed.search import embedding_store as store
from paperfeed.search import vector_index as vi
from paperfeed.search import vector_table as vt
from paperfeed.search.embedder import get_embedder, get_minilm, paper_text, storage_key
from paperfeed.search.indexing import index_missing
from paperfeed.search.semantic import semantic_search
from paperfeed.storage.engine import make_engine

FREE_QUERIES = [
    "interpretability of features in language models",
    "solving partial differential equations with neural networks",
    "image generation with denoising diffusion",
    "pruning neurons to speed up inference",
    "quantum error correction codes",
    "robots learning to grasp objects",
    "galaxy formation and dark matter",
    "reasoning benchmarks for large language models",
]


def queries() -> list[str]:
    """Topic queries (three words of each topic's vocabulary) plus free-text questions."""
    out = list(FREE_QUERIES)
    for _, words in TOPICS.values():
        vocab = words.split()
        for i in range(0, 15, 3):
            out.append(" ".join(vocab[i : i + 3]))
    return out


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def minilm_throughput(sample: int) -> float:
    texts = [paper_text(r["title"], r["abstract"]) for r in generate(sample, seed=99)]
    model = get_minilm()
    model.encode(texts[:8])  # warm-up
    t0 = time.perf_counter()
    model.encode(texts)
    return sample / (time.perf_counter() - t0)


def index(engine: Engine, settings: Settings, reindex: bool) -> None:
    marks: dict[str, float] = {}
    start = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if done == total:
            marks["embedded"] = now
        if now - last[0] > 5 or done == total:
            last[0] = now
            rate = done / max(now - start, 1e-9)
            print(f"\r  embedded {done:,}/{total:,} ({rate:,.0f} papers/s)", end="", flush=True)

    count = index_missing(engine, settings, progress=progress, rebuild=reindex)
    end = time.perf_counter()
    embed_s = marks.get("embedded", start) - start
    print()
    if count:
        print(
            f"embedding + storing {count:,} papers ({settings.embedding_model}): {embed_s:.0f} s "
            f"= {count / max(embed_s, 1e-9):,.0f} papers/s"
        )
    else:
        print("every paper already has a vector (use --reindex to redo)")
    print(f"ANN index sync/build: {end - (marks.get('embedded', start)):.0f} s; "
          f"index_missing total {end - start:.0f} s; peak RSS {rss_mb():,.0f} MB")


def measure_queries(engine: Engine, settings: Settings, rounds: int, label: str = "") -> None:
    qs = queries()
    semantic_search(engine, settings, qs[0], 10)  # loads model and index
    times: list[float] = []
    for _ in range(rounds):
        for q in qs:
            t0 = time.perf_counter()
            hits = semantic_search(engine, settings, q, 10)
            times.append((time.perf_counter() - t0) * 1000)
            assert hits
    print(f"semantic_search{label}: {len(times)} queries  p50 {pct(times, 0.5):.1f} ms  "
          f"p99 {pct(times, 0.99):.1f} ms  mean {statistics.fmean(times):.1f} ms "
          "(target p50 <= 20 ms)", flush=True)


def backend(engine: Engine, settings: Settings) -> str:
    """"pgvector" or "file": where `paperfeed index` put the nearest-neighbour index."""
    with engine.connect() as conn:
        record = store.recorded_index(conn, storage_key(settings.embedding_model))
    return record.backend if record else "file"


def pgvector_storage(engine: Engine, settings: Settings) -> None:
    table = vt.table_name(storage_key(settings.embedding_model))
    with engine.connect() as conn:
        sizes = conn.execute(sql_text(
            "SELECT pg_table_size(:t), pg_indexes_size(:t)"), {"t": table}).one()
    print(f"vector table {sizes[0] / 2**20:,.0f} MB, its indexes {sizes[1] / 2**20:,.0f} MB "
          f"(pgvector, HNSW m={vt.HNSW_M}, ef_construction={vt.HNSW_EF_CONSTRUCTION})")


def drop_ann(engine: Engine, settings: Settings) -> None:
    """Drop the nearest-neighbour index only (the stored vectors stay), to time its build."""
    key = storage_key(settings.embedding_model)
    vi.remove_files(vi.index_path(settings, key))
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sql_text(f"DROP INDEX IF EXISTS {vt.table_name(key)}_hnsw"))


def measure_recall(engine: Engine, settings: Settings, n_queries: int) -> None:
    """ANN recall@10 against exact search over every stored vector."""
    key = storage_key(settings.embedding_model)
    on_pg = backend(engine, settings) == "pgvector"
    parts_k, parts_v = [], []
    for keys, vectors in store.iter_vectors(engine, key, None):
        parts_k.append(keys)
        parts_v.append(vectors)
    keys = np.concatenate(parts_k)
    matrix = np.concatenate(parts_v)
    embedder = get_embedder(settings.embedding_model)
    qvecs = embedder.encode(queries()[:n_queries])
    searcher = None if on_pg else vi.open_searcher(vi.index_path(settings, key))
    assert on_pg or searcher is not None
    recalls = []
    exact_ms = []
    for q in qvecs:
        t0 = time.perf_counter()
        exact = set(keys[np.argsort(-(matrix @ q))[:10]].tolist())
        exact_ms.append((time.perf_counter() - t0) * 1000)
        if searcher is not None:
            got = {pid for pid, _ in searcher.search(q, 10)}
        else:
            with engine.connect() as conn:
                got = {pid for pid, _ in vt.search(conn, key, q, 10)}
        recalls.append(len(exact & got) / 10)
    where = f"pgvector ef_search={vt.EF_SEARCH}" if on_pg else "file"
    print(f"ANN ({where}) recall@10 vs exact: {statistics.fmean(recalls):.3f} over "
          f"{len(recalls)} queries (exact numpy search: p50 {pct(exact_ms, 0.5):.0f} ms/query)",
          flush=True)


def fast_static_vectors(texts: list[str]) -> np.ndarray:
    """Exactly what the static model computes, faster on generated text: BERT tokenizes
    each whitespace-separated chunk on its own, so a chunk's weighted token sum is cached
    and a text's vector is the normalised sum of its chunks' sums."""
    model = get_embedder("minilm-static")
    table = model.table  # type: ignore[attr-defined]
    cache: dict[str, np.ndarray] = {}
    out = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
    for row, text in enumerate(texts):
        acc = np.zeros(table.shape[1], dtype=np.float32)
        for chunk in text.split():
            vec = cache.get(chunk)
            if vec is None:
                ids = model.tokenizer.encode(chunk, add_special_tokens=False).ids  # type: ignore[attr-defined]
                vec = table[ids].sum(axis=0) if ids else np.zeros_like(acc)
                cache[chunk] = vec
            acc += vec
        out[row] = acc
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1
    return out / norms


def ann_at_scale(n: int, rounds: int) -> None:
    """The ANN alone at `n` papers, on static-model vectors of generated papers."""
    texts = [paper_text(r["title"], r["abstract"]) for r in generate(n, seed=1)]
    t0 = time.perf_counter()
    vectors = fast_static_vectors(texts)
    print(f"{n:,} static vectors (word-cached) in {time.perf_counter() - t0:.0f} s", flush=True)
    model = get_embedder("minilm-static")
    check = model.encode(texts[:500])
    print(f"  max |difference| vs the model's own encode on 500: "
          f"{float(np.abs(check - vectors[:500]).max()):.2e}", flush=True)
    del texts
    index = vi.new_index(vectors.shape[1])
    t0 = time.perf_counter()
    for start in range(0, n, 50_000):
        index.add(np.arange(start, min(start + 50_000, n)), vectors[start : start + 50_000])
        print(f"\r  ANN build {min(start + 50_000, n):,}/{n:,}", end="", flush=True)
    build_s = time.perf_counter() - t0
    print(f"\nANN build ({vi.DTYPE}, M={vi.CONNECTIVITY}, ef_add={vi.EXPANSION_ADD}): "
          f"{build_s:.0f} s = {n / build_s:,.0f} vectors/s; peak RSS {rss_mb():,.0f} MB")
    qs = queries()
    qvecs = model.encode(qs)
    exact = [set(np.argsort(-(vectors @ qv))[:10].tolist()) for qv in qvecs]
    for ef in sorted({128, vi.EXPANSION_SEARCH}):
        index.expansion_search = ef
        times: list[float] = []
        recalls: list[float] = []
        for i in range(rounds):
            for q, want in zip(qs, exact, strict=True):
                t0 = time.perf_counter()
                got = index.search(model.encode([q])[0], 10)
                times.append((time.perf_counter() - t0) * 1000)
                if i == 0:
                    recalls.append(len(want & set(got.keys.tolist())) / 10)
        print(f"query (embed + ANN top-10, ef_search={ef}): {len(times)} queries  "
              f"p50 {pct(times, 0.5):.2f} ms  p99 {pct(times, 0.99):.2f} ms; "
              f"recall@10 vs exact {statistics.fmean(recalls):.3f}", flush=True)
    print(f"index memory {index.memory_usage / 2**20:,.0f} MB; peak RSS {rss_mb():,.0f} MB")


def measure(engine: Engine, settings: Settings, a: argparse.Namespace) -> None:
    """Query latency and recall, on whichever index `paperfeed index` built."""
    if backend(engine, settings) == "pgvector":
        pgvector_storage(engine, settings)
        for ef in [int(x) for x in a.ef_search.split(",")]:
            vt.EF_SEARCH = ef
            measure_queries(engine, settings, a.rounds, f" (pgvector, ef_search={ef})")
            if not a.no_recall:
                measure_recall(engine, settings, 40)
        return
    path = vi.index_path(settings, storage_key(a.model))
    size_mb = path.stat().st_size / 2**20
    print(f"index file {size_mb:,.0f} MB ({vi.DTYPE}, HNSW M={vi.CONNECTIVITY})")
    measure_queries(engine, settings, a.rounds)
    if not a.no_recall:
        measure_recall(engine, settings, 40)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("-n", type=int, default=1_000_000, help="papers in the database")
    ap.add_argument("--data-dir", default="bench-data", help="where the database/index live")
    ap.add_argument("--pg", "--postgres", dest="pg",
                    help="a PostgreSQL URL to benchmark instead of SQLite")
    ap.add_argument("--model", default="minilm-static", help="minilm-static or minilm")
    ap.add_argument("--rounds", type=int, default=5, help="times each query is run")
    ap.add_argument("--minilm-sample", type=int, default=256,
                    help="texts for the transformer's throughput (0 skips it)")
    ap.add_argument("--reindex", action="store_true", help="embed every paper again")
    ap.add_argument("--no-recall", action="store_true", help="skip the exact-search recall check")
    ap.add_argument("--ef-search", default="40,100,200",
                    help="pgvector: hnsw.ef_search values to time (comma-separated)")
    ap.add_argument("--m", type=int, default=0, help="pgvector: HNSW m when (re)built")
    ap.add_argument("--ef-construction", type=int, default=0,
                    help="pgvector: HNSW ef_construction when (re)built")
    ap.add_argument("--file-index", action="store_true",
                    help="PostgreSQL: use the index file even where pgvector is available")
    ap.add_argument("--rebuild-ann", action="store_true",
                    help="drop the nearest-neighbour index (not the vectors) and time its build")
    ap.add_argument("--ann-only", action="store_true",
                    help="no database: time the ANN alone on -n static-model vectors")
    a = ap.parse_args(argv)
    if a.ann_only:
        ann_at_scale(a.n, a.rounds)
        return
    data_dir = Path(a.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    url = a.pg or f"sqlite:///{data_dir / f'semantic-{a.n}.db'}"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = Settings(database_url=url, data_dir=data_dir, embedding_model=a.model)
    engine = make_engine(url)
    print(f"{a.n:,} synthetic papers, {engine.dialect.name}, model {a.model}, "
          f"{os.cpu_count()} CPUs", flush=True)
    build(engine, a.n)
    if a.minilm_sample:
        rate = minilm_throughput(a.minilm_sample)
        print(f"minilm (transformer, 256 tokens) throughput: {rate:,.1f} texts/s on a sample "
              f"of {a.minilm_sample}: 1M papers would take {1_000_000 / rate / 3600:.1f} h",
              flush=True)
    if a.m:
        vt.HNSW_M = a.m
    if a.ef_construction:
        vt.HNSW_EF_CONSTRUCTION = a.ef_construction
    if a.file_index:  # as on a server without pgvector: the same vectors, an index file
        vt.available = lambda engine: False  # type: ignore[assignment]
    if a.rebuild_ann:
        drop_ann(engine, settings)
    index(engine, settings, a.reindex)
    measure(engine, settings, a)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"peak RSS of this process: {rss_mb():,.0f} MB")
    engine.dispose()


if __name__ == "__main__":
    main()
