"""The anonymous-page micro-cache `serve` uses: reused briefly, never for personal requests."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from paperfeed.storage.engine import write_session
from paperfeed.storage.models import Paper
from paperfeed.web.app import create_app
from tests.web.conftest import SCRIPT_TITLE, add_hostile_papers, make_settings, page

TTL = 0.5


def rename(engine: Engine, title: str) -> None:
    with write_session(engine) as session:
        session.execute(update(Paper).where(Paper.arxiv_id == "2411.99001").values(title=title))


def first_title(client: TestClient, **kwargs: object) -> str:
    doc = page(client.get("/", **kwargs))  # type: ignore[arg-type]
    return " ".join(doc.xpath("//article[@class='card']//h3/a")[0].text_content().split())


def test_anonymous_views_are_reused_for_a_moment(engine: Engine, tmp_path: Path) -> None:
    add_hostile_papers(engine)
    app = create_app(make_settings(engine, tmp_path), engine, page_cache_seconds=TTL)
    with TestClient(app) as client:
        assert first_title(client) == SCRIPT_TITLE
        rename(engine, "Renamed paper")
        started = time.monotonic()
        cached = client.get("/")
        if time.monotonic() - started < TTL:
            assert SCRIPT_TITLE in page(cached).text_content()
        # the copy keeps its security headers
        assert cached.headers["x-content-type-options"] == "nosniff"
        # a request with a cookie (a signed-in reader) is never served from the cache
        client.cookies.set("session", "abc")
        assert first_title(client) == "Renamed paper"
        client.cookies.clear()
        time.sleep(TTL + 0.1)
        assert first_title(client) == "Renamed paper"


def test_errors_and_other_paths_are_not_cached(engine: Engine, tmp_path: Path) -> None:
    add_hostile_papers(engine)
    app = create_app(make_settings(engine, tmp_path), engine, page_cache_seconds=60)
    with TestClient(app) as client:
        assert client.get("/papers/2411.99009").status_code == 404
        with write_session(engine) as session:
            session.add(Paper(arxiv_id="2411.99009", title="Arrived later", authors=["A"],
                              categories=["cs.LG"], primary_category="cs.LG"))
        assert client.get("/papers/2411.99009").status_code == 200


def test_create_app_does_not_cache_by_default(engine: Engine, tmp_path: Path) -> None:
    add_hostile_papers(engine)
    with TestClient(create_app(make_settings(engine, tmp_path), engine)) as client:
        assert first_title(client) == SCRIPT_TITLE
        rename(engine, "Renamed at once")
        assert first_title(client) == "Renamed at once"
