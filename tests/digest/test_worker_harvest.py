"""The worker's harvest job against a real HTTP server replaying arXiv's RSS: papers
stored, the rule matches listed and ranked, the new papers embedded; once per
announcement, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paperfeed.config import DailyRules, WorkerSettings
from paperfeed.storage.models import DailyEntry, Paper, PaperEmbedding
from paperfeed.worker.runner import Worker
from tests.conftest import FIXTURES
from tests.digest.conftest import Env
from tests.sources.replay import Reply, serve

pytestmark = pytest.mark.slow


def test_the_harvest_job_runs_after_the_announcement(env: Env) -> None:
    feed = (FIXTURES / "arxiv_rss_2024-11-28_all_archives_1504items.xml").read_bytes()
    with serve(lambda _request: Reply(body=feed)) as server:
        settings = env.settings.model_copy(update={
            "rules": DailyRules(categories=["hep-lat"]),
            "worker": WorkerSettings(harvest_categories=["hep-lat"], rss_url=server.url),
        })
        # Thursday 28 November 2024, 21:00 in New York: after the 20:30 announcement.
        evening = datetime(2024, 11, 29, 2, 0, tzinfo=UTC)
        events: list[str] = []
        worker = Worker(env.engine, settings, clock=lambda: evening, on_event=events.append)
        done = worker.run_due()
        assert any(line.startswith("harvest: 1504 new") for line in done), done
        assert worker.run_due() == []  # once per announcement
        assert len(server.requests) == 1
    with Session(env.engine) as session:
        listed = session.scalars(select(Paper).join(
            DailyEntry, DailyEntry.paper_id == Paper.id).where(
            DailyEntry.day == datetime(2024, 11, 28, tzinfo=UTC).date())).all()
        assert listed and all("hep-lat" in p.categories for p in listed)
        assert all(p.trending_key is not None for p in listed)  # ranked on arrival
        embedded = session.scalar(select(func.count()).select_from(PaperEmbedding))
    assert embedded and embedded >= 1504
