"""Keyword search latency at scale: builds a synthetic database, then times a fixed
query set (common words, rare words, phrases, exclusions, filters) and prints p50/p99.

    python -m benchmarks.bench_keyword                    # 1,000,000 papers on SQLite
    python -m benchmarks.bench_keyword -n 100000 --pg postgresql+psycopg://.../db

The database is built once with bulk SQL from benchmarks/synth.py (the keyword index is
maintained by the migration's triggers / generated column, exactly as in an import) and
kept in --data-dir, so reruns only time the queries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select

from benchmarks.synth import generate
from paperfeed.config import Settings
from paperfeed.search import keyword
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine
from paperfeed.storage.models import Paper

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


def _rows(n: int) -> Iterator[dict[str, Any]]:
    now = datetime.now(UTC).replace(tzinfo=None)
    for rec in generate(n, seed=1):
        created = datetime.strptime(
            rec["versions"][0]["created"], "%a, %d %b %Y %H:%M:%S %Z"
        ).replace(tzinfo=UTC)  # the dates are GMT
        cats = rec["categories"].split()
        yield {
            "arxiv_id": rec["id"],
            "version": len(rec["versions"]),
            "title": " ".join(rec["title"].split()),
            "abstract": " ".join(rec["abstract"].split()),
            "authors": [f"{p[1]} {p[0]}".strip() for p in rec["authors_parsed"]],
            "primary_category": cats[0],
            "categories": cats,
            "published": created.date(),
            "updated": date.fromisoformat(rec["update_date"]),
            "withdrawn": False,
            "links": {},
            "vote_count": 0,
            "upstream_upvotes": 0,
            "comment_count": 0,
            "created_at": now,
            "modified_at": now,
        }


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
    built = time.perf_counter() - start
    print(f"\nbuilt {n:,} papers in {built:.0f} s ({n / built:,.0f} papers/s)", flush=True)
    t0 = time.perf_counter()
    keyword.optimize_index(engine)  # what `paperfeed index` does after an import
    print(f"optimized the keyword index in {time.perf_counter() - t0:.1f} s", flush=True)


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
    ap.add_argument("--pg", help="a PostgreSQL URL to benchmark instead of SQLite")
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
