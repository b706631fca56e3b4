"""API, feed, daily page and search throughput: /, /api/search, /api/daily_papers
(Hugging Face-compatible) and the daily Atom feed, anonymous, on a site with many papers.

    python -m benchmarks.bench_api                       # 1M papers (SQLite)
    python -m benchmarks.bench_api -n 100000 --reuse     # keep the built database
    python -m benchmarks.bench_api --workers 1 --seconds 5 --connections 32
    python -m benchmarks.bench_api --postgres postgresql+psycopg://u@host/db --workers 4

The database is bench_community's (``-n`` synthetic papers imported with ``paperfeed
import``, n/10 users, daily lists of 50 papers over 365 days ending the day it was built,
n votes, trending keys as the vote path computes them), kept in ``--data-dir`` as
``api-N.db``; with ``--reuse`` an existing ``api-N.db`` (or a copy of bench_community's
database of the same size) is used instead of building. ``paperfeed serve --workers W
--page-cache 1`` (the per-address API request limits turned off, since wrk is one
address) is driven by wrk (``apt-get install wrk``) on each path. Every answer is
checked first (200, the expected content type, a full list).

``--postgres URL`` serves an existing, migrated PostgreSQL database instead (for example
one that ``paperfeed import`` filled; nothing is built, ``-n`` and ``--reuse`` are
ignored); when it has no daily lists yet, lists of 50 papers over 365 days ending today
are added to it first (said on the output), so the daily page and feeds have something
to show. ``--workers N`` is serve's worker count (issue 11 asks for 4 on PostgreSQL).

Targets: issue 10, >= 1,000 requests/s with p99 <= 50 ms for the lists and the feed
(the daily page too); issue 11, search p99 <= 150 ms (its keyword-search target, here
measured end to end under load).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

from benchmarks.bench_community import build
from benchmarks.bench_daily_page import free_port, parse_wrk
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine

PATHS = ("/", "/api/daily_papers", "/api/daily_papers?sort=trending&limit=100",
         "/feeds/daily.atom")
SEARCHES = ("learning", "sparse autoencoders", '"language model"', "quantum -circuit")
LIST_TARGET = (1000.0, 50.0)  # req/s at least, p99 ms at most
SEARCH_TARGET = (0.0, 150.0)
CARD = '<article class="card"'  # one paper on a list page


def search_path(query: str, mode: str) -> str:
    return "/api/search?" + urlencode({"q": query, "mode": mode})


def all_paths(mode: str) -> list[tuple[str, tuple[float, float]]]:
    """Each benchmarked path with its (req/s, p99 ms) target."""
    return ([(path, LIST_TARGET) for path in PATHS]
            + [(search_path(q, mode), SEARCH_TARGET) for q in SEARCHES])


def add_lists(url: str, days: int = 365, per_day: int = 50, seed: int = 11) -> int:
    """Daily lists of `per_day` random papers over `days` days ending today, when the
    database has none; returns how many entries were added (0 when it had lists)."""
    import random
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import func, insert, select, update

    from paperfeed.ranking.trending import trending_key
    from paperfeed.storage.engine import write_session
    from paperfeed.storage.models import DailyEntry, Paper

    engine = make_engine(url)
    try:
        with write_session(engine) as session:
            if session.scalar(select(func.count()).select_from(DailyEntry)):
                return 0
            top = int(session.scalar(select(func.max(Paper.id))) or 0)
            rng = random.Random(seed)
            picked = sorted(set(rng.sample(range(1, top + 1), min(top, days * per_day))))
            ids = list(session.scalars(select(Paper.id).where(Paper.id.in_(picked))))
            now = datetime.now(UTC).replace(tzinfo=None)
            rows = []
            for index, paper_id in enumerate(ids):
                day = now.date() - timedelta(days=index // per_day)
                at = datetime.combine(day, datetime.min.time()) + timedelta(
                    minutes=index % per_day)
                rows.append({"day": day, "paper_id": paper_id, "submitted_at": at,
                             "source": "manual", "hidden": False})
            if rows:
                session.execute(insert(DailyEntry), rows)
                session.execute(update(Paper), [
                    {"id": row["paper_id"], "trending_key": trending_key([], row["submitted_at"])}
                    for row in rows])
            return len(rows)
    finally:
        engine.dispose()


def paper_count(url: str) -> int:
    from sqlalchemy import text

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM papers")).scalar() or 0)
    finally:
        engine.dispose()


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
        if server.poll() is not None:
            why = (server.stderr.read() if server.stderr else b"").decode().strip()
            raise SystemExit("server did not start: " + (why.splitlines() or ["?"])[-1])
        if time.monotonic() > deadline:
            raise SystemExit("server did not start")
        time.sleep(0.3)


def wrk(url: str, seconds: int, connections: int) -> dict[str, float]:
    """wrk's figures for `url` (after a 1 s warm-up), with a 30 s request timeout so a
    slow answer counts in the latencies instead of vanishing as a wrk timeout."""
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "30s"]
    subprocess.run(["wrk", "-t2", "-c4", "-d1s", url], capture_output=True)
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    result = parse_wrk(out)
    timeouts = re.search(r"timeout (\d+)", out)
    result["timeouts"] = float(timeouts.group(1)) if timeouts else 0.0
    return result


def check(base: str, path: str) -> str:
    """One request's status and content, as a reader would see it."""
    response = httpx.get(base + path, timeout=60)
    kind = response.headers.get("content-type", "").split(";")[0]
    if response.status_code != 200:
        return f"{response.status_code} (not benchmarked)"
    if path.startswith("/api/search"):
        body = response.json()
        return (f"200 {kind}, {len(body['results'])} of {body['total']:,} results "
                f"({body['mode_used']})")
    if path.startswith("/api/"):
        return f"200 {kind}, {len(response.json())} papers"
    if path == "/":
        return f"200 {kind}, {response.text.count(CARD)} papers"
    return f"200 {kind}, {response.text.count('<entry>')} entries"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("-n", type=int, default=1_000_000, help="papers")
    ap.add_argument("--data-dir", type=Path, default=Path("bench-data"))
    ap.add_argument("--reuse", action="store_true", help="reuse the database if built")
    ap.add_argument("--workers", type=int, default=2, help="serve's worker processes")
    ap.add_argument("--postgres", "--pg", metavar="URL",
                    help="serve this existing PostgreSQL database (nothing is built)")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--page-cache", type=float, default=1.0,
                    help="serve's --page-cache seconds (0: every page rendered)")
    ap.add_argument("--search-mode", choices=("keyword", "hybrid", "semantic"),
                    default="keyword", help="mode of the /api/search requests")
    a = ap.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    if a.postgres:
        url = a.postgres
        if not url.startswith("postgresql"):
            print("--postgres takes a postgresql+psycopg:// URL", file=sys.stderr)
            return 2
        added = add_lists(url)
        if added:
            print(f"the database had no daily lists: added {added:,} entries", flush=True)
        a.n = paper_count(url)
    else:
        a.data_dir.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{database(a.data_dir, a.n, a.reuse)}"
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PAPERFEED_DATA_DIR=tmp, PAPERFEED_SECRET_KEY="b" * 40,
                   PAPERFEED_DATABASE_URL=url,
                   PAPERFEED_RATE_LIMITS__API="", PAPERFEED_RATE_LIMITS__API_PER_ADDRESS="")
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "paperfeed", "serve", "--port", str(port), "--workers",
             str(a.workers), "--page-cache", str(a.page_cache)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(base, server)
            engine = "PostgreSQL" if a.postgres else "SQLite"
            print(f"{a.n:,} papers ({engine}); paperfeed serve: {a.workers} worker(s), page "
                  f"cache {a.page_cache:g} s; wrk -t2 -c{a.connections} -d{a.seconds}s",
                  flush=True)
            for path, (rps, p99) in all_paths(a.search_mode):
                status = check(base, path)
                print(f"  {path:<44} {status}", flush=True)
                if not status.startswith("200"):
                    continue
                r = wrk(base + path, a.seconds, a.connections)
                met = (r["rps"] >= rps and 0 < r.get("p99_ms", 0) <= p99 and not r["non_2xx"]
                       and not r["timeouts"])
                print(f"  {'':<44} {r['rps']:>8,.1f} req/s   p50 {r.get('p50_ms', 0):6.1f} ms"
                      f"   p99 {r.get('p99_ms', 0):6.1f} ms   non-2xx {r['non_2xx']:.0f}   "
                      f"timeouts {r['timeouts']:.0f}   {'ok' if met else 'MISSED'}", flush=True)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:  # uvicorn waits for open keep-alive connections
                server.kill()
                server.wait()
    print(f"(machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
