"""Snapshot import throughput: papers/s and peak memory of `paperfeed import`.

    python -m benchmarks.bench_import                      # 1,000,000 papers, SQLite
    python -m benchmarks.bench_import -n 200000 --postgres postgresql+psycopg://u@host/postgres

Generates N snapshot-format papers with benchmarks/synth.py (cached in --data-dir as
snapshot-N.jsonl.gz, with topics-N.tsv beside it), creates a fresh database (SQLite in
--data-dir; with --postgres a new database on that server, dropped afterwards), runs
the real command `python -m paperfeed import FILE --quiet` in a child process, and prints
papers/s and the child's peak RSS. The keyword index (FTS5 triggers on SQLite, the
search_vector column and its GIN index on PostgreSQL) is maintained during the import,
as it is for users. Targets on 2 cores: >= 12,000 papers/s on SQLite, >= 10,000 on
PostgreSQL; < 500 MB RSS. --keep keeps the PostgreSQL database (for the load tests).
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.synth import write
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine


def data_file(n: int, data_dir: Path) -> Path:
    """The cached snapshot of n papers (generated on first use)."""
    path = data_dir / f"snapshot-{n}.jsonl.gz"
    if path.exists():
        return path
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    print(f"generating {n:,} papers into {path} ...", flush=True)
    started = time.perf_counter()
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=1) as out, open(
        data_dir / f"topics-{n}.tsv", "w", encoding="utf-8"
    ) as topics:
        write(n, out, seed=1, topics=topics)
    tmp.rename(path)
    print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def run_import(url: str, path: Path, batch_size: int) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (the importer and its parser process), peak RSS in
    bytes (largest process) and stdout of `paperfeed import` in a child process."""
    env = {**os.environ, "PAPERFEED_DATABASE_URL": url}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "paperfeed", "import", str(path), "--batch-size",
         str(batch_size)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    assert proc.stdout is not None
    output = proc.stdout.read().decode()
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"import failed (exit {code}):\n{output}")
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, cpu, usage.ru_maxrss * 1024, output


def fresh_sqlite(data_dir: Path) -> str:
    db = data_dir / "bench-import.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{db}"


def fresh_postgres(server_url: str) -> tuple[str, str]:
    name = f"paperfeed_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    return url, name


def drop_postgres(server_url: str, name: str) -> None:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def bench(label: str, url: str, path: Path, n: int, batch_size: int) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    seconds, cpu, rss, output = run_import(url, path, batch_size)
    print(f"  paperfeed: {output.strip().splitlines()[-1] if output.strip() else ''}")
    print(f"{label}: {n:,} papers in {seconds:.1f} s = {n / seconds:,.0f} papers/s; "
          f"peak RSS {rss / 2**20:,.0f} MB; client CPU {cpu:.0f} s; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("-n", type=int, default=1_000_000, help="papers to import")
    ap.add_argument("--data-dir", type=Path, default=Path("bench-data"),
                    help="where generated data and the SQLite database go")
    ap.add_argument("--postgres", "--pg", metavar="URL",
                    help="also import into a fresh database on this PostgreSQL server")
    ap.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL")
    ap.add_argument("--batch-size", type=int, default=2000)
    ap.add_argument("--keep", action="store_true",
                    help="keep the PostgreSQL database (its URL is printed) for later benchmarks")
    a = ap.parse_args(argv)
    path = data_file(a.n, a.data_dir)
    print(f"input: {path} ({path.stat().st_size / 2**20:,.0f} MB gzip), {os.cpu_count()} CPUs",
          flush=True)
    if not a.no_sqlite:
        bench("SQLite", fresh_sqlite(a.data_dir), path, a.n, a.batch_size)
    if a.postgres:
        url, name = fresh_postgres(a.postgres)
        try:
            bench("PostgreSQL", url, path, a.n, a.batch_size)
        except BaseException:
            drop_postgres(a.postgres, name)
            raise
        if a.keep:
            print(f"kept: {make_url(url).render_as_string(hide_password=True)}", flush=True)
        else:
            drop_postgres(a.postgres, name)


if __name__ == "__main__":
    main()
