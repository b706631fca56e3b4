"""A pasted link never becomes a request: only the arXiv id is read from it, and only the
configured arXiv API is asked. Each way in (the Submit form, /api/v1/submissions,
`paperfeed feature`; the form's own test is in tests/web/test_submit.py) gets a link to
a recording server on loopback; that server must receive nothing. On SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from paperfeed.cli import app as cli_app
from tests.api.test_tokens_and_writes import bearer, browser, make_token
from tests.community.arxiv_replay import FakeArxiv, fake_arxiv, ok
from tests.sources.replay import ReplayServer, serve
from tests.web.sessions import Site, make_site

PAPER = "1605.08386"  # what the fake arXiv API answers with


@pytest.fixture
def arxiv() -> Iterator[FakeArxiv]:
    with fake_arxiv() as fake:
        yield fake


@pytest.fixture
def recorder() -> Iterator[ReplayServer]:
    """A server that would answer anything: it must never be asked."""
    with serve(lambda _req: ok(b"<feed/>")) as server:
        yield server


@pytest.fixture
def site(engine: Engine, tmp_path: Path, arxiv: FakeArxiv) -> Site:
    return make_site(engine, tmp_path, arxiv_api_url=arxiv.url, request_interval=0.0,
                     rate_limits={"signup": "100/1h"})


def test_the_api_refuses_a_link_to_another_host_and_fetches_nothing(
    site: Site, arxiv: FakeArxiv, recorder: ReplayServer
) -> None:
    value = make_token(browser(site))
    link = f"{recorder.url.replace('http:', 'https:')}/abs/{PAPER}"
    response = site.client().post("/api/v1/submissions", json={"id": link},
                                  headers=bearer(value))
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert "127.0.0.1 is not arXiv" in message and f"arXiv:{PAPER}" in message
    assert "Nothing was fetched from that address" in message
    assert recorder.requests == [] and arxiv.requests == []


def test_an_arxiv_link_asks_only_the_configured_api_for_its_id(
    site: Site, arxiv: FakeArxiv
) -> None:
    value = make_token(browser(site))
    response = site.client().post("/api/v1/submissions",
                                  json={"id": f"https://arxiv.org/pdf/{PAPER}v1.pdf"},
                                  headers=bearer(value))
    assert response.status_code == 201, response.text
    assert response.json()["fetched"] is True
    [asked] = arxiv.requests
    assert asked.path == "/api/query"
    assert asked.params["id_list"] == PAPER
    assert asked.headers["host"] == arxiv.url.split("/")[2]  # not arxiv.org


def test_the_cli_reads_ids_from_links_and_fetches_nothing(
    engine: Engine, db_url: str, recorder: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", db_url)
    link = f"{recorder.url}/abs/{PAPER}"
    result = CliRunner().invoke(cli_app, ["feature", "2024-01-02", link])
    assert result.exit_code == 1
    assert result.stderr == f"error: not in the database: {link}\n"
    assert recorder.requests == []
