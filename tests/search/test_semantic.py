"""Semantic search on real arXiv records (the bundled demo papers), on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperfeed.search.semantic import SemanticUnavailable, semantic_search
from paperfeed.storage.models import Paper
from tests.search.semantic_fixtures import archive, indexed_demo, load_demo, settings_for


@pytest.fixture
def indexed(engine: Engine, tmp_path: Path) -> tuple[Engine, object]:
    return engine, indexed_demo(engine, tmp_path)


def _titles(engine: Engine, hits: list[tuple[int, float]]) -> list[Paper]:
    with Session(engine) as session:
        return [session.get_one(Paper, pid) for pid, _ in hits]


def test_finds_papers_by_meaning(indexed: tuple[Engine, object]) -> None:
    engine, settings = indexed
    hits = semantic_search(engine, settings, "black holes and gravitational physics", 5)  # type: ignore[arg-type]
    papers = _titles(engine, hits)
    assert len(papers) == 5
    physics = {"gr-qc", "astro-ph", "hep-th", "hep-ph", "math-ph"}
    assert archive(papers[0]) in physics
    assert sum(archive(p) in physics for p in papers) >= 3
    # Best first, cosine scores.
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.0 <= s <= 1.0 for s in scores)


def test_a_title_finds_its_own_paper(indexed: tuple[Engine, object]) -> None:
    """Queries and documents live in the same vector space."""
    engine, settings = indexed
    with Session(engine) as session:
        papers = session.query(Paper).order_by(Paper.id).limit(40).all()
    found = 0
    for paper in papers:
        hits = semantic_search(engine, settings, paper.title, 10)  # type: ignore[arg-type]
        found += paper.id in [pid for pid, _ in hits]
    assert found >= 34  # acc@10 >= 0.85 on real titles


def test_unavailable_when_nothing_is_indexed(engine: Engine, tmp_path: Path) -> None:
    load_demo(engine)
    settings = settings_for(engine, tmp_path)
    with pytest.raises(SemanticUnavailable, match="paperfeed index"):
        semantic_search(engine, settings, "graphs", 5)


ODD_QUERIES = [
    "x" * 10_000,
    "learning " * 1500,
    "🚀🔥 quantum 🤖 计算机 машинное обучение",
    "ctrl\x00\x01\x1b[31m\u200b\ud800 chars",
    '"unbalanced AND OR NEAR * ^ :',
]
EMPTY_QUERIES = ["", "   \n\t ", "!!! ??? ... ---", "\x00\x01"]


def test_odd_queries_never_raise(indexed: tuple[Engine, object]) -> None:
    engine, settings = indexed
    for query in ODD_QUERIES:
        hits = semantic_search(engine, settings, query, 10)  # type: ignore[arg-type]
        # Anything with a real word in it finds the ten asked for; a run of one letter
        # embeds to nothing and finds nothing.
        assert len(hits) == (0 if query == "x" * 10_000 else 10), query
    for query in EMPTY_QUERIES:
        assert semantic_search(engine, settings, query, 10) == [], query  # type: ignore[arg-type]


def test_k_is_clamped(indexed: tuple[Engine, object]) -> None:
    engine, settings = indexed
    for k, expected in [(-1, 0), (0, 0), (3, 3), (100_000, 265)]:
        hits = semantic_search(engine, settings, "neural networks", k)  # type: ignore[arg-type]
        assert len(hits) == expected
        assert len({pid for pid, _ in hits}) == len(hits)


def test_deleted_papers_are_not_returned(indexed: tuple[Engine, object]) -> None:
    engine, settings = indexed
    first = semantic_search(engine, settings, "black holes", 3)  # type: ignore[arg-type]
    with Session(engine) as session:
        session.delete(session.get_one(Paper, first[0][0]))
        session.commit()
    again = semantic_search(engine, settings, "black holes", 3)  # type: ignore[arg-type]
    assert first[0][0] not in [pid for pid, _ in again]
    # Still the three asked for: the next neighbour takes the deleted paper's place.
    assert [pid for pid, _ in again] == [pid for pid, _ in first[1:]] + [again[2][0]]
    assert len(again) == 3
