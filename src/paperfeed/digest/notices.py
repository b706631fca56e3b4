"""The mails subscribing sends: the confirmation link, and, to an address that is
already subscribed, a reminder with its manage link (so the form never tells anyone
whether an address is on the list)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from paperfeed.accounts.sessions import token_id
from paperfeed.config import Settings
from paperfeed.digest import links
from paperfeed.digest.subscriptions import Outcome, Preferences, subscribe
from paperfeed.mail import mailer
from paperfeed.mail.letters import Letter, notice
from paperfeed.storage.engine import write_session
from paperfeed.storage.models import MailToken


def confirmation_letter(settings: Settings, confirm_url: str) -> Letter:
    hours = settings.digest.confirm_hours
    return notice(
        settings,
        subject=f"Confirm your {settings.site_name} digest",
        paragraphs=[
            f"Someone, hopefully you, asked for {settings.site_name}'s trending papers "
            "at this address.",
            "Nothing will be sent until you confirm:",
        ],
        button=("Confirm my subscription", confirm_url),
        after=[f"The link works once, for {hours} hours. If you did not ask for this, "
               "ignore this mail and you will hear nothing more."],
    )


def reminder_letter(settings: Settings, manage_url: str) -> Letter:
    return notice(
        settings,
        subject=f"You are subscribed to {settings.site_name}",
        paragraphs=[
            f"Someone asked to subscribe this address to {settings.site_name}'s digest. "
            "It is subscribed already, so nothing changed.",
            "To change what you get, or to leave:",
        ],
        button=("Manage my subscription", manage_url),
    )


def confirm_url(settings: Settings, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}/digest/confirm?token={token}"


def letter_for(session: Session, settings: Settings, outcome: Outcome) -> Letter | None:
    """What to mail after subscribing, or None (``throttled``, ``subscribed``)."""
    if outcome.action == "confirm" and outcome.confirm_token:
        return confirmation_letter(settings, confirm_url(settings, outcome.confirm_token))
    if outcome.action == "already":
        key = settings.secret_key.get_secret_value()
        return reminder_letter(settings, links.link(settings.base_url, key, "manage",
                                                    outcome.subscription))
    return None


def subscribe_and_notify(
    engine: Engine, settings: Settings, email: str, *, now: datetime,
    prefs: Preferences | None = None, user_id: int | None = None, confirmed: bool = False,
) -> Outcome:
    """Subscribe (committed first, so no database lock is held while mailing), then mail
    the confirmation or the reminder. When the mail cannot be sent (the transport's
    MailError, re-raised) its link is withdrawn, so asking again sends a new one at once;
    a pending subscription that was never mailed sends nothing."""
    with write_session(engine) as session:
        outcome = subscribe(session, email, settings, now=now, prefs=prefs,
                            user_id=user_id, confirmed=confirmed)
        letter = letter_for(session, settings, outcome)
    if letter is None:
        return outcome
    try:
        mailer.send(settings, outcome.subscription.email, letter)
    except Exception:
        if outcome.confirm_token:
            with write_session(engine) as session:
                session.execute(delete(MailToken).where(
                    MailToken.token_hash == token_id(outcome.confirm_token)))
        raise
    return outcome
