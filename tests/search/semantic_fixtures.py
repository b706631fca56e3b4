"""Shared setup for the semantic-search tests: the bundled real arXiv demo papers in a
fresh database on each backend, and settings whose data directory is the test's own."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from paperfeed.config import Settings, load_settings
from paperfeed.demo.builder import build_demo
from paperfeed.storage.models import Paper


def settings_for(engine: Engine, tmp_path: Path, **overrides: object) -> Settings:
    url = engine.url.render_as_string(hide_password=False)
    return load_settings(database_url=url, data_dir=tmp_path / "data", **overrides)


def load_demo(engine: Engine) -> int:
    return build_demo(engine).papers


def indexed_demo(engine: Engine, tmp_path: Path) -> Settings:
    """The demo papers in `engine`, embedded and indexed; the settings that find them."""
    from paperfeed.search.indexing import index_missing

    load_demo(engine)
    settings = settings_for(engine, tmp_path)
    index_missing(engine, settings)
    return settings


def paper_by_title(session: Session, words: str) -> Paper:
    paper = session.scalars(select(Paper).where(Paper.title.contains(words))).first()
    assert paper is not None, words
    return paper


def archive(paper: Paper) -> str:
    return (paper.primary_category or "").split(".")[0]
