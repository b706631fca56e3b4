"""API and feed throughput: /api/daily_papers (Hugging Face-compatible) and the daily
Atom feed, anonymous, on a site with many papers.

    python -m benchmarks.bench_api                       # 1M papers
    python -m benchmarks.bench_api -n 100000 --reuse     # keep the built database
    python -m benchmarks.bench_api --workers 1 --seconds 5 --connections 32

The database is bench_community's (``-n`` synthetic papers imported with ``paperfeed
import``, n/10 users, daily lists of 50 papers over 365 days ending the day it was built,
n votes, trending keys as the vote path computes them), kept in ``--data-dir`` as
``api-N.db``; with ``--reuse`` an existing ``api-N.db`` (or a copy of bench_community's
database of the same size) is used instead of building. ``paperfeed serve --workers W
--page-cache 1`` (the per-address API request limits turned off, since wrk is one
address) is driven by wrk (``apt-get install wrk``) on each path. Every answer is
checked first (200, the expected content type, a full list).

Target (issue 10): >= 1,000 requests/s with p99 <= 50 ms for each path.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.bench_community import build, wrk
from benchmarks.bench_daily_page import free_port
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine

PATHS = ("/api/daily_papers", "/api/daily_papers?sort=trending&limit=100",
         "/feeds/daily.atom")


def database(data_dir: Path, n: int, reuse: bool) -> Path:
    """The benchmark database: reused, copied from bench_community's, or built."""
    db = data_dir / f"api-{n}.db"
    if reuse and db.exists():
        return db
    community = data_dir / f"community-{n}-{max(1, n // 10)}-{n}.db"
    if reuse and community.exists():
        print(f"copying {community} to {db} ...", flush=True)
        shutil.copyfile(community, db)
    else:
        print(f"building {db} ...", flush=True)
        build(db, data_dir, n, max(1, n // 10), n, 365, 50)
    engine = make_engine(f"sqlite:///{db}")
    migrate.upgrade(engine)  # a copy made before the latest migration
    engine.dispose()
    return db


def _wait(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(base + "/api/daily_papers?limit=1", timeout=10).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            raise SystemExit("server did not start")
        time.sleep(0.3)


def check(base: str, path: str) -> str:
    """One request's status and content, as a reader would see it."""
    response = httpx.get(base + path, timeout=60)
    kind = response.headers.get("content-type", "")
    if response.status_code != 200:
        return f"{response.status_code} (not benchmarked)"
    if path.startswith("/api/"):
        return f"200 {kind.split(';')[0]}, {len(response.json())} papers"
    return f"200 {kind.split(';')[0]}, {response.text.count('<entry>')} entries"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("-n", type=int, default=1_000_000, help="papers")
    ap.add_argument("--data-dir", type=Path, default=Path("bench-data"))
    ap.add_argument("--reuse", action="store_true", help="reuse the database if built")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    a = ap.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    a.data_dir.mkdir(parents=True, exist_ok=True)
    db = database(a.data_dir, a.n, a.reuse)
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PAPERFEED_DATA_DIR=tmp, PAPERFEED_SECRET_KEY="b" * 40,
                   PAPERFEED_DATABASE_URL=f"sqlite:///{db}",
                   PAPERFEED_RATE_LIMITS__API="", PAPERFEED_RATE_LIMITS__API_PER_ADDRESS="")
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "paperfeed", "serve", "--port", str(port), "--workers",
             str(a.workers), "--page-cache", "1"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(base, server)
            print(f"{a.n:,} papers; paperfeed serve: {a.workers} worker(s), page cache 1 s; "
                  f"wrk -t2 -c{a.connections} -d{a.seconds}s", flush=True)
            for path in PATHS:
                status = check(base, path)
                print(f"  {path:<44} {status}", flush=True)
                if not status.startswith("200"):
                    continue
                r = wrk(base + path, a.seconds, a.connections, [])
                verdict = "ok" if r["rps"] >= 1000 and r.get("p99_ms", 1e9) <= 50 else "MISSED"
                print(f"  {'':<44} {r['rps']:>8,.0f} req/s   p50 {r.get('p50_ms', 0):6.1f} ms"
                      f"   p99 {r.get('p99_ms', 0):6.1f} ms   non-2xx {r['non_2xx']:.0f}   "
                      f"{verdict}", flush=True)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:  # uvicorn waits for open keep-alive connections
                server.kill()
                server.wait()
    print(f"(machine: {os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
