"""The search use case on both databases: modes, fallbacks, id lookups, messages, clamps,
and reciprocal rank fusion."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from paperfeed.config import Settings
from paperfeed.search.service import rrf, search
from tests.search.kw_corpus import add_corpus


@pytest.fixture
def settings(engine: Engine, tmp_path: Path) -> Settings:
    add_corpus(engine)
    return Settings(database_url=engine.url.render_as_string(False), data_dir=tmp_path / "d")


def test_rrf_fuses_and_explains() -> None:
    fused = rrf([1, 2, 3], [3, 4, 1])
    by_id = {f.paper_id: f for f in fused}
    assert {f.paper_id for f in fused} == {1, 2, 3, 4}
    assert by_id[1].matched_by == "both" and by_id[3].matched_by == "both"
    assert by_id[2].matched_by == "keyword" and by_id[4].matched_by == "semantic"
    # In both lists near the top beats being first in one list only.
    assert [f.paper_id for f in fused][:2] == [1, 3]
    assert by_id[1].score == pytest.approx(1 / 61 + 1 / 63, abs=1e-6)


def test_rrf_ties_are_deterministic() -> None:
    assert [f.paper_id for f in rrf([5], [6])] == [5, 6]
    assert rrf([], []) == []


def test_keyword_results_carry_what_pages_need(engine: Engine, settings: Settings) -> None:
    resp = search(engine, settings, "sparse", mode="keyword")
    assert resp.total == 3 and resp.mode_used == "keyword" and resp.message is None
    first = resp.results[0]
    assert first.id == "2401.00001" and first.matched_by == "keyword"
    assert first.authors == ["Ada Lovelace", "Yann LeCun"]
    assert first.primary_category == "cs.LG" and first.published == "2024-01-10"
    assert first.url == "/papers/2401.00001"
    assert "<mark>Sparse</mark>" in first.title_html
    assert first.score > resp.results[-1].score


def test_hybrid_without_a_semantic_index_degrades_and_says_so(
    engine: Engine, settings: Settings
) -> None:
    for mode in ("hybrid", "semantic"):
        resp = search(engine, settings, "sparse", mode=mode)
        assert resp.mode == mode and resp.mode_used == "keyword"
        assert any("Semantic search is unavailable" in n for n in resp.notices)
        assert resp.results[0].id == "2401.00001"
        assert all(r.matched_by == "keyword" for r in resp.results)


@pytest.mark.parametrize("text", ["2401.00001", "https://arxiv.org/abs/2401.00001v2",
                                  "arXiv:2401.00001"])
def test_id_lookup_returns_the_paper(engine: Engine, settings: Settings, text: str) -> None:
    resp = search(engine, settings, text)
    assert resp.redirect == "2401.00001"
    assert [r.id for r in resp.results] == ["2401.00001"]


def test_unknown_id_says_so(engine: Engine, settings: Settings) -> None:
    resp = search(engine, settings, "2501.99999")
    assert resp.results == [] and resp.redirect is None
    assert "2501.99999" in (resp.message or "")


@pytest.mark.parametrize(
    ("text", "words"),
    [("", "Type a word"), ("the and of", "common words"), ("-survey", "excluded")],
)
def test_nothing_to_search_gives_a_message(
    engine: Engine, settings: Settings, text: str, words: str
) -> None:
    resp = search(engine, settings, text)
    assert resp.results == [] and resp.total == 0
    assert words in (resp.message or "")


def test_no_match_message(engine: Engine, settings: Settings) -> None:
    resp = search(engine, settings, "zzzunknownword", mode="keyword")
    assert resp.results == [] and resp.message == "No papers match this search."


def test_notices_for_ignored_words_and_bad_filters(engine: Engine, settings: Settings) -> None:
    resp = search(engine, settings, "the sparse AND year:abc", mode="keyword")
    assert resp.total == 3
    text = " ".join(resp.notices)
    assert "year:abc" in text and "the" in text and "AND" in text


@pytest.mark.parametrize(
    ("limit", "offset", "want_limit", "want_offset"),
    [(-1, -5, 1, 0), (0, 0, 1, 0), (100_000, 0, 100, 0), (2, 10**9, 2, 10_000)],
)
def test_limits_are_clamped(
    engine: Engine, settings: Settings, limit: int, offset: int, want_limit: int,
    want_offset: int
) -> None:
    resp = search(engine, settings, "sparse", mode="keyword", limit=limit, offset=offset)
    assert (resp.limit, resp.offset) == (want_limit, want_offset)
    assert len(resp.results) <= want_limit


def test_pagination_with_offset(engine: Engine, settings: Settings) -> None:
    all_ids = [r.id for r in search(engine, settings, "cat:cs", mode="keyword").results]
    page2 = search(engine, settings, "cat:cs", mode="keyword", limit=2, offset=2)
    assert [r.id for r in page2.results] == all_ids[2:4]
    assert page2.total == 5


def test_sort_by_date(engine: Engine, settings: Settings) -> None:
    resp = search(engine, settings, "sparse", mode="keyword", sort="date")
    assert [r.id for r in resp.results] == ["2404.00007", "2401.00002", "2401.00001"]


def test_unknown_mode_or_sort_is_a_value_error(engine: Engine, settings: Settings) -> None:
    with pytest.raises(ValueError, match="unknown mode"):
        search(engine, settings, "x", mode="fuzzy")
    with pytest.raises(ValueError, match="unknown sort"):
        search(engine, settings, "x", sort="votes")


def test_hybrid_fuses_keyword_and_semantic(engine: Engine, settings: Settings) -> None:
    """With a real semantic index: fused results say why they matched, and semantic
    neighbours obey the query's filters and exclusions."""
    from paperfeed.search.indexing import index_missing

    assert index_missing(engine, settings) == 7
    resp = search(engine, settings, "sparse interpretable features")
    assert resp.mode_used == "hybrid" and not any("unavailable" in n for n in resp.notices)
    assert resp.results[0].id == "2401.00001" and resp.results[0].matched_by == "both"
    kinds = {r.matched_by for r in resp.results}
    assert "semantic" in kinds
    keyword_ids = {r.id for r in search(engine, settings, "sparse interpretable features",
                                        mode="keyword").results}
    for r in resp.results:
        assert (r.matched_by in ("keyword", "both")) == (r.id in keyword_ids)
    scores = [r.score for r in resp.results]
    assert scores == sorted(scores, reverse=True)

    sem = search(engine, settings, "interpretable features cat:cs.LG -survey", mode="semantic")
    assert sem.mode_used == "semantic" and sem.results
    assert all(r.matched_by == "semantic" for r in sem.results)
    assert all("cs.LG" in r.categories for r in sem.results)
    assert "2403.00005" not in {r.id for r in sem.results}

    # Author terms are required of semantic neighbours too.
    sem = search(engine, settings, "neural networks author:lecun", mode="semantic")
    assert {r.id for r in sem.results} <= {"2401.00001", "2403.00005"}
