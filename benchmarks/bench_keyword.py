"""Keyword search latency at scale: builds a synthetic database, then times a fixed
query set (common words, rare words, phrases, exclusions, filters) and prints p50/p99.

    python -m benchmarks.bench_keyword                    # 1,000,000 papers on SQLite
    python -m benchmarks.bench_keyword -n 100000 --pg postgresql+psycopg://.../db

The database is built once from benchmarks/synth.py and kept (SQLite: in --data-dir;
PostgreSQL: the database of the URL), so reruns only time the queries. SQLite: bulk
INSERTs, the FTS5 triggers maintaining the index as in an import. PostgreSQL: COPY with
each paper's search vector from storage/terms.py (as the importer writes it), the GIN
index built once at the end.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select, text

from benchmarks.synth import generate
from paperfeed.config import Settings
from paperfeed.search import keyword
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine
from paperfeed.storage.models import Paper
from paperfeed.storage.terms import document_vector

QUERIES = [
    "learning",
    "model",
    "learning model",
    "sparse autoencoders",
    "neural operator pde",
    "diffusion",
    '"language model"',
    '"sparse autoencoder" features',
    "quantum -circuit",
    "galaxy cat:astro-ph",
    "reasoning cat:cs.CL year:2023",
    "robot after:2024-06-01",
    "author:müller graph",
    "title:diffusion",
    "superposition monosemantic",
    "navier stokes",
    "efficient transformer",
    "learning year:2024",
    "model -learning",
    "hamiltonian ground state",
]
# Also timed sorted newest first (the rest are sorted by relevance).
DATE_SORTED = ["learning", "navier stokes", '"language model"', "galaxy cat:astro-ph"]


_MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)}


def _records(n: int) -> Iterator[dict[str, Any]]:
    """The generator's first `n` papers; read from bench-data/snapshot-N.jsonl.gz (the
    import benchmark's file: the same papers) when there is one, which is faster."""
    snapshot = Path("bench-data") / f"snapshot-{n}.jsonl.gz"
    if not snapshot.exists():
        yield from generate(n, seed=1)
        return
    with gzip.open(snapshot, "rb") as f:
        for line, _ in zip(f, range(n), strict=False):
            yield json.loads(line)


def _rows(n: int) -> Iterator[dict[str, Any]]:
    now = datetime.now(UTC).replace(tzinfo=None)
    for rec in _records(n):
        # "Mon, 2 Jan 2023 10:00:00 GMT": the date part (strptime costs more than the rest).
        _, day, month, year = rec["versions"][0]["created"].split()[:4]
        published = date(int(year), _MONTHS[month], int(day))
        cats = rec["categories"].split()
        yield {
            "arxiv_id": rec["id"],
            "version": len(rec["versions"]),
            "title": " ".join(rec["title"].split()),
            "abstract": " ".join(rec["abstract"].split()),
            "authors": [f"{p[1]} {p[0]}".strip() for p in rec["authors_parsed"]],
            "primary_category": cats[0],
            "categories": cats,
            "published": published,
            "updated": date.fromisoformat(rec["update_date"]),
            "withdrawn": False,
            "links": {},
            "vote_count": 0,
            "upstream_upvotes": 0,
            "comment_count": 0,
            "created_at": now,
            "modified_at": now,
        }


_COPY_COLUMNS = (
    "arxiv_id", "version", "title", "abstract", "authors", "primary_category", "categories",
    "published", "updated", "withdrawn", "links", "vote_count", "upstream_upvotes",
    "comment_count", "created_at", "modified_at", "search_vector",
)


def _copy_pg(engine: Engine, n: int, start: float) -> None:
    """COPY the papers with their search vectors; the GIN index is rebuilt afterwards
    (one sort instead of a million index insertions)."""
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX IF EXISTS ix_papers_search_vector"))
    raw: Any = engine.raw_connection()
    try:
        cur = raw.driver_connection.cursor()
        done = 0
        with cur.copy(f"COPY papers ({', '.join(_COPY_COLUMNS)}) FROM STDIN") as copy:
            for row in _rows(n):
                vector = document_vector(row["title"], row["authors"], row["abstract"])
                copy.write_row((
                    row["arxiv_id"], row["version"], row["title"], row["abstract"],
                    json.dumps(row["authors"]), row["primary_category"],
                    json.dumps(row["categories"]), row["published"], row["updated"], False,
                    "{}", 0, 0, 0, row["created_at"], row["modified_at"], vector,
                ))
                done += 1
                if done % 10_000 == 0:
                    rate = done / (time.perf_counter() - start)
                    print(f"\r  copied {done:,}/{n:,} ({rate:,.0f} papers/s)", end="", flush=True)
        raw.commit()
    finally:
        raw.close()
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        conn.execute(
            text("CREATE INDEX ix_papers_search_vector ON papers USING gin (search_vector)")
        )
    print(f"\n  GIN index built in {time.perf_counter() - t0:.0f} s", flush=True)


