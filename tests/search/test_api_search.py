"""GET /api/search through the real app on both databases: shape, clamps, 422s, bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.config import Settings
from paperfeed.storage.paper_json import PaperJSON
from paperfeed.web.app import create_app
from tests.search.kw_corpus import add_corpus
from tests.search.test_keyword_bad_input import BAD_INPUTS, expected_answer

SEARCH_KEYS = {"score", "matched_by", "title_html", "snippet", "url"}


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    add_corpus(engine)
    settings = Settings(
        database_url=engine.url.render_as_string(False), data_dir=tmp_path / "d", demo=True
    )
    with TestClient(create_app(settings, engine)) as c:
        yield c


def test_search_shape(client: TestClient) -> None:
    r = client.get("/api/search", params={"q": "sparse", "mode": "keyword"})
    assert r.status_code == 200
    body = r.json()
    assert {"query", "mode", "total", "took_ms", "results"} <= set(body)
    assert body["query"] == "sparse" and body["mode"] == "keyword" and body["total"] == 3
    assert isinstance(body["took_ms"], float)
    first = body["results"][0]
    assert set(first) == set(PaperJSON.model_fields) | SEARCH_KEYS
    assert first["id"] == "2401.00001" and first["matched_by"] == "keyword"
    assert "<mark>" in first["snippet"] or "<mark>" in first["title_html"]


def test_default_mode_is_hybrid_and_falls_back(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "sparse"}).json()
    assert body["mode"] == "hybrid" and body["mode_used"] == "keyword"
    assert any("unavailable" in n for n in body["notices"])


@pytest.mark.parametrize(("limit", "want"), [("-1", 1), ("0", 1), ("100000", 100), ("3", 3)])
def test_limit_is_clamped(client: TestClient, limit: str, want: int) -> None:
    r = client.get("/api/search", params={"q": "cat:cs", "limit": limit, "offset": "-3"})
    assert r.status_code == 200
    body = r.json()
    assert body["limit"] == want and body["offset"] == 0
    assert len(body["results"]) == min(want, 5)


def test_offset_pages(client: TestClient) -> None:
    first = client.get("/api/search", params={"q": "cat:cs", "limit": 2}).json()
    second = client.get("/api/search", params={"q": "cat:cs", "limit": 2, "offset": 2}).json()
    assert {r["id"] for r in first["results"]}.isdisjoint({r["id"] for r in second["results"]})


@pytest.mark.parametrize(
    ("params", "needle"),
    [({"mode": "fuzzy"}, "hybrid"), ({"sort": "votes"}, "relevance"), ({"limit": "ten"}, "int")],
)
def test_bad_parameters_are_422_with_a_clear_message(
    client: TestClient, params: dict[str, str], needle: str
) -> None:
    r = client.get("/api/search", params={"q": "sparse", **params})
    assert r.status_code == 422
    assert needle in r.text


def test_bad_query_text_never_500(client: TestClient, engine: Engine) -> None:
    for text in BAD_INPUTS:
        want = expected_answer(engine, text)
        r = client.get("/api/search", params={"q": text, "mode": "keyword", "limit": "100"})
        assert r.status_code == 200, text
        body = r.json()
        assert [x["id"] for x in body["results"]] == list(want.ids), text[:40]
        assert (body["total"], body["message"]) == (len(want.ids), want.message), text[:40]
        assert body["notices"] == list(want.notices), text[:40]


def test_id_lookup(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "https://arxiv.org/abs/hep-th/9901001"}).json()
    assert body["redirect"] == "hep-th/9901001"
    assert [r["id"] for r in body["results"]] == ["hep-th/9901001"]


def test_documented_in_openapi(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    params = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert params == {"q", "mode", "limit", "offset", "sort"}


def test_each_result_is_the_paper_json_of_show(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One shape per paper: a search result holds exactly what `paperfeed show --json`
    prints for that paper, plus how it matched."""
    results = client.get("/api/search", params={"q": "sparse", "mode": "keyword"}).json()
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", engine.url.render_as_string(False))
    for result in results["results"]:
        shown = CliRunner().invoke(app, ["show", result["id"], "--json"])
        assert shown.exit_code == 0, shown.output
        paper = {k: v for k, v in result.items() if k not in SEARCH_KEYS}
        assert paper == json.loads(shown.stdout)
