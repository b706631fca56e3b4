"""`paperfeed serve --workers 4` on PostgreSQL while `paperfeed harvest` (from a local
replay of arXiv's OAI-PMH answers) and `paperfeed index` write: every page, search and
paper request answers 200, and afterwards every harvested paper is stored once and can
be found by a keyword search."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import Engine, func, select

from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine, session_factory, write_session
from paperfeed.storage.models import DailyEntry, Paper
from tests.sources.harvest_pages import TOKEN, oai_page1, oai_page2
from tests.sources.replay import Reply, Request, serve

SEEDED = [f"2411.0{n:04d}" for n in range(1, 6)]
QUERIES = ["graph", "learning", "quantum field", '"neural network"']
HARVEST = ["harvest", "oai", "--set", "cs", "--from", "2024-01-25",
           "--metadata-prefix", "oai_dc", "--quiet"]


def _seed(engine: Engine) -> None:
    with write_session(engine) as session:
        for n, arxiv_id in enumerate(SEEDED):
            paper = Paper(arxiv_id=arxiv_id, version=1, title=f"Graph learning study {n}",
                          abstract="Neural network methods for quantum field graphs.",
                          authors=["A. Author"], primary_category="cs.LG",
                          categories=["cs.LG"], published=date(2024, 11, 1))
            session.add(paper)
            session.flush()
            session.add(DailyEntry(day=date(2024, 11, 1), paper_id=paper.id, source="manual"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(url: str, data_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("PAPERFEED_")}
    env.update(PAPERFEED_DATABASE_URL=url, PAPERFEED_SECRET_KEY="x" * 32,
               PAPERFEED_DATA_DIR=str(data_dir), PAPERFEED_REQUEST_INTERVAL="0.01",
               HF_HUB_OFFLINE="1")
    return env


def _cli(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "paperfeed", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@contextmanager
def _server(env: dict[str, str]) -> Iterator[str]:
    """`paperfeed serve --workers 4` on a free loopback port; yields its URL once it answers."""
    port = _free_port()
    proc = _cli("serve", "--workers", "4", "--host", "127.0.0.1", "--port", str(port),
                "--page-cache", "0", env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # a hang guard, not a speed test
        while True:
            assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
            assert time.monotonic() < deadline, "serve did not start"
            try:
                if httpx.get(base + "/", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def _oai(req: Request) -> Reply:
    if req.params.get("resumptionToken") == TOKEN:
        return Reply(body=oai_page2())
    return Reply(body=oai_page1())


def _words(title: str) -> str:
    return " ".join(re.findall(r"[A-Za-z]{4,}", title)[:6])


def test_pages_keep_answering_while_harvest_and_index_write(
    pg_url: str, tmp_path: Path
) -> None:
    engine = make_engine(pg_url)
    migrate.upgrade(engine)
    _seed(engine)
    env = _environment(pg_url, tmp_path / "data")
    statuses: Counter[tuple[str, int]] = Counter()
    with serve(_oai) as arxiv, _server(env) as base, httpx.Client(base_url=base,
                                                                  timeout=60) as client:
        writers = [_cli(*HARVEST, "--base-url", arxiv.url, env=env),
                   _cli("index", "--quiet", env=env)]
        paths = ["/", *(f"/api/search?q={q}" for q in QUERIES),
                 *(f"/papers/{arxiv_id}" for arxiv_id in SEEDED)]
        n = 0
        while any(w.poll() is None for w in writers) or n < len(paths):
            path = paths[n % len(paths)]
            statuses[(path, client.get(path).status_code)] += 1
            n += 1
        outputs = [w.communicate() for w in writers]
        for writer, (_out, err) in zip(writers, outputs, strict=True):
            assert writer.returncode == 0, err.decode()[-2000:]
        assert {status for _path, status in statuses} == {200}, statuses
        assert {path for path, _status in statuses} == set(paths)

        # Every harvested paper: stored once, and found by a keyword search.
        with session_factory(engine)() as session:
            ids = list(session.scalars(select(Paper.arxiv_id)))
            titles = {arxiv_id: title for arxiv_id, title
                      in session.execute(select(Paper.arxiv_id, Paper.title))}
            assert session.scalar(select(func.count(func.distinct(Paper.arxiv_id)))) == len(ids)
        harvested = sorted(set(ids) - set(SEEDED))
        assert len(harvested) == 15 and len(ids) == 15 + len(SEEDED)
        for arxiv_id in harvested:
            found = client.get("/api/search", params={
                "q": _words(titles[arxiv_id]), "mode": "keyword", "limit": 50})
            assert found.status_code == 200
            assert arxiv_id in [r["id"] for r in found.json()["results"]], arxiv_id
    engine.dispose()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback requests go straight to the servers."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
