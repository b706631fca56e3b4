"""Pages that have a feed say so in their <head> (an Atom and an RSS alternate link, as
feed readers look for) and in a visible link; each of those feeds parses and is the
page's own."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.feeds.conftest import BASE_URL, HARD_DAY, parsed
from tests.web.conftest import page

FEED_LINKS = ('/html/head/link[@rel="alternate"][@type="application/atom+xml"'
              ' or @type="application/rss+xml"]')

PAGES = {
    "/": f"/date/{HARD_DAY}",
    "/date/2024-11-29": "/date/2024-11-29",
    "/trending": "/trending",
    "/search?q=diffusion": "/search?q=diffusion&sort=date",
    "/search?q=diffusion&cat=cs.LG": "/search?q=diffusion+cat%3Acs.LG&sort=date",
}


@pytest.mark.parametrize("path", PAGES)
def test_pages_link_their_feeds(reader: TestClient, path: str) -> None:
    doc = page(reader.get(path))
    links = doc.xpath(FEED_LINKS)
    assert sorted(link.get("type") for link in links) == [
        "application/atom+xml", "application/rss+xml"]
    for link in links:
        assert link.get("title")
        result = parsed(reader.get(link.get("href")))
        assert result.version == ("atom10" if "atom" in link.get("type") else "rss20")
        assert result.feed.link == BASE_URL + PAGES[path]
    visible = doc.xpath('//main//a[@class="feed-link"]/@href')
    assert visible and parsed(reader.get(visible[0])).entries


@pytest.mark.parametrize("path", ["/week/2024-W48", "/papers/2411.99001", "/search"])
def test_pages_without_a_feed_link_to_none(reader: TestClient, path: str) -> None:
    assert page(reader.get(path)).xpath(FEED_LINKS) == []


def test_the_home_page_feed_follows_the_latest_list(reader: TestClient) -> None:
    doc = page(reader.get("/"))
    hrefs = doc.xpath(FEED_LINKS + "/@href")
    assert sorted(hrefs) == ["/feeds/daily.atom", "/feeds/daily.rss"]
