"""The digest outbox: every digest is sent at most once, whatever crashes on the way.

Each (subscription, period) is one row under a unique constraint, written by
:func:`enqueue` for every active subscription (running it twice adds nothing). Senders
claim rows atomically (``UPDATE … RETURNING``; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
SQLite's single writer elsewhere), so two senders at once never take the same row. A
row then moves through:

- ``claimed``: composed and rendered; nothing has reached the mail server yet, so a
  sender that dies here leaves a row the next run takes back (:func:`recover`).
- ``sending``: committed just before the message goes to the server. Success makes
  it ``sent``. A sender that dies here, or a connection lost after the message data
  went out, leaves it ``unknown``: the server may have delivered it, and a duplicate
  is worse than a gap, so it is reported and never sent again.
- a temporary failure (4xx, connection refused) puts it back to ``pending`` with
  exponential backoff, until ``max_attempts``; a permanent one (5xx) makes it
  ``failed`` and counts a bounce, which pauses the subscription at
  ``max_hard_bounces``.
- ``empty`` (nothing to send, unless ``send_empty``) and ``skipped`` (the
  subscription left or paused meanwhile) end a row without mail.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session

from paperfeed.config import Settings
from paperfeed.digest import links
from paperfeed.digest.compose import Composer
from paperfeed.digest.emails import DigestRenderer
from paperfeed.digest.periods import Period
from paperfeed.digest.subscriptions import count_bounce
from paperfeed.mail import mailer
from paperfeed.mail.transport import (
    MailError,
    PermanentFailure,
    TemporaryFailure,
    Transport,
    UnknownOutcome,
)
from paperfeed.storage.dialect import is_sqlite
from paperfeed.storage.engine import write_session
from paperfeed.storage.models import DigestOutbox, Subscription
from paperfeed.storage.retry import run_connection, run_transaction

CLAIM_BATCH = 20
# A claim older than this whose sender cannot be checked (another machine) is stale.
LEASE = timedelta(minutes=30)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def sender_id() -> str:
    """Who claims rows: host, process and a random part (a reused pid is not the same
    sender)."""
    return f"{socket.gethostname()[:100]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(slots=True)
class Report:
    """What a run did (``retried``: temporary failures met; ``waiting``: rows left for
    a later run to retry)."""

    queued: int = 0
    sent: int = 0
    empty: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0
    recovered: int = 0
    waiting: int = 0
    paused: int = 0
    halted: bool = False  # a mail configuration error ended the run
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.failed or self.unknown)


def enqueue(engine: Engine, period: Period, *, now: datetime | None = None) -> int:
    """One pending row per active subscription of `period`'s kind that has none for it
    yet; returns how many were added."""
    now = now or utcnow()
    sql = text(
        "INSERT INTO digest_outbox (subscription_id, period, period_start, status, attempts,"
        " next_attempt_at, papers, error, created_at)"
        " SELECT id, :period, :start, 'pending', 0, :due, 0, '', :now FROM subscriptions"
        " WHERE status = 'active' AND period = :kind"
        " ON CONFLICT (subscription_id, period, period_start) DO NOTHING"
    )
    params = {"period": period.kind, "kind": period.kind, "start": period.start, "due": now,
              "now": now}
    return run_connection(engine, lambda conn: int(conn.execute(sql, params).rowcount or 0))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _claim_is_dead(claimed_by: str | None, claimed_at: datetime | None, now: datetime) -> bool:
    """Whether the sender that claimed a row is gone: a process on this machine that no
    longer exists, or a claim older than the lease."""
    if claimed_at is None or claimed_by is None:
        return True
    host, _, rest = claimed_by.partition(":")
    pid = rest.partition(":")[0]
    if host == socket.gethostname()[:100] and pid.isdigit():
        return not _pid_alive(int(pid))
    return now - claimed_at > LEASE


def recover(engine: Engine, *, now: datetime | None = None) -> tuple[int, int]:
    """Take back rows of senders that died: ``claimed`` rows go back to ``pending``;
    ``sending`` rows become ``unknown`` (the message may have gone out). Returns
    (taken back, marked unknown)."""
    now = now or utcnow()
    return run_transaction(engine, lambda session: _recover(session, now))


def _recover(session: Session, now: datetime) -> tuple[int, int]:
    """:func:`recover`'s transaction (re-run whole after a deadlock)."""
    back = unknown = 0
    rows = session.scalars(
        select(DigestOutbox).where(DigestOutbox.status.in_(("claimed", "sending")))
    ).all()
    for row in rows:
        if not _claim_is_dead(row.claimed_by, row.claimed_at, now):
            continue
        if row.status == "claimed":
            row.status, row.claimed_by, row.claimed_at = "pending", None, None
            row.attempts = max(0, row.attempts - 1)
            back += 1
        else:
            row.status = "unknown"
            row.error = ("the sender stopped while handing this digest to the mail "
                         "server; it may have been delivered, so it is not sent again")
            unknown += 1
    return back, unknown


