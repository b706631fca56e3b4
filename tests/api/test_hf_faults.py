"""What the Hugging Face client gets for things that are not there, and what any client
gets for parameters the Hub would refuse: the Hub's exceptions and empty lists, 4xx with
``{"error": "..."}``, never a server error."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import BadRequestError, HfHubHTTPError
from sqlalchemy import Engine

from tests.api.hf_site import hub, loopback_client, serve
from tests.web.conftest import site_engine  # noqa: F401


@pytest.fixture(scope="module")
def url(site_engine: Engine, tmp_path_factory: pytest.TempPathFactory  # noqa: F811
        ) -> Iterator[str]:
    with loopback_client(), serve(site_engine, tmp_path_factory.mktemp("hf")) as address:
        yield address


@pytest.fixture(scope="module")
def api(url: str) -> HfApi:
    return hub(url)


@pytest.mark.parametrize("paper_id", ["2411.00000", "hep-th/0000001", "not-an-id"])
def test_unknown_paper_raises_the_hubs_http_error(api: HfApi, paper_id: str) -> None:
    for call in (api.paper_info, api.read_paper):
        with pytest.raises(HfHubHTTPError) as caught:
            call(paper_id)
        # Exactly the generic error, as for a paper the Hub does not have (no subclass
        # such as RepositoryNotFoundError, which needs an X-Error-Code header).
        assert type(caught.value) is HfHubHTTPError
        assert caught.value.response is not None
        assert caught.value.response.status_code == 404
        assert caught.value.server_message == "Paper not found"


def test_a_day_without_a_list_and_a_search_without_hits_are_empty(api: HfApi) -> None:
    assert list(api.list_daily_papers(date="2001-01-01")) == []
    assert list(api.list_daily_papers(week="2001-W01")) == []
    assert list(api.list_daily_papers(month="2001-01", sort="trending")) == []
    assert list(api.list_daily_papers(date="2024-11-28", p=500)) == []
    assert list(api.list_papers(query="qqzzyxw vvkkjjh")) == []
    assert list(api.list_papers()) == []  # the client leaves an empty query out


def test_a_bad_parameter_through_the_client_is_a_bad_request(api: HfApi) -> None:
    with pytest.raises(BadRequestError) as caught:
        list(api.list_daily_papers(sort="votes"))  # type: ignore[arg-type]
    assert caught.value.server_message == "sort must be publishedAt or trending"


@pytest.mark.parametrize("query", [
    "p=-1", "p=x", "p=99999999999999999999", "limit=abc", "limit=1e3", "sort=bogus",
    "date=2024-13-45", "date=yesterday", "week=2024-W99", "week=2024-48", "month=2024-13",
    "month=24-11", "date=2024-11-28&week=2024-W48", "date=%00", "p=%F0%9F%98%80",
])
def test_garbage_daily_parameters_are_400_with_the_hubs_error_shape(
    url: str, query: str
) -> None:
    response = httpx.get(f"{url}/api/daily_papers?{query}")
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["error"] and isinstance(body["error"], str) and body["error"]


@pytest.mark.parametrize("path", [
    "/api/daily_papers?limit=0", "/api/daily_papers?limit=100000", "/api/daily_papers?p=",
    "/api/daily_papers?submitter=%3Cscript%3E", "/api/daily_papers?submitter=" + "x" * 5000,
    "/api/papers/search?q=%00%01", "/api/papers/search?q=" + "(" * 3000,
    "/api/papers/search?q=title:&limit=-5", '/api/papers/search?q="unclosed',
])
def test_odd_but_harmless_parameters_answer_a_list(url: str, path: str) -> None:
    response = httpx.get(url + path)
    assert response.status_code == 200, response.text
    assert isinstance(response.json(), list)


def test_limits_are_clamped_as_the_hub_does(url: str) -> None:
    assert len(httpx.get(f"{url}/api/daily_papers?month=2024-11&limit=0").json()) == 1
    assert len(httpx.get(f"{url}/api/daily_papers?month=2024-11&limit=500").json()) == 100
    assert len(httpx.get(f"{url}/api/daily_papers?month=2024-11").json()) == 50
    bad = httpx.get(f"{url}/api/papers/search?q=learning&limit=lots")
    assert bad.status_code == 400 and bad.json() == {"error": "limit must be a whole number"}


@pytest.mark.parametrize("path", [
    "/api/papers/%3Cscript%3E", "/api/papers/..%2F..%2Fetc%2Fpasswd", "/papers/%00.md",
    "/papers/.md", "/api/papers/", "/papers/2411.99001v99.md",
])
def test_odd_paper_paths_are_4xx_json_or_the_paper(url: str, path: str) -> None:
    response = httpx.get(url + path)
    assert response.status_code in (200, 404), response.text
    if response.status_code == 404:
        assert response.json() == {"error": "Paper not found"}