def build(engine: Engine, n: int) -> None:
    migrate.upgrade(engine)
    with engine.connect() as conn:
        have = int(conn.execute(select(func.count()).select_from(Paper)).scalar() or 0)
    if have >= n:
        print(f"database has {have:,} papers; reusing it", flush=True)
        return
    if have:
        sys.exit(f"database has {have:,} papers, fewer than {n:,}: delete it and rerun")
    start = time.perf_counter()
    if engine.dialect.name == "postgresql":
        _copy_pg(engine, n, start)
    else:
        _insert_sqlite(engine, n, start)
    built = time.perf_counter() - start
    print(f"\nbuilt {n:,} papers in {built:.0f} s ({n / built:,.0f} papers/s)", flush=True)
    t0 = time.perf_counter()
    keyword.optimize_index(engine)  # what `paperfeed index` does after an import
    print(f"optimized the keyword index in {time.perf_counter() - t0:.1f} s", flush=True)


def _insert_sqlite(engine: Engine, n: int, start: float) -> None:
    batch: list[dict[str, Any]] = []
    done = 0
    table: Any = Paper.__table__
    with engine.connect() as conn:
        for row in _rows(n):
            batch.append(row)
            if len(batch) == 10_000:
                with conn.begin():
                    conn.execute(insert(table), batch)
                done += len(batch)
                batch = []
                rate = done / (time.perf_counter() - start)
                print(f"\r  built {done:,}/{n:,} ({rate:,.0f} papers/s)", end="", flush=True)
        if batch:
            with conn.begin():
                conn.execute(insert(table), batch)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


def run(engine: Engine, url: str, rounds: int) -> None:
    from paperfeed.search.service import search

    settings = Settings(database_url=url)
    cases = [(q, "relevance") for q in QUERIES] + [(q, "date") for q in DATE_SORTED]
    timings: dict[tuple[str, str], list[float]] = {c: [] for c in cases}
    for q, sort in cases:  # warm-up
        search(engine, settings, q, mode="keyword", sort=sort)
    for _ in range(rounds):
        for q, sort in cases:
            t0 = time.perf_counter()
            resp = search(engine, settings, q, mode="keyword", sort=sort)
            timings[(q, sort)].append((time.perf_counter() - t0) * 1000)
            assert resp.results or resp.total == 0 or resp.message
    all_ms = [ms for v in timings.values() for ms in v]
    print(f"\n{'query':40} {'sort':9} {'p50 ms':>8} {'max ms':>8} {'total':>9}")
    for (q, sort), v in timings.items():
        resp = search(engine, settings, q, mode="keyword", sort=sort)
        total = f"{resp.total:,}" + ("" if resp.total_exact else "+")
        print(f"{q:40} {sort:9} {statistics.median(v):8.1f} {max(v):8.1f} {total:>9}")
    print(
        f"\n{engine.dialect.name}: {len(all_ms)} queries  "
        f"p50 {_percentile(all_ms, 0.5):.1f} ms  p99 {_percentile(all_ms, 0.99):.1f} ms  "
        "(targets: p50 <= 20 ms, p99 <= 150 ms)"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("-n", type=int, default=1_000_000, help="papers in the database")
    ap.add_argument("--data-dir", default="bench-data", help="where the SQLite file is kept")
    ap.add_argument("--pg", "--postgres", dest="pg",
                    help="a PostgreSQL URL to benchmark instead of SQLite")
    ap.add_argument("--rounds", type=int, default=10, help="times each query is run")
    ap.add_argument("--build-only", action="store_true")
    a = ap.parse_args(argv)
    if a.pg:
        url = a.pg
    else:
        Path(a.data_dir).mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{Path(a.data_dir) / f'keyword-{a.n}.db'}"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    engine = make_engine(url)
    build(engine, a.n)
    if not a.build_only:
        run(engine, url, a.rounds)
    engine.dispose()


if __name__ == "__main__":
    main()
