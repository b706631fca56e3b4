"""Exports on the demo site (sqlite and postgresql): /export/{format} and its API twin
for each selector, hostile papers that parse back, errors, and the Cite and Export menus
on the pages with links that work."""

from __future__ import annotations

import json

import bibtexparser
import pytest
import rispy
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from paperfeed.storage.engine import write_session
from paperfeed.storage.models import User
from tests.web.conftest import MATH_TITLE, OLD_ID, SCRIPT_TITLE, page

HOSTILE_DAY = "2024-11-29"
MEDIA = {
    "bibtex": "application/x-bibtex",
    "ris": "application/x-research-info-systems",
    "csl-json": "application/vnd.citationstyles.csl+json",
    "jsonl": "application/x-ndjson",
}


def ids_in(fmt: str, text: str) -> list[str]:
    """The arXiv ids of an export, in order, read back with the format's own reader."""
    if fmt == "bibtex":
        return [e["eprint"] for e in bibtexparser.loads(text).entries]
    if fmt == "ris":
        return [r["accession_number"].removeprefix("arXiv:") for r in rispy.loads(text)]
    if fmt == "csl-json":
        return [item["number"] for item in json.loads(text)]
    return [json.loads(line)["id"] for line in text.splitlines()]


@pytest.mark.parametrize("fmt", list(MEDIA))
def test_a_days_list_in_every_format(client: TestClient, fmt: str) -> None:
    response = client.get(f"/export/{fmt}", params={"date": HOSTILE_DAY})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(MEDIA[fmt])
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"paperfeed-{HOSTILE_DAY}." in disposition
    listed = page(client.get(f"/date/{HOSTILE_DAY}")).xpath(
        '//ol[@class="papers"]//article/@id')
    assert ids_in(fmt, response.text) == [i.removeprefix("paper-") for i in listed]


def test_hostile_papers_parse_back_with_their_titles(client: TestClient) -> None:
    bib = bibtexparser.loads(client.get("/export/bibtex", params={"date": HOSTILE_DAY}).text)
    titles = {e["eprint"]: e["title"] for e in bib.entries}
    assert titles["2411.99001"] == r"{<script>alert(1)</script> \& Co}"
    assert titles["2411.99002"] == "{" + MATH_TITLE + "}"
    items = json.loads(client.get("/export/csl-json", params={"date": HOSTILE_DAY}).text)
    assert {i["number"]: i["title"] for i in items}["2411.99001"] == SCRIPT_TITLE
    refs = rispy.loads(client.get("/export/ris", params={"ids": OLD_ID}).text)
    assert refs[0]["doi"] == "10.1000/xyz123"
    assert refs[0]["notes"] == ["Comment: 12 pages, 2 figures",
                                "Journal reference: J. Old 1 (1999)"]


def test_ids_in_order_with_unknown_ones_reported(client: TestClient) -> None:
    response = client.get("/export/jsonl",
                          params={"ids": f"{OLD_ID}, arXiv:2411.99002v1 2411.99999"})
    assert response.status_code == 200
    assert ids_in("jsonl", response.text) == [OLD_ID, "2411.99002"]
    assert response.headers["x-paperfeed-missing"] == "2411.99999"


def test_a_search(client: TestClient) -> None:
    response = client.get("/export/bibtex", params={"q": "divergences", "mode": "keyword"})
    assert response.status_code == 200, response.text
    assert ids_in("bibtex", response.text)[0] == "2411.99002"
    assert "paperfeed-search-divergences.bib" in response.headers["content-disposition"]


