"""Community load: the daily page and /trending for anonymous and signed-in readers,
and votes per second, on a site with many papers, users and votes.

    python -m benchmarks.bench_community                 # 1M papers, 100k users, 1M votes
    python -m benchmarks.bench_community -n 100000 --users 10000 --votes 100000
    python -m benchmarks.bench_community --reuse         # keep the built database

Builds (once; cached in --data-dir with --reuse) a SQLite database: ``-n`` synthetic
papers imported with ``paperfeed import``, ``--users`` accounts, daily lists of
``--per-day`` papers over ``--days`` days ending today, and ``--votes`` votes (80% on
listed papers with a skewed popularity, 20% anywhere), with vote counts and trending
keys computed as the vote path computes them. Then:

- ``paperfeed serve --workers W --page-cache 1`` driven by wrk (``apt-get install
  wrk``): ``/`` and ``/trending`` anonymous (page-cached) and signed in (a session
  cookie, which the page cache never serves);
- votes/s: ``community.votes.set_vote`` in a loop (vote, then unvote, random users and
  papers), one writer and ``--vote-threads`` writers.

Targets (issue 8): anonymous pages >= 1,000 requests/s with p99 <= 50 ms; signed-in
pages >= 300 requests/s; >= 500 votes/s on SQLite.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from benchmarks.bench_daily_page import free_port, parse_wrk
from benchmarks.bench_import import data_file, run_import
from paperfeed.ranking.trending import trending_key
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def build(db: Path, data_dir: Path, n: int, users: int, votes: int, days: int,
          per_day: int, seed: int = 8) -> None:
    """The benchmark database (see the module notes)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    started = time.perf_counter()
    run_import(url, data_file(n, data_dir), 2000)
    print(f"  {n:,} papers imported in {time.perf_counter() - started:.0f} s", flush=True)

    rng = random.Random(seed)
    now = _now()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    ids = [row[0] for row in conn.execute("SELECT id FROM papers ORDER BY id")]
    created = now - timedelta(days=days + 30)
    conn.executemany(
        "INSERT INTO users (username, username_key, email, role, is_banned, is_demo, "
        "show_upvotes, created_at) VALUES (?, ?, ?, 'user', 0, 0, 0, ?)",
        ((f"user{i}", f"user{i}", f"user{i}@example.org", created) for i in range(users)),
    )
    user_ids = [row[0] for row in conn.execute("SELECT id FROM users ORDER BY id")]

    listed = rng.sample(ids, min(len(ids), days * per_day))
    entries: dict[int, datetime] = {}
    rows = []
    for index, paper_id in enumerate(listed):
        day = now.date() - timedelta(days=index // per_day)
        at = datetime.combine(day, datetime.min.time()) + timedelta(minutes=index % per_day)
        entries[paper_id] = at
        rows.append((day, paper_id, user_ids[rng.randrange(len(user_ids))], at))
    conn.executemany(
        "INSERT INTO daily_entries (day, paper_id, submitted_by_id, submitted_at, source, "
        "hidden) VALUES (?, ?, ?, ?, 'community', 0)", rows,
    )

    times: dict[int, list[datetime]] = defaultdict(list)
    voters: dict[int, set[int]] = defaultdict(set)
    vote_rows = []
    while len(vote_rows) < votes:
        if rng.random() < 0.8:
            paper_id = listed[min(len(listed) - 1, int(len(listed) * rng.random() ** 3))]
            at = entries[paper_id] + timedelta(minutes=rng.randrange(3 * 24 * 60))
        else:
            paper_id = ids[rng.randrange(len(ids))]
            at = now - timedelta(minutes=rng.randrange(days * 24 * 60))
        user_id = user_ids[rng.randrange(len(user_ids))]
        if user_id in voters[paper_id]:
            continue
        voters[paper_id].add(user_id)
        at = min(at, now)
        times[paper_id].append(at)
        vote_rows.append((user_id, paper_id, at))
    conn.executemany(
        "INSERT INTO votes (user_id, paper_id, created_at, source) VALUES (?, ?, ?, 'user')",
        vote_rows,
    )
    conn.executemany(
        "UPDATE papers SET vote_count = ?, trending_key = ? WHERE id = ?",
        ((len(times[p]), trending_key(times[p], entries[p]) if p in entries else None, p)
         for p in set(times) | set(entries)),
    )
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    print(f"  built in {time.perf_counter() - started:.0f} s: {users:,} users, "
          f"{len(rows):,} daily entries, {len(vote_rows):,} votes", flush=True)


def session_cookie(db: Path) -> str:
    """A signed-in session for one of the benchmark's users."""
    from paperfeed.accounts.sessions import start_session
    from paperfeed.storage.engine import write_session
    from paperfeed.storage.models import User

    engine = make_engine(f"sqlite:///{db}")
    with write_session(engine) as session:
        user = session.get(User, 1)
        assert user is not None
        token, _ = start_session(session, user, _now(), days=1)
    engine.dispose()
    return token


def wrk(url: str, seconds: int, connections: int, headers: list[str]) -> dict[str, float]:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        args += ["-H", header]
    subprocess.run([*args[:3], "-c4", "-d1s", *args[5:], url], capture_output=True)
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def pages(db: Path, tmp: str, workers: int, seconds: int, connections: int) -> None:
    env = dict(os.environ, PAPERFEED_DATA_DIR=tmp, PAPERFEED_SECRET_KEY="b" * 40,
               PAPERFEED_DATABASE_URL=f"sqlite:///{db}")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "paperfeed", "serve", "--port", str(port), "--workers",
         str(workers), "--page-cache", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    cookie = f"Cookie: pf_session={session_cookie(db)}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("server did not start")
            time.sleep(0.2)
        signed_in = httpx.get(base + "/", headers={"Cookie": cookie[8:]}, timeout=30)
        assert "Log out" in signed_in.text, "the session cookie did not sign in"
        print(f"paperfeed serve: {workers} worker(s), page cache 1 s; "
              f"wrk -t2 -c{connections} -d{seconds}s")
        for label, headers in (("anonymous", []), ("signed in", [cookie])):
            for path in ("/", "/trending"):
                r = wrk(base + path, seconds, connections, headers)
                print(f"  {label:<10} {path:<10} {r['rps']:>8,.0f} req/s   p50 "
                      f"{r.get('p50_ms', 0):6.1f} ms   p99 {r.get('p99_ms', 0):6.1f} ms   "
                      f"non-2xx {r['non_2xx']:.0f}", flush=True)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # uvicorn waits for open keep-alive connections
            server.kill()
            server.wait()


def votes_per_second(db: Path, seconds: float, threads: int) -> None:
    from paperfeed.community.votes import set_vote

    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        users = int(conn.exec_driver_sql("SELECT max(id) FROM users").scalar_one())
        listed = [row[0] for row in conn.exec_driver_sql(
            "SELECT paper_id FROM daily_entries ORDER BY day DESC LIMIT 2000")]

    def run(count: list[int], seed: int) -> None:
        rng = random.Random(seed)
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            user_id, paper_id = rng.randrange(1, users + 1), rng.choice(listed)
            if set_vote(engine, user_id, paper_id, True, _now()).changed:
                set_vote(engine, user_id, paper_id, False, _now())  # leave the data as it was
                count[0] += 1
            count[0] += 1

    for n in (1, threads):
        counts = [[0] for _ in range(n)]
        workers = [threading.Thread(target=run, args=(counts[i], i)) for i in range(n)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        total = sum(c[0] for c in counts)
        print(f"  votes: {n} writer(s): {total / (time.perf_counter() - started):,.0f} "
              f"votes/s (vote and unvote, each its own transaction)", flush=True)
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("-n", type=int, default=1_000_000, help="papers")
    ap.add_argument("--users", type=int, default=100_000)
    ap.add_argument("--votes", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=365, help="days with a daily list")
    ap.add_argument("--per-day", type=int, default=50, help="papers on each daily list")
    ap.add_argument("--data-dir", type=Path, default=Path("bench-data"))
    ap.add_argument("--reuse", action="store_true", help="reuse the database if built")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--vote-seconds", type=float, default=10.0)
    ap.add_argument("--vote-threads", type=int, default=4)
    a = ap.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    a.data_dir.mkdir(parents=True, exist_ok=True)
    db = a.data_dir / f"community-{a.n}-{a.users}-{a.votes}.db"
    if not (a.reuse and db.exists()):
        print(f"building {db} ...", flush=True)
        build(db, a.data_dir, a.n, a.users, a.votes, a.days, a.per_day)
    with tempfile.TemporaryDirectory() as tmp:
        pages(db, tmp, a.workers, a.seconds, a.connections)
    votes_per_second(db, a.vote_seconds, a.vote_threads)
    print(f"(machine: {os.cpu_count()} CPUs, {_now():%Y-%m-%d})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
