"""arXiv counts every request from one installation together: clients in threads and
separate `paperfeed harvest` processes share one spacing and one connection at a time
(RELIABILITY row 5)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from sqlalchemy import Engine, func, select

from paperfeed.sources import arxiv_atom
from paperfeed.sources.http import PoliteClient
from paperfeed.storage.models import Paper
from tests.conftest import FIXTURES
from tests.sources.harvest_pages import atom_page
from tests.sources.replay import Reply, Request, serve

PAGE = (FIXTURES / "arxiv_api_2026_search_testing_start0_max10.xml").read_bytes()


def test_clients_in_threads_share_the_spacing() -> None:
    interval = 0.1
    with serve(lambda req: Reply(body=PAGE)) as server:

        def work() -> None:
            with PoliteClient("t", interval, hosts=["127.0.0.1"]) as c:
                for _ in range(3):
                    c.fetch(server.url, arxiv_atom.parse)

        threads = [threading.Thread(target=work) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(server.requests) == 9
    assert min(server.gaps()) >= interval
    assert server.max_concurrent == 1


@pytest.mark.slow
def test_concurrent_harvest_processes_share_the_spacing(engine: Engine, db_url: str) -> None:
    interval = 0.2

    def respond(req: Request) -> Reply:
        start, size = int(req.params["start"]), int(req.params["max_results"])
        offset = 0 if req.params["search_query"] == "cat:cs.LG" else 50
        return Reply(body=atom_page(offset + start, size))

    with serve(respond) as server:
        env = {
            **os.environ,
            "PAPERFEED_DATABASE_URL": db_url,
            "PAPERFEED_REQUEST_INTERVAL": str(interval),
        }
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "paperfeed",
                    "harvest",
                    "arxiv-api",
                    "--category",
                    cat,
                    "--max",
                    "40",
                    "--page-size",
                    "10",
                    "--base-url",
                    server.url,
                    "--quiet",
                ],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for cat in ("cs.LG", "stat.ML")
        ]
        outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    queries = [r.params["search_query"] for r in server.requests]
    assert sorted(queries) == ["cat:cs.LG"] * 4 + ["cat:stat.ML"] * 4
    assert min(server.gaps()) >= interval
    assert server.max_concurrent == 1
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Paper)) == 80
