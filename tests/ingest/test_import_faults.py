"""Faults a production import meets: the PostgreSQL connection killed mid-import, SQLite
out of disk, and hostile text. Each ends with a clear one-line error (exit 1) or a
clean result, the database consistent, and a rerun that completes with nothing twice."""

from __future__ import annotations

import gzip
import os
import resource
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import orjson
import pytest
from benchmarks.synth import generate
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine
from tests.ingest.helpers import count
from tests.ingest.test_kill import sqlite_checks, wait_until_no_process_reads

N = 8000
BATCH = 200


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[tuple[str, int]]]:
    """N generated papers (gzip) and their (id, version)."""
    path = tmp_path_factory.mktemp("faults") / "snapshot.jsonl.gz"
    expected = set()
    with gzip.open(path, "wb", compresslevel=1) as out:
        for rec in generate(N, seed=11):
            out.write(orjson.dumps(rec) + b"\n")
            expected.add((rec["id"], len(rec["versions"])))
    return path, expected


def start_import(url: str, path: Path, **popen: object) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PAPERFEED_DATABASE_URL": url}
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "paperfeed", "import", str(path), "--quiet",
         "--batch-size", str(BATCH)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen,
    )


def one_line_error(stderr: bytes) -> str:
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1, stderr.decode()
    assert lines[0].startswith("error: ") and "Traceback" not in lines[0]
    return lines[0]


def migrated(url: str) -> Engine:
    engine = make_engine(url)
    migrate.upgrade(engine)
    return engine


def assert_complete(engine: Engine, expected: set[tuple[str, int]]) -> None:
    """Every paper of the file exactly once, each with all its versions."""
    engine.dispose()
    sqlite_checks(engine)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT p.arxiv_id, count(v.id) FROM papers p "
            "JOIN paper_versions v ON v.paper_id = p.id GROUP BY p.arxiv_id")).all()
    assert len(rows) == N == count(engine, "SELECT count(*) FROM papers")
    assert {(a, int(n)) for a, n in rows} == expected
    assert count(engine, "SELECT count(*) FROM paper_versions") == sum(n for _, n in expected)


def rerun(url: str, path: Path) -> None:
    proc = start_import(url, path)
    _out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode()


def wait_for_papers(engine: Engine, proc: subprocess.Popen[bytes], at_least: int) -> None:
    deadline = time.monotonic() + 300  # a guard against a hang, not a speed test
    while count(engine, "SELECT count(*) FROM papers") < at_least:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "import made no progress"
        time.sleep(0.02)


def test_postgres_connection_killed_mid_import(
    pg_url: str, snapshot: tuple[Path, set[tuple[str, int]]]
) -> None:
    path, expected = snapshot
    engine = migrated(pg_url)
    name = make_url(pg_url).database
    proc = start_import(pg_url, path)
    try:
        wait_for_papers(engine, proc, 3 * BATCH)
        assert proc.poll() is None, "the import ended before it could be interrupted"
        admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            killed = conn.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": name}).scalar()
        admin.dispose()
        assert killed
        _out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1
    line = one_line_error(err)
    assert "the database failed during the import" in line and "run the same import again" in line
    wait_until_no_process_reads(path)
    partial = count(engine, "SELECT count(*) FROM papers")
    assert 3 * BATCH <= partial < N and partial % BATCH == 0  # the batch rolled back
    assert count(engine, "SELECT count(*) FROM papers WHERE search_vector IS NULL") == 0

    rerun(pg_url, path)
    assert_complete(engine, expected)
    engine.dispose()


