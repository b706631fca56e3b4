"""Single-use links mailed to an address: confirm a digest subscription, verify an
account's email, reset a password. The mail holds a random token; the database holds
only its SHA-256, what it is for, whose it is and until when it works. Redeeming one
marks it used in the same transaction, so a link works once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from paperfeed.accounts.sessions import token_id
from paperfeed.storage.models import MailToken

Purpose = Literal["confirm", "verify-email", "reset-password"]
Problem = Literal["invalid", "expired", "used"]

PROBLEM_TEXT: dict[str, str] = {
    "invalid": "This link is not valid. It may have been copied incompletely.",
    "expired": "This link has expired.",
    "used": "This link has already been used.",
}


class TokenError(Exception):
    """A mailed link that cannot be used; ``problem`` says why (see PROBLEM_TEXT)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(PROBLEM_TEXT[problem])
        self.problem: Problem = problem


@dataclass(frozen=True, slots=True)
class Issued:
    token: str  # goes into the mailed link, never stored
    expires_at: datetime


def issue(
    session: Session, purpose: Purpose, email: str, *, now: datetime, lifetime: timedelta,
    subscription_id: int | None = None, user_id: int | None = None,
) -> Issued:
    """A new token for `purpose`, valid for `lifetime` from `now` (naive UTC)."""
    token = secrets.token_urlsafe(32)
    expires = now + lifetime
    session.add(MailToken(token_hash=token_id(token), purpose=purpose, email=email,
                          subscription_id=subscription_id, user_id=user_id,
                          created_at=now, expires_at=expires))
    session.flush()
    return Issued(token, expires)


def peek(session: Session, token: str, purpose: Purpose, *, now: datetime) -> MailToken:
    """The usable token behind `token`, without using it up; TokenError otherwise."""
    if not token or len(token) > 200:
        raise TokenError("invalid")
    row = session.get(MailToken, token_id(token))
    if row is None or row.purpose != purpose:
        raise TokenError("invalid")
    if row.used_at is not None:
        raise TokenError("used")
    if row.expires_at <= now:
        raise TokenError("expired")
    return row


def redeem(session: Session, token: str, purpose: Purpose, *, now: datetime) -> MailToken:
    """Use the token up (in the caller's transaction) and return it; TokenError when it
    is unknown, for another purpose, expired or used. Two redeemers at once: one wins."""
    row = peek(session, token, purpose, now=now)
    used = session.execute(
        update(MailToken)
        .where(MailToken.token_hash == row.token_hash, MailToken.used_at.is_(None))
        .values(used_at=now)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise TokenError("used")
    session.refresh(row)
    return row


def revoke_unused(session: Session, *, purpose: Purpose, subscription_id: int | None = None,
                  user_id: int | None = None, now: datetime) -> None:
    """Mark the unused tokens of a subscription or an account for `purpose` as used
    (a newer mail supersedes them)."""
    where = [MailToken.purpose == purpose, MailToken.used_at.is_(None)]
    if subscription_id is not None:
        where.append(MailToken.subscription_id == subscription_id)
    if user_id is not None:
        where.append(MailToken.user_id == user_id)
    session.execute(update(MailToken).where(*where).values(used_at=now))


def latest_issued(session: Session, *, purpose: Purpose, subscription_id: int | None = None,
                  user_id: int | None = None) -> datetime | None:
    """When the newest token for this subscription or account was mailed."""
    query = select(MailToken.created_at).where(MailToken.purpose == purpose)
    if subscription_id is not None:
        query = query.where(MailToken.subscription_id == subscription_id)
    if user_id is not None:
        query = query.where(MailToken.user_id == user_id)
    return session.scalar(query.order_by(MailToken.created_at.desc()).limit(1))
