"""Similar papers on the paper page: neighbours by embedding, the paper itself excluded."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from paperfeed.search.indexing import index_missing
from paperfeed.search.similar import similar_for_page
from paperfeed.storage.models import Paper
from tests.search.semantic_fixtures import archive, load_demo, paper_by_title, settings_for


def test_similar_papers_are_close_and_exclude_the_paper(engine: Engine, tmp_path: Path) -> None:
    load_demo(engine)
    index_missing(engine, settings_for(engine, tmp_path))
    with Session(engine) as session:
        papers = session.scalars(select(Paper).order_by(Paper.id)).all()
        same_archive = 0
        for paper in papers[:60]:
            similar = similar_for_page(session, paper)
            assert len(similar) == 6
            assert paper.id not in [p.id for p in similar]
            assert len({p.id for p in similar}) == 6
            same_archive += archive(similar[0]) == archive(paper)
        # The nearest neighbour shares the paper's arXiv archive (cs, math, astro-ph…) far
        # more often than chance (~15 of these 60; measured 38).
        assert same_archive >= 30

        black_hole = paper_by_title(session, "extremal black holes")
        near = similar_for_page(session, black_hole, limit=3)
        assert len(near) == 3
        assert archive(near[0]) in {"gr-qc", "hep-th", "astro-ph", "math-ph", "hep-ph"}


def test_limit_is_respected_and_clamped(engine: Engine, tmp_path: Path) -> None:
    load_demo(engine)
    index_missing(engine, settings_for(engine, tmp_path))
    with Session(engine) as session:
        paper = session.scalars(select(Paper)).first()
        assert paper is not None
        assert len(similar_for_page(session, paper, limit=2)) == 2
        assert similar_for_page(session, paper, limit=0) == []
        assert similar_for_page(session, paper, limit=-5) == []
        assert len(similar_for_page(session, paper, limit=10_000)) == 50


def test_no_index_gives_an_empty_list(engine: Engine) -> None:
    load_demo(engine)
    with Session(engine) as session:
        paper = session.scalars(select(Paper)).first()
        assert paper is not None
        assert similar_for_page(session, paper) == []


def test_a_paper_without_a_vector_gets_an_empty_list(engine: Engine, tmp_path: Path) -> None:
    load_demo(engine)
    index_missing(engine, settings_for(engine, tmp_path))
    with Session(engine) as session:
        paper = Paper(arxiv_id="2411.88888", title="Not indexed yet", abstract="")
        session.add(paper)
        session.commit()
        assert similar_for_page(session, paper) == []