def claim(engine: Engine, period: Period, me: str, *, now: datetime,
          limit: int = CLAIM_BATCH) -> list[tuple[int, int]]:
    """Atomically claim up to `limit` due pending rows of `period` for sender `me`;
    returns (outbox id, subscription id) pairs."""
    lock = "" if is_sqlite(engine) else " FOR UPDATE SKIP LOCKED"
    sql = text(
        "UPDATE digest_outbox SET status = 'claimed', claimed_by = :me, claimed_at = :now,"
        " attempts = attempts + 1"
        " WHERE status = 'pending' AND id IN (SELECT id FROM digest_outbox"
        " WHERE period = :kind AND period_start = :start AND status = 'pending'"
        f" AND next_attempt_at <= :now ORDER BY id LIMIT :limit{lock})"
        " RETURNING id, subscription_id"
    )
    params = {"me": me, "now": now, "kind": period.kind, "start": period.start,
              "limit": limit}
    rows = run_connection(engine, lambda conn: conn.execute(sql, params).all())
    return sorted((int(r[0]), int(r[1])) for r in rows)


def release(engine: Engine, me: str) -> None:
    """Give back what `me` claimed but did not start sending (on a clean stop)."""
    sql = text("UPDATE digest_outbox SET status = 'pending', claimed_by = NULL,"
               " claimed_at = NULL, attempts = attempts - 1"
               " WHERE status = 'claimed' AND claimed_by = :me")
    run_connection(engine, lambda conn: conn.execute(sql, {"me": me}))


def _finish(engine: Engine, outbox_id: int, **values: object) -> None:
    """Set `values` on one row (one UPDATE, committed)."""
    stmt = update(DigestOutbox).where(DigestOutbox.id == outbox_id).values(**values)
    run_connection(engine, lambda conn: conn.execute(stmt))


