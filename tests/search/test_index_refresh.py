"""Without pgvector each machine has its own index file; it refreshes by itself when
another machine's `paperfeed index` changed the stored vectors (two data directories on
one database play the two machines), on both databases."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from paperfeed.config import Settings
from paperfeed.demo.builder import load_papers, to_record
from paperfeed.ingest.upsert import upsert_records
from paperfeed.search import embedding_store as store
from paperfeed.search import index_refresh as refresh
from paperfeed.search import vector_index as vi
from paperfeed.search.embedder import storage_key
from paperfeed.search.indexing import index_missing
from paperfeed.search.semantic import SemanticUnavailable, semantic_search
from paperfeed.search.similar import similar_for_page
from paperfeed.storage.models import Paper
from tests.search.semantic_fixtures import load_demo, paper_by_title, settings_for

FUSION = "nuclear fusion plasma in a tokamak"


@pytest.fixture
def machines(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Engine, Settings, Settings]:
    """The demo papers indexed on machine A; machine B shares the database, not the disk.
    Each search reads the database's record (a web server does so every few seconds)."""
    monkeypatch.setattr(refresh, "CHECK_SECONDS", 0.0)
    load_demo(engine)
    a, b = settings_for(engine, tmp_path / "a"), settings_for(engine, tmp_path / "b")
    index_missing(engine, a)
    return engine, a, b


def _path(settings: Settings) -> Path:
    return vi.index_path(settings, storage_key(settings.embedding_model))


def _add_fusion_paper(engine: Engine) -> int:
    new = dataclasses.replace(
        to_record(load_papers()[0]), id="2411.99999",
        title="Tokamak plasma confinement with stellarators",
        abstract="Magnetic confinement fusion: tokamak and stellarator plasma stability.",
    )
    upsert_records(engine, [new])
    with Session(engine) as s:
        return s.scalars(select(Paper.id).where(Paper.arxiv_id == "2411.99999")).one()


def _recorded_generation(engine: Engine, settings: Settings) -> str:
    with engine.connect() as conn:
        record = store.recorded_index(conn, storage_key(settings.embedding_model))
    assert record is not None and record.backend == "file"
    return record.generation


def _wait_for_background_refresh() -> None:
    for thread in threading.enumerate():
        if thread.name == "semantic-index-refresh":
            thread.join()


def test_the_other_machine_sees_new_papers_without_running_index(
    machines: tuple[Engine, Settings, Settings],
) -> None:
    engine, a, b = machines
    assert not _path(b).exists()
    assert semantic_search(engine, b, "black holes and gravitational physics", 5)
    assert _path(b).exists()  # B built its own file from the stored vectors
    pid = _add_fusion_paper(engine)
    assert index_missing(engine, a) == 1  # on machine A only
    assert semantic_search(engine, b, FUSION, 3)[0][0] == pid
    meta = vi.read_meta(_path(b))
    assert meta is not None and meta.generation == _recorded_generation(engine, a)
    with Session(engine) as session:
        near = similar_for_page(session, paper_by_title(session, "Tokamak plasma"), 3, b)
        assert len(near) == 3 and pid not in [p.id for p in near]


def test_a_lost_or_damaged_file_is_rebuilt_by_the_web_server(
    machines: tuple[Engine, Settings, Settings],
) -> None:
    engine, _, b = machines
    first = semantic_search(engine, b, "black holes and gravitational physics", 5)
    vi.remove_files(_path(b))
    assert semantic_search(engine, b, "black holes and gravitational physics", 5) == first
    _path(b).write_bytes(b"garbage")
    assert semantic_search(engine, b, "black holes and gravitational physics", 5) == first


def test_nothing_is_rebuilt_while_the_stored_vectors_stay_the_same(
    machines: tuple[Engine, Settings, Settings],
) -> None:
    engine, a, b = machines
    semantic_search(engine, b, "black holes", 5)
    stamp = _path(b).stat().st_mtime_ns
    assert index_missing(engine, a) == 0
    semantic_search(engine, b, "black holes", 5)
    assert _path(b).stat().st_mtime_ns == stamp


def test_a_large_index_is_refreshed_in_the_background(
    machines: tuple[Engine, Settings, Settings], monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine, a, b = machines
    monkeypatch.setattr(refresh, "SYNC_LIMIT", 0)  # as if the collection were large
    with pytest.raises(SemanticUnavailable, match="being built"):
        semantic_search(engine, b, FUSION, 3)  # no file on B yet: says so, no wrong answer
    _wait_for_background_refresh()
    before = semantic_search(engine, b, FUSION, 3)
    pid = _add_fusion_paper(engine)
    index_missing(engine, a)
    # B keeps answering from its old file while the new one is built...
    assert semantic_search(engine, b, FUSION, 3) == before
    _wait_for_background_refresh()
    # ...then answers from the new one.
    assert semantic_search(engine, b, FUSION, 3)[0][0] == pid
