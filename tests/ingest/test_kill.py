"""`kill -9` in the middle of a large import: the database stays consistent and running
the same import again ends with exactly what a clean import of the file gives, row for
row, on SQLite and on PostgreSQL."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from benchmarks.synth import generate
from sqlalchemy import Engine, text

from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine
from tests.ingest.helpers import Content, assert_same_content, content, count, only_papers

BigFile = tuple[Path, set[tuple[str, int, str]], int]  # file, (id, version, title), versions
N = 12_000
BATCH = 300


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> BigFile:
    path = tmp_path_factory.mktemp("kill") / "snapshot.jsonl.gz"
    expected: set[tuple[str, int, str]] = set()
    versions = 0
    with gzip.open(path, "wb", compresslevel=1) as out:
        for rec in generate(N, seed=7):
            out.write(orjson.dumps(rec) + b"\n")
            expected.add((rec["id"], len(rec["versions"]), " ".join(rec["title"].split())))
            versions += len(rec["versions"])
    return path, expected, versions


def run_import(db_url: str, path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PAPERFEED_DATABASE_URL": db_url}
    return subprocess.Popen(
        [sys.executable, "-m", "paperfeed", "import", str(path), "--quiet",
         "--batch-size", str(BATCH)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def wait_until_no_process_reads(path: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        left = []
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                if str(path).encode() in cmdline.read_bytes():
                    left.append(cmdline.parent.name)
            except OSError:
                continue
        if not left:
            return
        assert time.monotonic() < deadline, f"processes still reading {path}: {left}"
        time.sleep(0.05)


def sqlite_checks(engine: Engine) -> None:
    """SQLite's own consistency checks of the file (PostgreSQL has no equivalent that
    means anything here: its crash safety is the server's; the row-for-row comparison
    below is what tells whether the import left it consistent)."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []


def clean_import(url: str, path: Path) -> Content:
    """What the same file gives when imported once, undisturbed, into a fresh database."""
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        proc = run_import(url, path)
        _out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err.decode()
        return content(engine)
    finally:
        engine.dispose()


@pytest.mark.slow
def test_kill_9_then_rerun_gives_exactly_the_files_papers(
    engine: Engine, db_url: str, second_db_url: str, big_file: BigFile
) -> None:
    path, expected, versions = big_file
    clean = clean_import(second_db_url, path)
    assert sum(clean["papers"][1].values()) == N
    assert sum(clean["paper_versions"][1].values()) == versions

    proc = run_import(db_url, path)
    deadline = time.monotonic() + 600  # a guard against a hang, not a speed test
    try:
        # Kill it once a few batches are committed, well before the end.
        while count(engine, "SELECT count(*) FROM papers") < 4 * BATCH:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "import made no progress"
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # Its parser process (if any) notices and exits too, releasing the database.
    wait_until_no_process_reads(path)
    engine.dispose()
    sqlite_checks(engine)
    partial = count(engine, "SELECT count(*) FROM papers")
    assert 4 * BATCH <= partial < N
    assert partial % BATCH == 0  # whole batches or nothing
    # The papers that are there are exactly as the clean import wrote them: each with
    # all its versions, nothing half-written.
    with engine.connect() as conn:
        there = set(conn.execute(text("SELECT arxiv_id FROM papers")).scalars())
    assert_same_content(content(engine), only_papers(clean, there))

    rerun = run_import(db_url, path)
    _out, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err.decode()

    engine.dispose()
    sqlite_checks(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT arxiv_id, version, title FROM papers")).all()
    assert len(rows) == N
    assert {(a, v, t) for a, v, t in rows} == expected
    assert count(engine, "SELECT count(*) FROM paper_versions") == versions
    # Row for row what a clean import of the same file into a fresh database holds.
    assert_same_content(content(engine), clean)
