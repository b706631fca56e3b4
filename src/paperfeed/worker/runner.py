"""The worker loop: hold the database lock named ``worker`` (so two workers started by
mistake never both act), run each job when it is due, remember when it last ran (in the
saved-state table, so a restart does not run it again), and stop cleanly when asked
(SIGTERM: the message being sent is finished, the rest is left for the next run).

A job that fails, or leaves work for later (digests waiting for the mail server to come
back), is not recorded as run: it is tried again :data:`RETRY_AFTER` later, and again,
until it completes or its next scheduled time comes."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from paperfeed.config import Settings
from paperfeed.storage import harvest_state
from paperfeed.storage.locks import DatabaseLock
from paperfeed.worker.schedule import Job, is_due, jobs

log = logging.getLogger(__name__)
STATE_SOURCE = "worker"
RETRY_AFTER = timedelta(minutes=10)  # a failed or unfinished job is tried again after this

# A job: (engine, settings, the stop event, the moment it runs for, aware UTC) -> summary.
JobFunction = Callable[[Engine, Settings, threading.Event, datetime], str]


class JobIncomplete(Exception):
    """A job did part of its work and left the rest for a later try (the message says
    what); it is not recorded as run."""


def _aware_now() -> datetime:
    return datetime.now(UTC)


def last_run(engine: Engine, name: str) -> datetime | None:
    saved = harvest_state.load(engine, STATE_SOURCE, name)
    if not saved or "at" not in saved:
        return None
    try:
        return datetime.fromisoformat(str(saved["at"]))
    except ValueError:
        return None


def record_run(engine: Engine, name: str, when: datetime, summary: str) -> None:
    harvest_state.save(engine, STATE_SOURCE, name, {"at": when.isoformat(),
                                                    "summary": summary[:500]})


# -- the jobs -----------------------------------------------------------------------------


def harvest_job(engine: Engine, settings: Settings, stop: threading.Event,
                now: datetime) -> str:
    """Harvest the configured RSS categories (rules put matches on the day's list), rank
    the new list entries, embed the new papers."""
    from paperfeed.ingest.harvest import harvest_rss
    from paperfeed.sources.gate import file_gate
    from paperfeed.sources.http import PoliteClient
    from paperfeed.sources.outbound import allowed_hosts, limits_from

    gate = file_gate(settings.data_dir / "arxiv-requests.lock")
    client = PoliteClient(settings.user_agent, settings.request_interval, gate=gate,
                          limits=limits_from(settings), hosts=allowed_hosts(settings))
    with client:
        report = harvest_rss(engine, client, categories=settings.worker.harvest_categories,
                             rules=settings.rules, base_url=settings.worker.rss_url)
    ranked = rank_new_entries(engine)
    embedded = embed_new(engine, settings)
    return (f"{report.added} new, {report.updated} updated, {report.listed} listed, "
            f"{ranked} ranked, {embedded}")


def rank_new_entries(engine: Engine) -> int:
    """Give papers on a visible list that have no trending key yet their key."""
    from sqlalchemy.orm import Session

    from paperfeed.community.counts import refresh_votes
    from paperfeed.storage.models import DailyEntry, Paper
    from paperfeed.storage.retry import run_transaction

    def rank(session: Session) -> int:
        ids = session.scalars(
            select(Paper.id).where(Paper.trending_key.is_(None))
            .where(select(DailyEntry.id).where(DailyEntry.paper_id == Paper.id,
                                               DailyEntry.hidden.is_(False)).exists())
        ).all()
        for paper_id in ids:
            refresh_votes(session, paper_id)
        return len(ids)

    return run_transaction(engine, rank)  # re-run whole after a deadlock (votes meanwhile)


def embed_new(engine: Engine, settings: Settings) -> str:
    from paperfeed.search.embedder import ModelUnavailable
    from paperfeed.search.indexing import index_missing

    try:
        count = index_missing(engine, settings)
    except ModelUnavailable as exc:
        return f"semantic index not updated ({exc})"
    return f"{count} embedded"


def digest_job(kind: str) -> JobFunction:
    def run(engine: Engine, settings: Settings, stop: threading.Event, now: datetime) -> str:
        from paperfeed.digest.periods import just_ended
        from paperfeed.digest.service import send, today

        period = just_ended(kind, today(settings, now))
        # The outbox schedules its retries on the worker's clock, running on from `now`.
        offset = now - _aware_now()
        report = send(engine, settings, period, stop=stop,
                      clock=lambda: (_aware_now() + offset).replace(tzinfo=None))
        summary = (f"{period.kind} {period.start}: {report.sent} sent, {report.empty} empty, "
                   f"{report.retried} retried, {report.failed} failed, "
                   f"{report.unknown} unknown")
        if report.waiting and not stop.is_set():
            problem = f"; {report.problems[-1]}" if report.problems else ""
            raise JobIncomplete(f"{summary}, {report.waiting} waiting to be sent{problem}")
        return summary
    return run


JOB_FUNCTIONS: dict[str, JobFunction] = {
    "harvest": harvest_job,
    "digest-daily": digest_job("daily"),
    "digest-weekly": digest_job("weekly"),
}


# -- the loop -----------------------------------------------------------------------------


@dataclass(slots=True)
class Worker:
    engine: Engine
    settings: Settings
    stop: threading.Event = field(default_factory=threading.Event)
    clock: Callable[[], datetime] = _aware_now
    functions: dict[str, JobFunction] = field(default_factory=lambda: dict(JOB_FUNCTIONS))
    on_event: Callable[[str], None] = log.info
    holder: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    _failed: dict[str, datetime] = field(default_factory=dict)  # job -> when it last failed

    def run_due(self) -> list[str]:
        """Run every job that is due now, once; returns their summaries."""
        done: list[str] = []
        for job in jobs(self.settings):
            if self.stop.is_set():
                break
            now = self.clock()
            if not is_due(job, now, last_run(self.engine, job.name)):
                continue
            failed = self._failed.get(job.name)
            if failed is not None and now - failed < RETRY_AFTER:
                continue
            done.append(self._run(job, now))
        return done

    def _run(self, job: Job, now: datetime) -> str:
        self.on_event(f"{job.name}: started")
        try:
            summary = self.functions[job.name](self.engine, self.settings, self.stop, now)
        except Exception as exc:  # one failing job must not stop the others
            if isinstance(exc, JobIncomplete):
                summary = f"unfinished: {exc}"
            else:
                log.exception("worker job %s failed", job.name)
                summary = f"failed: {exc}"
            self._failed[job.name] = now
            minutes = int(RETRY_AFTER.total_seconds() // 60)
            self.on_event(f"{job.name}: {summary} (tried again in {minutes} minutes)")
            return f"{job.name}: {summary}"
        self._failed.pop(job.name, None)
        if not self.stop.is_set():
            record_run(self.engine, job.name, now, summary)
        self.on_event(f"{job.name}: {summary}")
        return f"{job.name}: {summary}"

    def run(self, *, once: bool = False) -> int:
        """Act while holding the lock (waiting for it while another worker holds it);
        `once`: run what is due and return. Returns 0, or 1 when `once` found the lock
        taken."""
        lock = DatabaseLock(self.engine, "worker", self.holder)
        waiting_said = False
        try:
            while not self.stop.is_set():
                if not lock.acquire():
                    if once:
                        self.on_event(f"another worker holds the lock ({lock.holder()})")
                        return 1
                    if not waiting_said:
                        self.on_event(f"waiting: another worker holds the lock "
                                      f"({lock.holder()})")
                        waiting_said = True
                else:
                    self.run_due()
                    if once:
                        return 0
                self.stop.wait(self.settings.worker.poll_seconds)
        finally:
            lock.release()
        return 0
