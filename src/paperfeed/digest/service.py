"""The digest use cases the CLI, the worker and the web share: which period a run is
for, preview one subscriber's digest, send a period's digests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperfeed.config import Settings
from paperfeed.digest import links, outbox, periods, subscriptions
from paperfeed.digest.compose import Composer, Digest
from paperfeed.digest.emails import DigestRenderer
from paperfeed.digest.periods import Period
from paperfeed.mail import mailer
from paperfeed.mail.letters import Letter
from paperfeed.mail.transport import Transport


def today(settings: Settings, now: datetime | None = None) -> date:
    """Today in the digest's time zone."""
    moment = now or datetime.now(UTC)
    return moment.astimezone(ZoneInfo(settings.digest.timezone)).date()


def period_for(settings: Settings, kind: str, day: date | None = None) -> Period:
    """The period of `kind` containing `day`; without a day, the one that just ended."""
    if day is not None:
        return periods.containing(kind, day)
    return periods.just_ended(kind, today(settings))


@dataclass(slots=True)
class Preview:
    digest: Digest
    letter: Letter
    message: EmailMessage


class NotSubscribed(LookupError):
    pass


def preview(engine: Engine, settings: Settings, email: str, period: Period) -> Preview:
    """Exactly what `email`'s digest for `period` would be (NotSubscribed if there is no
    subscription for that address)."""
    with Session(engine) as session:
        subscription = subscriptions.find(session, email.strip())
    if subscription is None:
        raise NotSubscribed(f"{email} is not subscribed")
    with Composer(engine, settings, period) as composer:
        digest = composer.compose(subscription)
    key = settings.secret_key.get_secret_value()
    unsubscribe = links.link(settings.base_url, key, "unsubscribe", subscription)
    letter = DigestRenderer(settings, period).render(
        digest, manage_url=links.link(settings.base_url, key, "manage", subscription),
        unsubscribe_url=unsubscribe)
    message = mailer.message(settings, subscription.email, letter, list_name="digest",
                             unsubscribe_url=unsubscribe)
    return Preview(digest, letter, message)


def send(engine: Engine, settings: Settings, period: Period, *,
         transport: Transport | None = None, stop: threading.Event | None = None,
         progress: Callable[[int], None] | None = None,
         on_total: Callable[[int], None] | None = None,
         clock: Callable[[], datetime] = outbox.utcnow) -> outbox.Report:
    """Queue `period`'s digests (once per active subscription) and send what is due.
    `clock` gives now as naive UTC; retries are scheduled and found due by it."""
    queued = outbox.enqueue(engine, period, now=clock())
    sender = outbox.Sender(engine, settings, period, transport=transport, stop=stop,
                           progress=progress, clock=clock)
    if on_total is not None:
        on_total(sender.pending())
    report = sender.run()
    report.queued = queued
    return report


def datetime_now() -> datetime:
    """Now as the database stores times: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)
