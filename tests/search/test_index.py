"""`index_missing`: incremental, resumable, follows edits and deletions, on both databases."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from paperfeed.config import Settings
from paperfeed.demo.builder import load_papers, to_record
from paperfeed.ingest.upsert import upsert_records
from paperfeed.search import vector_index as vi
from paperfeed.search.embedder import storage_key
from paperfeed.search.indexing import index_missing
from paperfeed.search.semantic import semantic_search
from paperfeed.storage.models import Paper, PaperEmbedding
from tests.search.semantic_fixtures import load_demo, settings_for


def _index_size(settings: Settings) -> int:
    searcher = vi.open_searcher(vi.index_path(settings, storage_key(settings.embedding_model)))
    assert searcher is not None
    return len(searcher)


def _stored(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(PaperEmbedding)) or 0)


@pytest.fixture
def demo(engine: Engine, tmp_path: Path) -> tuple[Engine, Settings, int]:
    n = load_demo(engine)
    return engine, settings_for(engine, tmp_path), n


def test_second_run_embeds_nothing(demo: tuple[Engine, Settings, int]) -> None:
    engine, settings, n = demo
    seen: list[tuple[int, int]] = []
    assert index_missing(engine, settings, progress=lambda d, t: seen.append((d, t))) == n
    assert seen[0] == (0, n) and seen[-1] == (n, n)
    assert _stored(engine) == n and _index_size(settings) == n
    assert index_missing(engine, settings) == 0
    assert _index_size(settings) == n


def test_vectors_are_normalised_float32(demo: tuple[Engine, Settings, int]) -> None:
    engine, settings, _ = demo
    index_missing(engine, settings)
    with Session(engine) as s:
        blobs = s.scalars(select(PaperEmbedding.vector).limit(20)).all()
    for blob in blobs:
        vec = np.frombuffer(blob, dtype="<f4")
        assert vec.shape == (384,)
        assert abs(float(np.linalg.norm(vec)) - 1.0) < 1e-4


def test_a_killed_run_resumes_where_it_stopped(demo: tuple[Engine, Settings, int]) -> None:
    engine, settings, n = demo

    def die_after_first_batch(done: int, total: int) -> None:
        if done >= 50:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        index_missing(engine, settings, batch_size=50, progress=die_after_first_batch)
    assert _stored(engine) == 50  # the finished batch was kept
    assert index_missing(engine, settings, batch_size=50) == n - 50
    assert _stored(engine) == n and _index_size(settings) == n


def test_new_papers_are_added(demo: tuple[Engine, Settings, int]) -> None:
    engine, settings, n = demo
    index_missing(engine, settings)
    record = to_record(load_papers()[0])
    new = dataclasses.replace(
        record, id="2411.99999", title="Tokamak plasma confinement with stellarators",
        abstract="Magnetic confinement fusion: tokamak and stellarator plasma stability.",
    )
    upsert_records(engine, [new])
    assert index_missing(engine, settings) == 1
    assert _index_size(settings) == n + 1
    with Session(engine) as s:
        pid = s.scalars(select(Paper.id).where(Paper.arxiv_id == "2411.99999")).one()
    hits = semantic_search(engine, settings, "nuclear fusion plasma in a tokamak", 3)
    assert hits[0][0] == pid


def test_changed_abstract_is_embedded_again_but_a_vote_is_not(
    demo: tuple[Engine, Settings, int],
) -> None:
    engine, settings, _ = demo
    index_missing(engine, settings)
    with Session(engine) as s:
        paper = s.scalars(select(Paper).order_by(Paper.id)).first()
        assert paper is not None
        pid = paper.id
        paper.vote_count += 1  # touches modified_at, not the text
        s.commit()
    assert index_missing(engine, settings) == 0
    with Session(engine) as s:
        paper = s.get_one(Paper, pid)
        paper.title = "Coral reef bleaching under ocean warming"
        paper.abstract = "Marine biology: corals, reefs, sea temperature and bleaching events."
        s.commit()
    assert index_missing(engine, settings) == 1
    hits = semantic_search(engine, settings, "coral reefs and ocean temperature", 1)
    assert hits[0][0] == pid


def test_deleted_papers_leave_the_index(demo: tuple[Engine, Settings, int]) -> None:
    engine, settings, n = demo
    index_missing(engine, settings)
    with Session(engine) as s:
        paper = s.scalars(select(Paper).order_by(Paper.id)).first()
        s.delete(paper)
        s.commit()
    assert index_missing(engine, settings) == 0
    assert _index_size(settings) == n - 1


def test_a_lost_index_file_is_rebuilt_from_the_table(demo: tuple[Engine, Settings, int]) -> None:
    engine, settings, n = demo
    index_missing(engine, settings)
    path = vi.index_path(settings, storage_key(settings.embedding_model))
    path.write_bytes(b"garbage")
    assert index_missing(engine, settings) == 0  # nothing embedded again
    assert _index_size(settings) == n
    vi.remove_files(path)
    assert index_missing(engine, settings) == 0
    assert _index_size(settings) == n


def test_rebuild_embeds_everything_again(demo: tuple[Engine, Settings, int]) -> None:
    engine, settings, n = demo
    index_missing(engine, settings)
    assert index_missing(engine, settings, rebuild=True) == n
    assert _stored(engine) == n and _index_size(settings) == n


def test_index_file_is_per_database(tmp_path: Path) -> None:
    a = Settings(database_url="sqlite:///a.db", data_dir=tmp_path)
    b = Settings(database_url="sqlite:///b.db", data_dir=tmp_path)
    assert vi.index_path(a, "m") != vi.index_path(b, "m")
    assert vi.index_path(a, "m").parent == tmp_path / "vectors"
