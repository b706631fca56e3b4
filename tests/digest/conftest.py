"""A small database with a period's papers (some listed and upvoted), a real SMTP server
on loopback, and settings that send to it; on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from paperfeed.config import DigestSettings, Settings
from paperfeed.digest.periods import Period, containing
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine, write_session
from paperfeed.storage.models import DailyEntry, Paper
from tests.mail.smtpd import SmtpServer

DAY = date(2026, 11, 30)  # a Monday
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC).replace(tzinfo=None)  # naive UTC, the morning after
HOSTILE_TITLE = "Bold <b>claims</b> & $x^2$ \r\nBcc: victim@example.org"

PAPERS: list[dict[str, Any]] = [
    {"arxiv_id": "2611.00001", "title": "Graph neural networks for molecules",
     "abstract": "We study graph neural networks on molecular graphs.",
     "authors": ["Ada Lovelace", "Alan Turing"], "primary_category": "cs.LG",
     "categories": ["cs.LG", "stat.ML"], "vote_count": 7, "listed": True},
    {"arxiv_id": "2611.00002", "title": HOSTILE_TITLE,
     "abstract": "Diffusion models <script>alert(1)</script> generate images.",
     "authors": ["Mallory <i>Evil</i>"], "primary_category": "cs.CV",
     "categories": ["cs.CV"], "vote_count": 3, "listed": True},
    {"arxiv_id": "2611.00003", "title": "Quantum error correction with cat qubits",
     "abstract": "Bosonic codes protect quantum information.",
     "authors": ["Alice Quantum"], "primary_category": "quant-ph",
     "categories": ["quant-ph"], "vote_count": 0, "listed": False},
    {"arxiv_id": "2611.00004", "title": "Spectral methods for partial differential equations",
     "abstract": "A survey of spectral methods.", "authors": ["Bob Numerics"],
     "primary_category": "math.NA", "categories": ["math.NA"], "vote_count": 0,
     "listed": False},
]
OLD_PAPER = {"arxiv_id": "2610.00009", "title": "Graph neural networks revisited long ago",
             "abstract": "Older graph neural networks work.", "authors": ["Ada Lovelace"],
             "primary_category": "cs.LG", "categories": ["cs.LG"], "vote_count": 50,
             "listed": True}


def add_papers(engine: Engine, day: date = DAY) -> None:
    with write_session(engine) as session:
        for spec in [*PAPERS, OLD_PAPER]:
            values = {k: v for k, v in spec.items() if k != "listed"}
            published = day if spec is not OLD_PAPER else day - timedelta(days=40)
            paper = Paper(version=1, published=published, **values)
            session.add(paper)
            session.flush()
            if spec["listed"]:
                session.add(DailyEntry(day=published, paper_id=paper.id, source="manual"))


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    add_papers(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def make_settings(engine: Engine, tmp: Path, smtp_url: str = "", **digest: Any) -> Settings:
    options: dict[str, Any] = {"retry_seconds": 0.01, "retry_window": 10.0, **digest}
    return Settings(
        database_url=engine.url.render_as_string(hide_password=False), data_dir=tmp,
        secret_key="k" * 32, base_url="https://papers.example.org", smtp_url=smtp_url,
        site_name="Paper Club", mail_from="Paper Club <digest@papers.example.org>",
        digest=DigestSettings(**options),
    )


@dataclass
class Env:
    engine: Engine
    settings: Settings
    smtp: SmtpServer
    period: Period


@pytest.fixture
def env(engine: Engine, smtp: SmtpServer, tmp_path: Path) -> Env:
    return Env(engine, make_settings(engine, tmp_path, smtp.url), smtp,
               containing("daily", DAY))


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
