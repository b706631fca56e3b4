"""Feed readers poll: a feed answers a matching If-None-Match or If-Modified-Since with
304 and no body, and a changed feed with the new document and new validators; the page
cache of `serve` answers from its copy the same way."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from paperfeed.storage.engine import write_session
from paperfeed.storage.models import Paper
from paperfeed.web.app import create_app
from tests.feeds.conftest import BASE_URL, CONTROL_ID, HARD_DAY, parsed, shown
from tests.web.conftest import make_settings

FEEDS = ["/feeds/daily.atom", "/feeds/trending.rss", "/feeds/category/cs.LG.atom",
         "/feeds/search.rss?q=diffusion", f"/feeds/daily.rss?date={HARD_DAY}"]


@pytest.mark.parametrize("path", FEEDS)
def test_a_current_copy_gets_304(reader: TestClient, path: str) -> None:
    first = reader.get(path)
    parsed(first)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"') and first.headers["cache-control"].startswith("public")
    for asked in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = reader.get(path, headers={"If-None-Match": asked})
        assert again.status_code == 304, asked
        assert again.content == b""
        assert again.headers["etag"] == etag
    assert reader.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    later = format_datetime(parsedate_to_datetime(modified) + timedelta(days=1), usegmt=True)
    assert reader.get(path, headers={"If-Modified-Since": later}).status_code == 304


@pytest.mark.parametrize("path", FEEDS)
def test_an_old_copy_gets_the_feed(reader: TestClient, path: str) -> None:
    first = reader.get(path)
    earlier = format_datetime(
        parsedate_to_datetime(first.headers["last-modified"]) - timedelta(seconds=1),
        usegmt=True)
    for headers in ({"If-None-Match": '"stale"'}, {"If-Modified-Since": earlier},
                    {"If-Modified-Since": "not a date"},
                    # If-None-Match decides when both are sent.
                    {"If-None-Match": '"stale"',
                     "If-Modified-Since": first.headers["last-modified"]}):
        again = reader.get(path, headers=headers)
        assert again.status_code == 200, headers
        assert again.content == first.content


def test_the_same_feed_keeps_its_validators(reader: TestClient) -> None:
    one, two = reader.get("/feeds/trending.atom"), reader.get("/feeds/trending.atom")
    assert one.content == two.content
    assert one.headers["etag"] == two.headers["etag"]
    head = reader.head("/feeds/trending.atom")
    assert head.status_code == 200 and head.headers["etag"] == one.headers["etag"]


def test_a_changed_feed_has_new_validators(reader: TestClient, feeds_engine: Engine) -> None:
    path = f"/feeds/daily.atom?date={HARD_DAY}"
    before = reader.get(path)
    with write_session(feeds_engine) as session:
        session.execute(update(Paper).where(Paper.arxiv_id == CONTROL_ID)
                        .values(title="A corrected title"))
    after = reader.get(path, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    result = parsed(after)
    titles = [shown(e.title_detail) for e in result.entries]
    assert "A corrected title" in titles
    assert (parsedate_to_datetime(after.headers["last-modified"])
            >= parsedate_to_datetime(before.headers["last-modified"]))


def test_the_page_cache_answers_with_304_too(feeds_engine: Engine, tmp_path: Path) -> None:
    settings = make_settings(feeds_engine, tmp_path, base_url=BASE_URL)
    app = create_app(settings, feeds_engine, page_cache_seconds=3600)
    with TestClient(app) as client:
        first = client.get("/feeds/trending.atom")
        parsed(first)
        cached = client.get("/feeds/trending.atom",
                            headers={"If-None-Match": first.headers["etag"]})
        assert cached.status_code == 304
        assert client.get("/feeds/trending.atom").content == first.content
