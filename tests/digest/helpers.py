"""Subscribing and sending as the tests need it."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from paperfeed.digest import notices
from paperfeed.digest.outbox import Report
from paperfeed.digest.service import send
from paperfeed.digest.subscriptions import Outcome, Preferences, subscribe
from paperfeed.mail import mailer
from paperfeed.storage.engine import write_session
from paperfeed.storage.models import DigestOutbox, Subscription
from tests.digest.conftest import NOW, Env


def add_subscriber(env: Env, email: str, *, confirmed: bool = True, mail: bool = True,
                   **prefs: Any) -> Outcome:
    """Subscribe `email` (confirmed by the operator, or pending with its confirmation
    mailed to the loopback server)."""
    with write_session(env.engine) as session:
        outcome = subscribe(session, email, env.settings, now=NOW,
                            prefs=Preferences(**prefs) if prefs else None,
                            confirmed=confirmed)
        letter = notices.letter_for(session, env.settings, outcome)
        if letter is not None and mail:
            mailer.send(env.settings, outcome.subscription.email, letter)
    return outcome


def send_period(env: Env) -> Report:
    return send(env.engine, env.settings, env.period)


def digests_to(env: Env, email: str) -> list[EmailMessage]:
    return [m for m in env.smtp.messages
            if m["To"] == email and "digest" in str(m.get("List-Id", ""))]


def subscription(env: Env, email: str) -> Subscription:
    with Session(env.engine) as session:
        row = session.scalars(select(Subscription).where(
            Subscription.email_key == email.lower())).one()
        return row


def outbox_rows(env: Env) -> list[DigestOutbox]:
    with Session(env.engine) as session:
        return list(session.scalars(select(DigestOutbox).order_by(DigestOutbox.id)).all())


def parts(message: EmailMessage) -> tuple[str, str]:
    """(text part, html part) of a digest."""
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())
