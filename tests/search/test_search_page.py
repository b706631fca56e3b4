"""The /search page on both databases: results with highlights and badges, filters, sort,
pagination, messages, id redirects, and hostile input shown inert."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import html as lxml_html
from sqlalchemy import Engine

from paperfeed.config import Settings
from paperfeed.web.app import create_app
from tests.search.kw_corpus import add_corpus


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    add_corpus(engine)
    settings = Settings(
        database_url=engine.url.render_as_string(False), data_dir=tmp_path / "d", demo=True
    )
    with TestClient(create_app(settings, engine), follow_redirects=False) as c:
        yield c


def _results(page: str) -> list[str]:
    doc = lxml_html.fromstring(page)
    return [a.get("href") for a in doc.xpath("//article[contains(@class,'search-result')]//h3/a")]


def test_results_with_highlights_and_badges(client: TestClient) -> None:
    r = client.get("/search", params={"q": "sparse", "mode": "keyword"})
    assert r.status_code == 200
    assert _results(r.text)[0] == "/papers/2401.00001"
    doc = lxml_html.fromstring(r.text)
    assert doc.xpath("//article[contains(@class,'search-result')]//mark")
    spans = doc.xpath("//span[contains(@class,'search-badge')]")
    badges = [b.text_content().strip() for b in spans]
    assert badges == ["keyword"] * 3
    assert "3 results" in r.text
    # The query stays in the boxes.
    assert doc.get_element_by_id("search-q").get("value") == "sparse"


def test_hybrid_fallback_is_explained(client: TestClient) -> None:
    r = client.get("/search", params={"q": "sparse"})
    assert "Semantic search is unavailable" in r.text
    assert _results(r.text)[0] == "/papers/2401.00001"


def test_filters_and_sort(client: TestClient) -> None:
    r = client.get("/search", params={"q": "sparse", "cat": "cs.CV", "mode": "keyword"})
    assert _results(r.text) == ["/papers/2404.00007"]
    r = client.get("/search", params={"q": "sparse", "from": "2024", "to": "2024",
                                      "sort": "date", "mode": "keyword"})
    assert _results(r.text) == ["/papers/2404.00007", "/papers/2401.00002", "/papers/2401.00001"]
    r = client.get("/search", params={"cat": "quant-ph"})
    assert _results(r.text) == ["/papers/2205.00004"]
    r = client.get("/search", params={"q": "sparse", "to": "2023", "mode": "keyword"})
    assert "No papers match" in r.text


def test_bad_filters_are_explained_not_fatal(client: TestClient) -> None:
    r = client.get("/search", params={"q": "sparse", "cat": "not a cat!", "from": "20x",
                                      "mode": "bogus", "sort": "bogus", "page": "abc"})
    assert r.status_code == 200
    assert "is not an arXiv category" in r.text
    assert "Years must be four digits" in r.text
    assert "Unknown mode" in r.text
    assert len(_results(r.text)) == 3


def test_pagination(client: TestClient) -> None:
    from paperfeed.web import search as page_module

    old = page_module.PAGE_SIZE
    page_module.PAGE_SIZE = 2
    try:
        r1 = client.get("/search", params={"q": "cat:cs", "mode": "keyword"})
        doc = lxml_html.fromstring(r1.text)
        (nxt,) = doc.xpath("//a[@rel='next']")
        assert not doc.xpath("//a[@rel='prev']")
        r2 = client.get(nxt.get("href"))
        assert set(_results(r1.text)).isdisjoint(_results(r2.text))
        assert lxml_html.fromstring(r2.text).xpath("//a[@rel='prev']")
    finally:
        page_module.PAGE_SIZE = old


@pytest.mark.parametrize(
    ("q", "target"),
    [
        ("2401.00001", "/papers/2401.00001"),
        ("https://arxiv.org/pdf/2401.00001v1", "/papers/2401.00001"),
        ("hep-th/9901001v2", "/papers/hep-th/9901001"),
    ],
)
def test_pasted_id_redirects(client: TestClient, q: str, target: str) -> None:
    r = client.get("/search", params={"q": q})
    assert r.status_code == 303 and r.headers["location"] == target


def test_unknown_id_is_a_message(client: TestClient) -> None:
    r = client.get("/search", params={"q": "2501.99999"})
    assert r.status_code == 200 and "No paper with arXiv id 2501.99999" in r.text


@pytest.mark.parametrize(
    ("q", "message"),
    [("the of and", "Only common words"), ("-survey", "Add a word"), ("AND OR", "Only common")],
)
def test_empty_searches_say_why(client: TestClient, q: str, message: str) -> None:
    r = client.get("/search", params={"q": q})
    assert r.status_code == 200 and message in r.text


def test_no_query_shows_help(client: TestClient) -> None:
    r = client.get("/search")
    assert r.status_code == 200 and "Examples" in r.text


def test_hostile_input_is_inert(client: TestClient) -> None:
    evil = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    r = client.get("/search", params={"q": evil, "cat": evil})
    assert r.status_code == 200
    doc = lxml_html.fromstring(r.text)
    # only the site's own scripts (static/), none from the query
    assert not doc.xpath("//script[not(starts-with(@src, '/static/'))]")
    assert not doc.xpath("//img")
    for el in doc.iter():
        assert not any(a.startswith("on") for a in el.attrib), el.tag
    # Stored markup in abstracts is shown as text.
    r = client.get("/search", params={"q": "probing", "mode": "keyword"})
    assert "<script>alert" not in r.text
    assert not lxml_html.fromstring(r.text).xpath("//script[not(starts-with(@src, '/static/'))]")
    assert "alert(1)" in r.text