def test_public_upvotes_export_and_hidden_ones_do_not(
    client: TestClient, site_engine: Engine
) -> None:
    profile = page(client.get("/users/demo-ada"))
    shown = [i.removeprefix("upvoted-paper-").removeprefix("paper-")
             for i in profile.xpath('//section[@class="profile-upvoted"]//article/@id')]
    response = client.get("/export/csl-json", params={"user": "Demo-Ada"})
    assert response.status_code == 200, response.text
    assert ids_in("csl-json", response.text)[: len(shown)] == shown
    with write_session(site_engine) as session:
        session.execute(update(User).where(User.username == "demo-ada").values(
            show_upvotes=False))
    try:
        hidden = client.get("/export/csl-json", params={"user": "demo-ada"})
        assert hidden.status_code == 403
        assert "does not show their upvotes" in hidden.text
        api = client.get("/api/v1/export/csl-json", params={"user": "demo-ada"})
        assert api.status_code == 403
        assert api.json()["error"]["code"] == "forbidden"
    finally:
        with write_session(site_engine) as session:
            session.execute(update(User).where(User.username == "demo-ada").values(
                show_upvotes=True))


@pytest.mark.parametrize(("path", "params", "status", "message"), [
    ("/export/endnote", {"date": HOSTILE_DAY}, 404, "no export format"),
    ("/export/bibtex", {}, 400, "exactly one of"),
    ("/export/bibtex", {"date": HOSTILE_DAY, "ids": OLD_ID}, 400, "exactly one of"),
    ("/export/bibtex", {"date": "2024-13-01"}, 400, "is not a date"),
    ("/export/bibtex", {"ids": "<script>"}, 400, "not an arXiv id"),
    ("/export/bibtex", {"q": "  "}, 400, "search is empty"),
    ("/export/bibtex", {"date": "2020-01-01"}, 404, "no papers were listed"),
    ("/export/bibtex", {"user": "nobody-here"}, 404, "no such user"),
])
def test_errors_are_pages_and_api_json(
    client: TestClient, path: str, params: dict[str, str], status: int, message: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert message in response.text
    assert "<script>" not in response.text.replace('<script src="/static/', "")
    api = client.get("/api/v1" + path, params=params)
    assert api.status_code == status
    assert message in api.json()["error"]["message"]


def test_the_api_twin_answers_the_same_file(client: TestClient) -> None:
    page_copy = client.get("/export/ris", params={"date": HOSTILE_DAY})
    api_copy = client.get("/api/v1/export/ris", params={"date": HOSTILE_DAY})
    assert api_copy.status_code == 200
    assert api_copy.content == page_copy.content
    assert api_copy.headers["content-type"] == page_copy.headers["content-type"]
    assert "/api/v1/export/{fmt}" in client.get("/openapi.json").json()["paths"]


def _menu_links(doc: object, summary: str) -> list[str]:
    return list(doc.xpath(  # type: ignore[attr-defined]
        f'//details[contains(@class, "export-menu")][summary="{summary}"]//a/@href'))


def test_the_paper_page_has_a_cite_menu_with_bibtex(client: TestClient) -> None:
    doc = page(client.get("/papers/2411.99001"))
    (pre,) = doc.xpath('//details[contains(@class, "cite-menu")]//pre')
    entry = bibtexparser.loads(pre.text_content()).entries[0]
    assert entry["eprint"] == "2411.99001"
    assert entry["title"] == r"{<script>alert(1)</script> \& Co}"  # shown as text
    links = _menu_links(doc, "Cite")
    assert links == ["/export/bibtex?ids=2411.99001", "/export/ris?ids=2411.99001",
                     "/export/csl-json?ids=2411.99001"]
    for link in links:
        assert ids_in(link.split("?")[0].rsplit("/", 1)[1], client.get(link).text) == [
            "2411.99001"]


@pytest.mark.parametrize("path", [f"/date/{HOSTILE_DAY}", "/search?q=divergences",
                                  "/users/demo-ada"])
def test_list_pages_have_an_export_menu_whose_links_work(client: TestClient, path: str) -> None:
    links = _menu_links(page(client.get(path)), "Export")
    assert [link.split("?")[0] for link in links] == [f"/export/{f}" for f in MEDIA]
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, (link, response.text)
        assert ids_in(link.split("?")[0].rsplit("/", 1)[1], response.text)
