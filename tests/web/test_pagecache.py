"""The anonymous-page micro-cache `serve` uses: reused briefly, never for personal requests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from paperfeed.storage.engine import write_session
from paperfeed.storage.models import Paper
from paperfeed.web.app import create_app
from paperfeed.web.pagecache import PageCacheMiddleware
from tests.web.conftest import SCRIPT_TITLE, add_hostile_papers, make_settings, page

TTL = 30.0


class Clock:
    """A clock the test moves by hand (the cache's `clock` seam): nothing depends on how
    fast the machine is."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def rename(engine: Engine, title: str) -> None:
    with write_session(engine) as session:
        session.execute(update(Paper).where(Paper.arxiv_id == "2411.99001").values(title=title))


def first_title(client: TestClient, **kwargs: object) -> str:
    doc = page(client.get("/", **kwargs))  # type: ignore[arg-type]
    return " ".join(doc.xpath("//article[@class='card']//h3/a")[0].text_content().split())


def page_cache(app: FastAPI) -> PageCacheMiddleware:
    """The cache `create_app` put in the app's middleware stack (built on startup)."""
    node: Any = app.middleware_stack
    while not isinstance(node, PageCacheMiddleware):
        node = node.app
    return node


def test_anonymous_views_are_reused_for_a_moment(engine: Engine, tmp_path: Path) -> None:
    add_hostile_papers(engine)
    app = create_app(make_settings(engine, tmp_path), engine, page_cache_seconds=TTL)
    clock = Clock()
    with TestClient(app) as client:
        cache = page_cache(app)
        assert cache.seconds == TTL
        cache.clock = clock
        app.state.shells.seconds = 0  # list shells (kept as long) are tested in test_shells
        assert first_title(client) == SCRIPT_TITLE
        rename(engine, "Renamed paper")
        clock.now += TTL - 0.001  # the last moment the copy is fresh
        cached = client.get("/")
        assert " ".join(page(cached).xpath("//article[@class='card']//h3/a")[0]
                        .text_content().split()) == SCRIPT_TITLE
        assert client.head("/").headers == cached.headers  # HEAD is served the same copy
        # the copy keeps its security headers
        assert cached.headers["x-content-type-options"] == "nosniff"
        # a request with a cookie (a signed-in reader) is never served from the cache
        client.cookies.set("session", "abc")
        assert first_title(client) == "Renamed paper"
        client.cookies.clear()
        assert first_title(client) == SCRIPT_TITLE  # ... nor does it replace the copy
        # another query string is another page
        assert first_title(client, params={"x": "1"}) == "Renamed paper"
        clock.now += 0.001  # expired: the next view renders afresh and is kept again
        assert first_title(client) == "Renamed paper"
        rename(engine, "Renamed twice")
        clock.now += TTL - 0.001
        assert first_title(client) == "Renamed paper"
        clock.now += 0.001
        assert first_title(client) == "Renamed twice"


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
