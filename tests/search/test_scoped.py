"""Search among the papers of a date range (what digests use), on both databases: it
finds what the full search narrowed to the same dates finds, by keyword and by meaning,
and never a paper outside the range."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from paperfeed.config import Settings
from paperfeed.search.scoped import ScopedSearch
from paperfeed.search.semantic import semantic_search
from paperfeed.search.service import search
from paperfeed.storage.models import Paper
from tests.search.kw_corpus import add_corpus
from tests.search.semantic_fixtures import indexed_demo

START, END = date(2023, 1, 1), date(2024, 3, 2)  # four of the corpus's seven papers

QUERIES = [
    "sparse", "language model", '"language model"', "cat:cs.LG", "cat:cs",
    "author:lecun", "title:diffusion", "sparse -molecules", "networks cat:cs.LG",
    "model after:2024-01-01", "-cat:cs.CV language", "nothing-matches-this",
]


@pytest.fixture
def corpus(engine: Engine, tmp_path: Path) -> tuple[Engine, Settings, dict[str, int]]:
    ids = add_corpus(engine)
    settings = Settings(database_url=engine.url.render_as_string(False), data_dir=tmp_path / "d")
    return engine, settings, ids


@pytest.mark.parametrize("query", QUERIES)
def test_keyword_matches_are_those_of_the_full_search_narrowed_to_the_dates(
    corpus: tuple[Engine, Settings, dict[str, int]], query: str
) -> None:
    engine, settings, _ = corpus
    narrowed = search(engine, settings, f"{query} after:{START} before:{END}",
                      mode="keyword", limit=100)
    expected = {r.id for r in narrowed.results}
    with ScopedSearch(engine, settings, START, END) as scope:
        hits = scope.search(query, mode="keyword")
        found = {scope.papers[h.paper_id].arxiv_id for h in hits}
    assert found == expected
    assert all(h.matched_by == "keyword" for h in hits)


def test_only_papers_of_the_range_are_loaded_and_found(
    corpus: tuple[Engine, Settings, dict[str, int]],
) -> None:
    engine, settings, _ = corpus
    with ScopedSearch(engine, settings, START, END) as scope:
        assert sorted(p.arxiv_id for p in scope.papers.values()) == [
            "2302.00003", "2401.00001", "2401.00002", "2403.00005"]
        # "Interpretable features" is in 2401.00001 and in 2404.00007, after the range.
        hits = scope.search("interpretable features")
        assert [scope.papers[h.paper_id].arxiv_id for h in hits] == ["2401.00001"]
        # The best match comes first: a title match beats an abstract mention.
        sparse = [scope.papers[h.paper_id].arxiv_id for h in scope.search("sparse")]
        assert sparse == ["2401.00001", "2401.00002"]
        paper = scope.papers[hits[0].paper_id]
        assert paper.title == "Sparse autoencoders find interpretable features"
        assert paper.authors == ["Ada Lovelace", "Yann LeCun"]
        assert paper.categories == ["cs.LG", "cs.AI"]


def test_accents_are_folded_on_both_databases(
    corpus: tuple[Engine, Settings, dict[str, int]],
) -> None:
    engine, settings, ids = corpus
    with ScopedSearch(engine, settings, START, END) as scope:
        for query in ("Muller", "Müller", "author:muller"):
            assert [h.paper_id for h in scope.search(query)] == [ids["2401.00002"]]


def test_a_pasted_id_finds_its_paper_only_inside_the_range(
    corpus: tuple[Engine, Settings, dict[str, int]],
) -> None:
    engine, settings, ids = corpus
    with ScopedSearch(engine, settings, START, END) as scope:
        assert [h.paper_id for h in scope.search("arXiv:2401.00002")] == [ids["2401.00002"]]
        assert scope.search("https://arxiv.org/abs/2404.00007") == []


@pytest.mark.parametrize("query", ["", "   ", "the of and", '"', "cat:"])
def test_nothing_to_search_finds_nothing(
    corpus: tuple[Engine, Settings, dict[str, int]], query: str
) -> None:
    engine, settings, _ = corpus
    with ScopedSearch(engine, settings, START, END) as scope:
        assert scope.search(query) == []


def test_an_empty_range_and_an_unknown_mode(
    corpus: tuple[Engine, Settings, dict[str, int]],
) -> None:
    engine, settings, _ = corpus
    with ScopedSearch(engine, settings, date(2030, 1, 1), date(2030, 1, 2)) as scope:
        assert len(scope) == 0 and scope.search("sparse") == []
        with pytest.raises(ValueError, match="unknown mode"):
            scope.search("sparse", mode="fuzzy")


def test_without_vectors_hybrid_is_keyword_and_says_why(
    corpus: tuple[Engine, Settings, dict[str, int]],
) -> None:
    engine, settings, _ = corpus
    with ScopedSearch(engine, settings, START, END) as scope:
        why = scope.semantic_unavailable
        assert why and "no paper of these dates" in why
        assert {h.matched_by for h in scope.search("language")} == {"keyword"}


@pytest.fixture
def indexed(engine: Engine, tmp_path: Path) -> tuple[Engine, Settings]:
    return engine, indexed_demo(engine, tmp_path)


def _whole_range(engine: Engine) -> tuple[date, date]:
    with Session(engine) as session:
        lo, hi = session.execute(select(func.min(Paper.published), func.max(Paper.published))).one()
    return lo, date.fromordinal(hi.toordinal() + 1)


def test_meaning_ranks_as_the_semantic_index_does(indexed: tuple[Engine, Settings]) -> None:
    """Over a range holding every paper, the nearest papers are the index's, in its order."""
    engine, settings = indexed
    start, end = _whole_range(engine)
    with ScopedSearch(engine, settings, start, end) as scope:
        with Session(engine) as session:
            dated = session.scalar(select(func.count()).where(Paper.published.is_not(None)))
        assert scope.semantic_unavailable is None and len(scope) == dated > 200
        for query in ("black holes and gravitational physics", "protein folding",
                      "graph neural networks for molecules"):
            hits = scope.search(query, mode="semantic", limit=10)
            index = [pid for pid, _ in semantic_search(engine, settings, query, 40)
                     if pid in scope.papers]
            assert [h.paper_id for h in hits[:2]] == index[:2]
            assert len({h.paper_id for h in hits} & set(index[:10])) >= 9
            scores = [h.score for h in hits]
            assert scores == sorted(scores, reverse=True) and all(h.matched_by == "semantic"
                                                                  for h in hits)


def test_hybrid_adds_papers_found_by_meaning_and_keeps_filters(
    indexed: tuple[Engine, Settings],
) -> None:
    engine, settings = indexed
    start, end = _whole_range(engine)
    with ScopedSearch(engine, settings, start, end) as scope:
        hits = scope.search("black holes and gravitational physics", limit=20)
        kinds = {h.matched_by for h in hits}
        assert "semantic" in kinds or "both" in kinds
        # The filter binds what meaning finds too.
        for hit in scope.search("black holes cat:gr-qc", limit=50):
            assert any(c.startswith("gr-qc") for c in scope.papers[hit.paper_id].categories)
