"""Every page that shows data has a JSON twin, at its URL with ``.json`` (the home page's
is ``/index.json``) or at the page's own URL when the request prefers JSON: the same
papers in the same order, the same page size and links, ``Vary: Accept``, a
``rel="alternate"`` link on the page, and errors in the API's one shape."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import EXTRA_DAY, OLD_ID, SCRIPT_TITLE, page

DAY = "2024-11-28"
JSON = {"accept": "application/json"}
BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}

# page URL -> its twin's URL
TWINS = {
    "/": "/index.json",
    f"/date/{DAY}": f"/date/{DAY}.json",
    f"/date/{DAY}?sort=time": f"/date/{DAY}.json?sort=time",
    "/trending": "/trending.json",
    "/week/2024-W48": "/week/2024-W48.json",
    "/month/2024-11?page=2": "/month/2024-11.json?page=2",
    "/users/demo-karen": "/users/demo-karen.json",
    f"/papers/{OLD_ID}": f"/papers/{OLD_ID}.json",
    "/papers/2411.99001": "/papers/2411.99001.json",
    "/search?q=language&mode=keyword": "/search.json?q=language&mode=keyword",
}


def _list_ids(client: TestClient, url: str, section: str = "") -> list[str]:
    return [el.get("id").split("paper-", 1)[1] for el in page(client.get(url)).xpath(
        section + '//ol[@class="papers"]//article[@class="card"]')]


def _twin(client: TestClient, url: str, **kwargs: Any) -> Any:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.text[:300])
    assert response.headers["content-type"] == "application/json"
    return response.json()


@pytest.mark.parametrize("url", list(TWINS))
def test_each_page_links_its_twin_and_answers_json_when_asked(client: TestClient,
                                                              url: str) -> None:
    html = client.get(url, headers=BROWSER)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "accept" in html.headers["vary"].lower()
    links = page(html).xpath('//head/link[@rel="alternate"][@type="application/json"]/@href')
    assert links == [TWINS[url]]
    twin = _twin(client, TWINS[url])
    negotiated = client.get(url, headers=JSON)
    assert negotiated.headers["content-type"] == "application/json"
    assert "accept" in negotiated.headers["vary"].lower()
    body = negotiated.json()
    if body.get("search"):  # the time a search took is its own
        body["search"].pop("took_ms")
        twin["search"].pop("took_ms")
    assert body == twin


@pytest.mark.parametrize("url", ["/", f"/date/{DAY}", f"/date/{DAY}?sort=time", "/trending",
                                 "/week/2024-W48", "/month/2024-11?page=2",
                                 "/month/2024-11?sort=time&page=3"])
def test_list_twins_have_the_pages_papers_in_order(client: TestClient, url: str) -> None:
    twin = _twin(client, url, headers=JSON)
    ids = [item["paper"]["id"] for item in twin["items"]]
    assert ids == _list_ids(client, url) and ids
    assert twin["per_page"] == 50
    ranks = [item["rank"] for item in twin["items"]]
    assert ranks[0] == (twin["page"] - 1) * 50 + 1
    if twin["next"]:
        following = _twin(client, twin["next"])
        assert following["page"] == twin["page"] + 1
        assert not set(ids) & {item["paper"]["id"] for item in following["items"]}


def test_day_twin_has_the_neighbours_and_counts(client: TestClient) -> None:
    twin = _twin(client, f"/date/{DAY}.json")
    assert twin["day"] == DAY and twin["next_day"] == EXTRA_DAY.isoformat()
    assert twin["total"] == 53 and twin["pages"] == 2
    assert twin["next"] == f"/date/{DAY}.json?page=2" and twin["prev"] is None
    home = _twin(client, "/index.json")
    assert home["day"] == EXTRA_DAY.isoformat() and home["items"][0]["paper"]["title"] == (
        SCRIPT_TITLE)


def test_paper_twin(client: TestClient) -> None:
    twin = _twin(client, f"/papers/{OLD_ID}.json")
    assert set(twin) == {"paper", "discussion", "similar"}
    assert twin["paper"]["id"] == OLD_ID and twin["paper"]["doi"] == "10.1000/xyz123"
    assert twin["paper"]["listed"][0]["day"] == EXTRA_DAY.isoformat()
    assert twin["discussion"]["paper"] == OLD_ID
    demo = _twin(client, "/papers/2411.17700.json")
    on_page = [int(el.get("id").split("-")[1]) for el in page(
        client.get("/papers/2411.17700")).xpath('//article[contains(@class, "comment ")]')]
    assert [c["id"] for c in demo["discussion"]["comments"]] == on_page and on_page
    # Another form of the id: the same paper (the page redirects to the canonical URL).
    assert _twin(client, f"/papers/{OLD_ID}v2.json") == twin
    assert client.get(f"/papers/{OLD_ID}v2").status_code == 301


def test_profile_twin(client: TestClient) -> None:
    twin = _twin(client, "/users/demo-karen.json")
    submitted = [item["paper"]["id"] for item in twin["submitted"]]
    assert submitted == _list_ids(client, "/users/demo-karen",
                                  '//section[@class="profile-submitted"]')
    upvoted = [paper["id"] for paper in twin["upvoted"]]
    assert upvoted == _list_ids(client, "/users/demo-karen",
                                '//section[@class="profile-upvoted"]')


def test_search_twin_has_the_pages_results(client: TestClient) -> None:
    url = "/search?q=language&mode=keyword&page=2"
    twin = _twin(client, url, headers=JSON)
    on_page = [el.get("id").split("paper-", 1)[1] for el in page(client.get(url)).xpath(
        '//article[contains(@class, "search-result")]')]
    assert [r["id"] for r in twin["search"]["results"]] == on_page and on_page
    assert twin["page"] == 2
    assert twin["prev"] == "/search.json?q=language&mode=keyword&sort=relevance&page=1"
    empty = _twin(client, "/search.json")
    assert empty["search"] is None and empty["next"] is None
    lenient = _twin(client, "/search.json?q=language&mode=psychic&page=zzz")
    assert lenient["page"] == 1 and any("psychic" in n for n in lenient["notices"])


@pytest.mark.parametrize("url,status", [
    ("/date/2024-11-23.json", 404), ("/date/tomorrow.json", 404), ("/week/2024-W99.json", 404),
    ("/month/2024-1.json", 404), ("/users/nobody-at-all.json", 404), ("/users/%00.json", 404),
    ("/papers/2411.00000.json", 404), ("/papers/%FF.json", 404),
    (f"/date/{DAY}.json?page=0", 422), (f"/date/{DAY}.json?page=99999999999999999999", 422),
    (f"/date/{DAY}.json?sort=best", 422), ("/trending.json?page=-1", 422),
])
def test_twin_errors_are_the_api_shape(client: TestClient, url: str, status: int) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert set(response.json()["error"]) == {"code", "message"}
    html_url = url.replace(".json", "")
    negotiated = client.get(html_url, headers=JSON)
    assert negotiated.status_code == status and "error" in negotiated.json()
    assert client.get(html_url, headers=BROWSER).headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("accept", [
    "", "*/*", "text/html", "application/json;q=0.5, text/html", "application/*",
    "text/html, application/json", "application/json;q=0",
])
def test_a_browser_or_a_tie_gets_the_page(client: TestClient, accept: str) -> None:
    response = client.get(f"/date/{DAY}", headers={"accept": accept})
    assert response.headers["content-type"].startswith("text/html")


def test_json_preferred_by_weight(client: TestClient) -> None:
    response = client.get("/trending", headers={"accept": "text/html;q=0.4, application/json"})
    assert response.headers["content-type"] == "application/json"


def test_other_pages_keep_their_own_shapes(client: TestClient) -> None:
    markdown = client.get(f"/papers/{OLD_ID}.md")
    assert markdown.status_code == 200 and "json" not in markdown.headers["content-type"]
    login = client.get("/login", headers=JSON)
    assert login.headers["content-type"].startswith("text/html")
    assert "vary" not in login.headers or "accept" not in login.headers["vary"].lower()
