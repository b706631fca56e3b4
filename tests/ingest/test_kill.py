"""`kill -9` in the middle of a large import: the database stays consistent and running
the same import again ends with exactly the file's papers, none twice."""

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

from paperfeed.storage.dialect import integrity_check
from tests.ingest.helpers import count

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


def wait_until_no_process_reads(path: Path, timeout: float = 10) -> None:
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


@pytest.mark.slow
def test_kill_9_then_rerun_gives_exactly_the_files_papers(
    engine: Engine, db_url: str, big_file: BigFile
) -> None:
    path, expected, versions = big_file
    proc = run_import(db_url, path)
    deadline = time.monotonic() + 60
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
    with engine.connect() as conn:
        assert integrity_check(conn) == "ok"
    partial = count(engine, "SELECT count(*) FROM papers")
    assert 4 * BATCH <= partial < N
    assert partial % BATCH == 0  # whole batches or nothing

    rerun = run_import(db_url, path)
    _out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err.decode()

    engine.dispose()
    with engine.connect() as conn:
        assert integrity_check(conn) == "ok"
        rows = conn.execute(text("SELECT arxiv_id, version, title FROM papers")).all()
    assert len(rows) == N
    assert {(a, v, t) for a, v, t in rows} == expected
    assert count(engine, "SELECT count(DISTINCT arxiv_id) FROM papers") == N
    assert count(engine, "SELECT count(*) FROM paper_versions") == versions
