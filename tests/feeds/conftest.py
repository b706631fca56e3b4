"""A demo site with papers whose text is hard on feeds (``]]>``, control characters,
``&``, markup and TeX), on SQLite and on PostgreSQL; and helpers to read feeds as a
feed reader does (feedparser)."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.storage.engine import write_session
from paperfeed.storage.models import DailyEntry, Paper
from paperfeed.web.app import create_app
from tests.web.conftest import make_settings, site_engine

__all__ = ["site_engine"]

BASE_URL = "https://papers.example.org"
HARD_DAY = date(2024, 11, 30)  # after the demo's days and the hostile papers' day
CDATA_ID, CONTROL_ID, TEX_ID = "2411.99101", "2411.99102", "2411.99103"
CDATA_TITLE = "Ends ]]> early & <b>bold</b> claims"
CDATA_ABSTRACT = "We show x ]]> y, <![CDATA[ z ]]> and a < b && c > d."
CONTROL_TITLE = "Control\x01 characters\x0b and\x1b escapes"
CONTROL_ABSTRACT = "Bell\x07 and form\x0c feed\x08 and\x7f delete."
TEX_TITLE = r"Schr\"odinger operators on Erd\H{o}s graphs \& $\mathbb{R}^n$"
TEX_ABSTRACT = r"For $0<\alpha<1$ we bound $\sum_i x_i$ \& more, \`a la Erd\H{o}s."
# What a reader must see: TeX accents as letters, math as its TeX source.
SHOWN = {
    CDATA_ID: (CDATA_TITLE, CDATA_ABSTRACT),
    CONTROL_ID: ("Control characters and escapes", "Bell and form feed and delete."),
    TEX_ID: (r"Schrödinger operators on Erdős graphs & $\mathbb{R}^n$",
             r"For $0<\alpha<1$ we bound $\sum_i x_i$ & more, à la Erdős."),
}


def add_hard_papers(engine: Engine) -> None:
    with write_session(engine) as session:
        papers = [
            Paper(arxiv_id=CDATA_ID, version=1, title=CDATA_TITLE, abstract=CDATA_ABSTRACT,
                  authors=["Ann <Smith> & Co"], primary_category="cs.LG",
                  categories=["cs.LG"], published=date(2024, 11, 30)),
            Paper(arxiv_id=CONTROL_ID, version=2, title=CONTROL_TITLE,
                  abstract=CONTROL_ABSTRACT, authors=["Bob\x01 Builder"],
                  primary_category="cs.LG", categories=["cs.LG", "stat.ML"],
                  published=date(2024, 11, 29), updated=date(2024, 11, 30)),
            Paper(arxiv_id=TEX_ID, version=1, title=TEX_TITLE, abstract=TEX_ABSTRACT,
                  authors=[r"Paul Erd\H{o}s"], primary_category="math.CO",
                  categories=["math.CO"], published=date(2024, 11, 30), vote_count=5),
        ]
        session.add_all(papers)
        session.flush()
        noon = datetime(2024, 11, 30, 12, tzinfo=UTC).replace(tzinfo=None)  # stored naive
        session.add_all(DailyEntry(day=HARD_DAY, paper_id=p.id, source="manual",
                                   submitted_at=noon) for p in papers)


@pytest.fixture(scope="module")
def feeds_engine(site_engine: Engine) -> Engine:
    add_hard_papers(site_engine)
    return site_engine


@pytest.fixture
def reader(feeds_engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    """An anonymous client of the site, whose public URL is :data:`BASE_URL`."""
    settings = make_settings(feeds_engine, tmp_path, base_url=BASE_URL)
    with TestClient(create_app(settings, feeds_engine), follow_redirects=False) as client:
        yield client


def parsed(response: Any) -> Any:
    """The feed of a 200 response as feedparser reads it; it must be well-formed."""
    assert response.status_code == 200, response.text
    result = feedparser.parse(response.content)
    assert result.bozo == 0, result.get("bozo_exception")
    return result


def shown(detail: Any) -> str:
    """What a reader shows of a text construct: plain text as it is; HTML (which must
    hold no markup, only escaped text) as its text."""
    if detail.type == "text/html":
        assert "<" not in detail.value, detail.value
        return html.unescape(detail.value)
    assert detail.type == "text/plain", detail.type
    return str(detail.value)


def entry(result: Any, arxiv_id: str) -> Any:
    """The entry of the paper `arxiv_id` (by its link to the paper's page)."""
    url = f"{BASE_URL}/papers/{arxiv_id}"
    found = [e for e in result.entries if e.link == url]
    assert found, [e.link for e in result.entries]
    return found[0]


def ids_of(result: Any) -> list[str]:
    prefix = f"{BASE_URL}/papers/"
    return [e.link.removeprefix(prefix) for e in result.entries]
