"""Subscriptions: subscribe (a confirmation mail first), confirm, change preferences,
unsubscribe, and the bounces that pause one. Functions on the caller's session; the
caller commits and mails what they return (see :mod:`paperfeed.digest.notices`)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from paperfeed.accounts import tokens
from paperfeed.config import Settings
from paperfeed.digest.periods import KINDS
from paperfeed.mail.addresses import normalize_address
from paperfeed.mail.message import clean_header
from paperfeed.search.query import normalise_category
from paperfeed.storage.models import Subscription

Action = Literal["confirm", "already", "subscribed", "throttled"]
# A second confirmation mail to one address is sent at most this often.
RESEND_AFTER = timedelta(minutes=5)
MAX_TOPICS = 20
MAX_SEARCHES = 10


class PreferenceError(ValueError):
    """A preference that cannot be saved; the message says which and why."""


@dataclass(slots=True)
class Preferences:
    """What a subscription gets: how often, how many papers, and its topics."""

    period: str = "daily"
    max_papers: int = 10
    categories: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    searches: list[str] = field(default_factory=list)

    @property
    def has_topics(self) -> bool:
        return bool(self.categories or self.keywords or self.authors or self.searches)


def _items(values: list[str], what: str, *, limit: int, longest: int) -> list[str]:
    out: list[str] = []
    for raw in values:
        value = clean_header(raw, limit=len(raw) + 1)  # control characters, spaces
        if not value:
            continue
        if len(value) > longest:
            raise PreferenceError(f"{what} can be at most {longest} characters: {value[:40]}…")
        if value.casefold() not in {v.casefold() for v in out}:
            out.append(value)
    if len(out) > limit:
        raise PreferenceError(f"at most {limit} {what}, please")
    return out


def clean_preferences(prefs: Preferences) -> Preferences:
    """`prefs` checked and tidied (whitespace, duplicates); PreferenceError otherwise."""
    if prefs.period not in KINDS:
        raise PreferenceError("how often is daily or weekly")
    if not 1 <= prefs.max_papers <= 50:
        raise PreferenceError("the number of papers is between 1 and 50")
    categories: list[str] = []
    for raw in _items(prefs.categories, "categories", limit=MAX_TOPICS, longest=40):
        category = normalise_category(raw)
        if category is None:
            raise PreferenceError(f"{raw!r} is not an arXiv category (like cs.LG or math)")
        if category not in categories:
            categories.append(category)
    return Preferences(
        period=prefs.period,
        max_papers=prefs.max_papers,
        categories=categories,
        keywords=_items(prefs.keywords, "keywords", limit=MAX_TOPICS, longest=100),
        authors=_items(prefs.authors, "authors", limit=MAX_TOPICS, longest=100),
        searches=_items(prefs.searches, "saved searches", limit=MAX_SEARCHES, longest=300),
    )


def preferences_of(subscription: Subscription) -> Preferences:
    return Preferences(subscription.period, subscription.max_papers,
                       list(subscription.categories), list(subscription.keywords),
                       list(subscription.authors), list(subscription.searches))


def find(session: Session, email: str) -> Subscription | None:
    return session.scalar(select(Subscription).where(Subscription.email_key == email.lower()))


@dataclass(slots=True)
class Outcome:
    """What subscribing did: ``confirm`` (mail `confirm_token`), ``already`` (active:
    mail a reminder with the manage link instead), ``subscribed`` (confirmed by the
    operator), ``throttled`` (a confirmation went out minutes ago: nothing to mail)."""

    subscription: Subscription
    action: Action
    confirm_token: str | None = None


def subscribe(
    session: Session, email_text: str, settings: Settings, *, now: datetime,
    prefs: Preferences | None = None, user_id: int | None = None, confirmed: bool = False,
) -> Outcome:
    """Subscribe an address (InvalidAddress for a bad one). A new, pending, paused or
    unsubscribed address waits for its confirmation link; an active one is left as it
    is. `confirmed` (the operator's import) makes it active at once. `prefs` replace
    the preferences only for an address that is not active yet (or `confirmed`)."""
    email = normalize_address(email_text)
    clean = clean_preferences(prefs) if prefs is not None else None
    subscription = find(session, email)
    if subscription is None:
        base = clean or Preferences(max_papers=settings.digest.papers)
        subscription = Subscription(
            email=email, email_key=email.lower(), user_id=user_id, status="pending",
            secret=secrets.token_hex(16), hard_bounces=0, created_at=now, updated_at=now)
        _apply(subscription, base)
        session.add(subscription)
        session.flush()
    elif subscription.status == "active" and not confirmed:
        return Outcome(subscription, "already")
    else:
        if clean is not None:
            _apply(subscription, clean)
        if user_id is not None and subscription.user_id is None:
            subscription.user_id = user_id
    if confirmed:
        activate(subscription, now=now)
        return Outcome(subscription, "subscribed")
    subscription.status = "pending"
    last = tokens.latest_issued(session, purpose="confirm", subscription_id=subscription.id)
    if last is not None and now - last < RESEND_AFTER:
        return Outcome(subscription, "throttled")
    issued = tokens.issue(session, "confirm", email, now=now, subscription_id=subscription.id,
                          lifetime=timedelta(hours=settings.digest.confirm_hours))
    return Outcome(subscription, "confirm", issued.token)


def _apply(subscription: Subscription, prefs: Preferences) -> None:
    subscription.period = prefs.period
    subscription.max_papers = prefs.max_papers
    subscription.categories = list(prefs.categories)
    subscription.keywords = list(prefs.keywords)
    subscription.authors = list(prefs.authors)
    subscription.searches = list(prefs.searches)


def activate(subscription: Subscription, *, now: datetime) -> None:
    subscription.status = "active"
    subscription.confirmed_at = subscription.confirmed_at or now
    subscription.unsubscribed_at = None
    subscription.hard_bounces = 0
    subscription.updated_at = now


def confirm(session: Session, token: str, *, now: datetime) -> Subscription:
    """Follow a confirmation link: the subscription becomes active. TokenError for an
    unknown, expired or used link (nothing changes)."""
    row = tokens.redeem(session, token, "confirm", now=now)
    subscription = session.get(Subscription, row.subscription_id) if row.subscription_id else None
    if subscription is None or subscription.email_key != row.email.lower():
        raise tokens.TokenError("invalid")
    activate(subscription, now=now)
    return subscription


def update_preferences(subscription: Subscription, prefs: Preferences, *,
                       now: datetime) -> None:
    """Save new preferences (PreferenceError when one cannot be saved)."""
    _apply(subscription, clean_preferences(prefs))
    subscription.updated_at = now


def unsubscribe(subscription: Subscription, *, now: datetime) -> bool:
    """Stop every digest to this address; False when it had already left."""
    if subscription.status == "unsubscribed":
        return False
    subscription.status = "unsubscribed"
    subscription.unsubscribed_at = now
    subscription.updated_at = now
    return True


def resubscribe(subscription: Subscription, *, now: datetime) -> None:
    """Undo an unsubscribe from the page it led to (the address was confirmed before)."""
    if subscription.confirmed_at is not None:
        activate(subscription, now=now)


def count_bounce(subscription: Subscription, *, limit: int, now: datetime) -> bool:
    """Count a hard bounce; True when it paused the subscription (at `limit`)."""
    subscription.hard_bounces += 1
    subscription.updated_at = now
    if subscription.hard_bounces >= limit and subscription.status == "active":
        subscription.status = "paused"
        return True
    return False
