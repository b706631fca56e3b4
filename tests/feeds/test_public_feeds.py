"""The public feeds as a feed reader sees them: every one parses without errors in
Atom and in RSS, holds the papers of its page in order, and shows hostile or tricky text
(markup, ``]]>``, control characters, TeX) as the text it is."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.feeds.conftest import (
    BASE_URL,
    CDATA_ID,
    CONTROL_ID,
    HARD_DAY,
    SHOWN,
    TEX_ID,
    entry,
    ids_of,
    parsed,
    shown,
)
from tests.web.conftest import MATH_TITLE, OLD_ID, SCRIPT_TITLE, page

FORMATS = ("atom", "rss")
MEDIA = {"atom": "application/atom+xml", "rss": "application/rss+xml"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_daily_feed_shows_hard_text_as_text(reader: TestClient, fmt: str) -> None:
    response = reader.get(f"/feeds/daily.{fmt}")
    assert response.headers["content-type"] == f"{MEDIA[fmt]}; charset=utf-8"
    result = parsed(response)
    assert result.version == ("atom10" if fmt == "atom" else "rss20")
    # The latest list: the hard papers' day, most upvoted first.
    assert ids_of(result) == [TEX_ID, CDATA_ID, CONTROL_ID]
    assert shown(result.feed.title_detail) == f"paperfeed: daily papers of {HARD_DAY}"
    assert result.feed.link == f"{BASE_URL}/date/{HARD_DAY}"
    for arxiv_id, (title, abstract) in SHOWN.items():
        item = entry(result, arxiv_id)
        assert shown(item.title_detail) == title
        assert shown(item.summary_detail) == abstract
        assert item.id == f"{BASE_URL}/papers/{arxiv_id}"
    item = entry(result, CDATA_ID)
    assert [a.name for a in item.authors] == ["Ann <Smith> & Co"]
    assert [t.term for t in item.tags] == ["cs.LG"]
    assert entry(result, TEX_ID).authors[0].name == "Paul Erdős"
    assert entry(result, CONTROL_ID).authors[0].name == "Bob Builder"


def test_atom_entries_link_to_arxiv_and_carry_dates(reader: TestClient) -> None:
    item = entry(parsed(reader.get("/feeds/daily.atom")), CONTROL_ID)
    hrefs = {link.href: link.get("type") for link in item.links}
    assert hrefs[f"https://arxiv.org/abs/{CONTROL_ID}"] == "text/html"
    assert hrefs[f"https://arxiv.org/pdf/{CONTROL_ID}"] == "application/pdf"
    assert item.published.startswith("2024-11-29")
    assert item.updated.startswith("2024-11-30")


@pytest.mark.parametrize("fmt", FORMATS)
def test_daily_feed_of_a_day_holds_the_hostile_papers(reader: TestClient, fmt: str) -> None:
    result = parsed(reader.get(f"/feeds/daily.{fmt}?date=2024-11-29"))
    listed = page(reader.get("/date/2024-11-29")).xpath('//ol[@class="papers"]//h3/a/@href')
    assert ids_of(result) == [href.removeprefix("/papers/") for href in listed]
    assert sorted(ids_of(result)) == ["2411.99001", "2411.99002", OLD_ID]
    assert shown(entry(result, "2411.99001").title_detail) == SCRIPT_TITLE
    assert shown(entry(result, "2411.99002").title_detail) == MATH_TITLE
    assert shown(entry(result, "2411.99001").summary_detail) == (
        'Abstract with <img src=x onerror="alert(2)"> and &amp; entities.')
    assert "<script" not in reader.get(f"/feeds/daily.{fmt}?date=2024-11-29").text


def test_daily_feed_of_a_day_without_papers_or_a_bad_date_is_not_found(
    reader: TestClient,
) -> None:
    assert reader.get("/feeds/daily.atom?date=2020-01-01").status_code == 404
    assert reader.get("/feeds/daily.atom?date=yesterday").status_code == 404
    assert reader.get("/feeds/daily.json").status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_trending_feed_follows_the_trending_page(reader: TestClient, fmt: str) -> None:
    listed = page(reader.get("/trending")).xpath('//ol[@class="papers"]//h3/a/@href')
    on_page = [href.removeprefix("/papers/") for href in listed]
    result = parsed(reader.get(f"/feeds/trending.{fmt}"))
    assert on_page and ids_of(result) == on_page[: len(result.entries)]
    assert len(result.entries) == min(50, len(on_page))
    assert result.feed.link == f"{BASE_URL}/trending"


@pytest.mark.parametrize("fmt", FORMATS)
def test_category_feed_holds_the_newest_papers_of_the_category(
    reader: TestClient, fmt: str,
) -> None:
    result = parsed(reader.get(f"/feeds/category/cs.LG.{fmt}"))
    assert ids_of(result)[:2] == [CDATA_ID, CONTROL_ID]  # published 30 Nov, then 29 Nov
    assert all("cs.LG" in [t.term for t in e.tags] for e in result.entries)
    assert 0 < len(result.entries) <= 50
    stat = ids_of(parsed(reader.get(f"/feeds/category/stat.ML.{fmt}")))
    assert CONTROL_ID in stat and CDATA_ID not in stat


def test_an_archive_feed_holds_all_its_categories(reader: TestClient) -> None:
    result = parsed(reader.get("/feeds/category/math.atom"))
    ids = ids_of(result)
    assert TEX_ID in ids and "2411.99002" in ids  # math.CO and math.ST
    assert all(any(t.term.startswith("math") for t in e.tags) for e in result.entries)
    lower = parsed(reader.get("/feeds/category/cs.lg.atom"))
    assert ids_of(lower) == ids_of(parsed(reader.get("/feeds/category/cs.LG.atom")))


@pytest.mark.parametrize("name", ["nonsense", "cs.LG.x", "a" * 60, "%3Cscript%3E", "14C20"])
def test_unknown_categories_are_not_found(reader: TestClient, name: str) -> None:
    assert reader.get(f"/feeds/category/{name}.atom").status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_search_feed_lists_matches_newest_first(reader: TestClient, fmt: str) -> None:
    result = parsed(reader.get(f"/feeds/search.{fmt}", params={"q": "early bold claims"}))
    assert ids_of(result) == [CDATA_ID]
    both = parsed(reader.get(f"/feeds/search.{fmt}", params={"q": "cat:cs.LG"}))
    assert ids_of(both)[:2] == [CDATA_ID, CONTROL_ID]
    assert both.feed.link == f"{BASE_URL}/search?q=cat%3Acs.LG&sort=date"
    nothing = parsed(reader.get(f"/feeds/search.{fmt}", params={"q": "zzzqqqxxy"}))
    assert nothing.entries == []


def test_search_feed_title_shows_the_query_as_text(reader: TestClient) -> None:
    query = '<b>"bold" & ]]> \x01'
    for fmt in FORMATS:
        result = parsed(reader.get(f"/feeds/search.{fmt}", params={"q": query}))
        assert shown(result.feed.title_detail) == 'paperfeed: search “<b>"bold" & ]]>”'


def test_search_feed_needs_a_query(reader: TestClient) -> None:
    assert reader.get("/feeds/search.atom").status_code == 422
    assert reader.get("/feeds/search.atom?q=").status_code == 422


def test_feed_ids_and_links_are_absolute_and_escaped(reader: TestClient) -> None:
    result = parsed(reader.get("/feeds/daily.atom?date=2024-11-29"))
    old = entry(result, OLD_ID)
    assert old.link == f"{BASE_URL}/papers/{quote(OLD_ID, safe='/')}"
    self_links = [link.href for link in result.feed.links if link.rel == "self"]
    assert self_links == [f"{BASE_URL}/feeds/daily.atom?date=2024-11-29"]