class Sender:
    """Sends the due digests of one period (see the module notes). ``stop`` (a
    threading.Event) ends the run after the current message."""

    def __init__(self, engine: Engine, settings: Settings, period: Period, *,
                 transport: Transport | None = None, stop: threading.Event | None = None,
                 clock: Callable[[], datetime] = utcnow,
                 progress: Callable[[int], None] | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.period = period
        self.me = sender_id()
        self.stop = stop or threading.Event()
        self.clock = clock
        self.progress = progress or (lambda _done: None)
        self.report = Report()
        self._transport = transport
        self._own_transport = transport is None
        self._composer: Composer | None = None
        self._renderer: DigestRenderer | None = None
        self._key = settings.secret_key.get_secret_value()

    def _count(self, *statuses: str) -> int:
        with Session(self.engine) as session:
            return int(session.scalar(select(func.count()).select_from(DigestOutbox).where(
                DigestOutbox.period == self.period.kind,
                DigestOutbox.period_start == self.period.start,
                DigestOutbox.status.in_(statuses))) or 0)

    def pending(self) -> int:
        return self._count("pending", "claimed")

    def _transport_now(self) -> Transport:
        if self._transport is None:
            self._transport = mailer.transport(self.settings)
        return self._transport

    def close(self) -> None:
        if self._transport is not None and self._own_transport:
            self._transport.close()
            self._transport = None

    def _close_composer(self) -> None:
        if self._composer is not None:
            self._composer.close()
            self._composer = None

    def run(self) -> Report:
        """Recover dead senders' rows, then send until nothing is due; wait for retries
        due within ``retry_window`` seconds; give back unsent claims when stopped."""
        back, unknown = recover(self.engine, now=self.clock())
        self.report.recovered, self.report.unknown = back, self.report.unknown + unknown
        started = time.monotonic()
        try:
            while not self._stopping():
                batch = claim(self.engine, self.period, self.me, now=self.clock())
                if batch:
                    self._send_batch(batch)
                    continue
                wait = self._next_retry_in()
                window = self.settings.digest.retry_window - (time.monotonic() - started)
                if wait is None or wait > window:
                    break
                self.stop.wait(max(0.0, wait))
        finally:
            release(self.engine, self.me)
            self.close()
            self._close_composer()
        self.report.waiting = self._count("pending")
        return self.report

    def _stopping(self) -> bool:
        return self.report.halted or self.stop.is_set()

    def _next_retry_in(self) -> float | None:
        with Session(self.engine) as session:
            due = session.scalar(select(DigestOutbox.next_attempt_at).where(
                DigestOutbox.period == self.period.kind,
                DigestOutbox.period_start == self.period.start,
                DigestOutbox.status == "pending",
            ).order_by(DigestOutbox.next_attempt_at).limit(1))
        if due is None:
            return None
        return max(0.0, (due - self.clock()).total_seconds())

    def _send_batch(self, batch: list[tuple[int, int]]) -> None:
        for outbox_id, subscription_id in batch:
            if self._stopping():
                return  # the rest is released by run()
            self._send_one(outbox_id, subscription_id)
            self.progress(1)

    def _compose_parts(self) -> tuple[Composer, DigestRenderer]:
        if self._composer is None or self._renderer is None:
            self._composer = Composer(self.engine, self.settings, self.period)
            self._renderer = DigestRenderer(self.settings, self.period)
        return self._composer, self._renderer

    def _send_one(self, outbox_id: int, subscription_id: int) -> None:
        with Session(self.engine) as session:
            subscription = session.get(Subscription, subscription_id)
        if subscription is None or subscription.status != "active":
            _finish(self.engine, outbox_id, status="skipped", claimed_by=None)
            self.report.skipped += 1
            return
        composer, renderer = self._compose_parts()
        digest = composer.compose(subscription)
        if digest.is_empty and not self.settings.digest.send_empty:
            _finish(self.engine, outbox_id, status="empty", claimed_by=None)
            self.report.empty += 1
            return
        base = self.settings.base_url
        unsubscribe = links.link(base, self._key, "unsubscribe", subscription)
        letter = renderer.render(
            digest, manage_url=links.link(base, self._key, "manage", subscription),
            unsubscribe_url=unsubscribe)
        message = mailer.message(self.settings, subscription.email, letter,
                                 list_name="digest", unsubscribe_url=unsubscribe)
        _finish(self.engine, outbox_id, status="sending", papers=digest.papers,
                message_id=str(message["Message-ID"]))
        self._deliver(outbox_id, subscription_id, message)

    def _deliver(self, outbox_id: int, subscription_id: int, message: EmailMessage) -> None:
        try:
            self._transport_now().send(message)
        except UnknownOutcome as exc:
            _finish(self.engine, outbox_id, status="unknown", error=str(exc)[:2000])
            self.report.unknown += 1
            self.report.problems.append(f"{message['To']}: {exc} (not sent again)")
        except PermanentFailure as exc:
            self._bounce(outbox_id, subscription_id, str(exc))
        except TemporaryFailure as exc:
            self._retry_later(outbox_id, str(exc))
        except MailError as exc:  # configuration: nothing was sent
            _finish(self.engine, outbox_id, status="pending", claimed_by=None,
                    error=str(exc)[:2000])
            self.report.halted = True  # ends this run, not the caller's (stop is theirs)
            self.report.problems.append(str(exc))
        else:
            _finish(self.engine, outbox_id, status="sent", sent_at=self.clock(), error="")
            self.report.sent += 1

    def _bounce(self, outbox_id: int, subscription_id: int, error: str) -> None:
        now = self.clock()
        with write_session(self.engine) as session:
            row = session.get(DigestOutbox, outbox_id)
            subscription = session.get(Subscription, subscription_id)
            if row is not None:
                row.status, row.error = "failed", error[:2000]
            if subscription is not None and count_bounce(
                    subscription, limit=self.settings.digest.max_hard_bounces, now=now):
                self.report.paused += 1
        self.report.failed += 1
        self.report.problems.append(f"bounced: {error}")

    def _retry_later(self, outbox_id: int, error: str) -> None:
        settings = self.settings.digest
        self.report.retried += 1
        with write_session(self.engine) as session:
            row = session.get(DigestOutbox, outbox_id)
            if row is None:
                return
            row.error = error[:2000]
            row.claimed_by = None
            if row.attempts >= settings.max_attempts:
                row.status = "failed"
                self.report.failed += 1
                self.report.problems.append(f"gave up after {row.attempts} tries: {error}")
                return
            delay = settings.retry_seconds * (2 ** max(0, row.attempts - 1))
            row.status = "pending"
            row.next_attempt_at = self.clock() + timedelta(seconds=delay)
        self.close()  # the connection may be unusable; the next message reconnects


def dry_run(engine: Engine, settings: Settings, period: Period) -> Report:
    """What sending `period` would do now, with nothing written and nothing sent."""
    report = Report()
    with Session(engine) as session:
        done = set(session.scalars(select(DigestOutbox.subscription_id).where(
            DigestOutbox.period == period.kind, DigestOutbox.period_start == period.start,
            DigestOutbox.status.not_in(("pending", "claimed")))).all())
        subscriptions = session.scalars(select(Subscription).where(
            Subscription.status == "active", Subscription.period == period.kind)).all()
    with Composer(engine, settings, period) as composer:
        for subscription in subscriptions:
            if subscription.id in done:
                report.skipped += 1
            elif composer.compose(subscription).is_empty and not settings.digest.send_empty:
                report.empty += 1
            else:
                report.sent += 1
    return report