def _file_size_limit(limit: int) -> None:
    """In the child before exec: files cannot grow past ``limit`` bytes, and a write
    that would fails with EFBIG instead of killing the process (SIGXFSZ ignored)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_sqlite_out_of_disk_mid_import(
    sqlite_url: str, snapshot: tuple[Path, set[tuple[str, int]]]
) -> None:
    path, expected = snapshot
    engine = migrated(sqlite_url)
    db_file = Path(make_url(sqlite_url).database or "")
    limit = db_file.stat().st_size + 3 * 2**20  # room for a few batches, not all N
    proc = start_import(sqlite_url, path, preexec_fn=lambda: _file_size_limit(limit))
    _out, err = proc.communicate(timeout=600)
    assert proc.returncode == 1, err.decode()
    line = one_line_error(err)
    # SQLite says "database or disk is full" or, when a write fails with EFBIG, "disk I/O error".
    assert "disk is full" in line or "disk I/O error" in line, line
    assert "run the same import again" in line
    wait_until_no_process_reads(path)
    sqlite_checks(engine)
    partial = count(engine, "SELECT count(*) FROM papers")
    assert 0 < partial < N and partial % BATCH == 0  # whole batches only
    with engine.begin() as conn:  # the keyword index matches the papers (raises if not)
        conn.exec_driver_sql(
            "INSERT INTO papers_fts(papers_fts, rank) VALUES ('integrity-check', 1)")

    rerun(sqlite_url, path)
    assert_complete(engine, expected)
    engine.dispose()


def hostile_lines() -> list[bytes]:
    """Snapshot lines with NUL bytes, lone surrogates, right-to-left marks, a 1 MB
    abstract and control characters in fields that are not folded."""

    def line(arxiv_id: str, **fields: object) -> bytes:
        obj = {"id": arxiv_id, "title": f"Paper {arxiv_id}", "abstract": "Plain.",
               "authors_parsed": [["Doe", "Jane", ""]], "categories": "cs.LG",
               "versions": [{"version": "v1", "created": "Mon, 1 Jan 2024 00:00:00 GMT"}],
               **fields}
        return orjson.dumps(obj)

    words = " ".join(f"w{i % 5000}" for i in range(200_000))  # ~1.2 MB, 5,000 distinct
    return [
        line("2401.00001", title="NUL\u0000in the title", abstract="a\u0000b \u0000c"),
        line("2401.00002", doi="10.1/\u0000x", license="http://x/\u0000",
             comments="\u0000 4 pages", **{"journal-ref": "J.\u0000 1"}),
        line("2401.00003", authors_parsed=[["Do\u0000e", "Ja\u0000ne", ""]]),
        # A lone surrogate, escaped in JSON as it would be in a file: not valid text.
        line("2401.00004").replace(b'"Plain."', b'"lone \\ud800 surrogate"'),
        line("2401.00005").replace(b'"Plain."', b'"\\udc00 low first"'),
        line("2401.00006", title="\u200fمرحبا\u200e \u202eright-to-left\u202c mark",
             abstract="\u2067נייר\u2069 with \u200f marks"),
        line("2401.00007", abstract=words),
        line("2401.00008", abstract="tab\there\nnewline \\ backslash \\N \\. \x7f del"),
    ]


def stored(engine: Engine) -> list[tuple[object, ...]]:
    """What both databases hold of the papers, comparable across them."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT arxiv_id, version, title, abstract, authors, primary_category, categories, "
            "arxiv_comment, journal_ref, doi, license, published, updated, withdrawn, links "
            "FROM papers ORDER BY arxiv_id")).all()
        versions = conn.execute(text(
            "SELECT p.arxiv_id, v.version, v.submitted, v.size FROM paper_versions v "
            "JOIN papers p ON p.id = v.paper_id ORDER BY 1, 2")).all()
    out: list[tuple[object, ...]] = []
    for r in rows:
        values = [orjson.loads(v) if isinstance(v, str) and i in (4, 6, 14) else v
                  for i, v in enumerate(r)]
        values[11:13] = [str(d) if d is not None else None for d in values[11:13]]
        out.append(tuple(values))
    return out + [
        (a, v, datetime.fromisoformat(when) if isinstance(when, str) else when, size)
        for a, v, when, size in versions
    ]


def test_hostile_text_is_stored_or_rejected_identically_on_both_databases(
    sqlite_url: str, pg_url: str, tmp_path: Path
) -> None:
    src = tmp_path / "hostile.jsonl"
    src.write_bytes(b"\n".join(hostile_lines()) + b"\n")
    results = {}
    for url in (sqlite_url, pg_url):
        engine = migrated(url)
        proc = start_import(url, src)
        _out, err = proc.communicate(timeout=300)
        # Exit 3: some records rejected, the rest imported.
        assert proc.returncode == 3, err.decode()
        results[url] = (stored(engine), err.decode())
        if url == pg_url:  # every stored paper is findable: its search vector was written
            assert count(engine, "SELECT count(*) FROM papers WHERE search_vector IS NULL") == 0
            with engine.connect() as conn:
                found = conn.execute(text(
                    "SELECT arxiv_id FROM papers WHERE search_vector @@ 'w4999'::tsquery")).all()
            assert [f[0] for f in found] == ["2401.00007"]
        engine.dispose()
    (lite, lite_err), (pg, pg_err) = results[sqlite_url], results[pg_url]
    assert lite == pg
    assert lite_err == pg_err
    # The two lone surrogates are rejected, each with a one-line reason; the rest stored.
    assert lite_err.count("bad JSON") == 2 and "Traceback" not in lite_err
    papers = {r[0]: r for r in lite if len(r) == 15}
    assert sorted(papers) == [f"2401.0000{i}" for i in (1, 2, 3, 6, 7, 8)]
    assert papers["2401.00001"][2:4] == ("NULin the title", "ab c")
    assert papers["2401.00002"][7:11] == ("4 pages", "J. 1", "10.1/x", "http://x/")
    assert papers["2401.00003"][4] == ["Jane Doe"]
    assert "\u200f" in str(papers["2401.00006"][2]) and "\u202e" in str(papers["2401.00006"][2])
    assert len(str(papers["2401.00007"][3])) > 1_000_000
    assert papers["2401.00008"][3] == "tab here newline \\ backslash \\N \\. del"
