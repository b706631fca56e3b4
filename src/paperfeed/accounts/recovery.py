"""Email verification and password reset by mailed link (see :mod:`.tokens`).

A verification link is bound to the address it was mailed to: once the account's
address changes, older links stop working. Asking for a password reset revokes the
account's earlier unused reset links; using one sets the new password and ends every
session of the account. A weak new password is refused before the link is used up,
so the same link can be tried again. Functions take the caller's ORM session and
leave committing (and mailing the token) to the caller."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paperfeed.accounts import tokens
from paperfeed.accounts.passwords import password_problem
from paperfeed.accounts.tokens import TokenError
from paperfeed.accounts.users import AccountError, find_user, set_password
from paperfeed.storage.models import MailToken, User

VERIFY_LIFETIME = timedelta(hours=48)
RESET_LIFETIME = timedelta(hours=1)
MAX_TYPED = 320


def _same_address(user: User, row: MailToken) -> bool:
    return bool(user.email) and (user.email or "").lower() == row.email.lower()


def _owner(session: Session, row: MailToken) -> User:
    """The account a token was mailed to, still at that address; TokenError otherwise."""
    user = session.get(User, row.user_id) if row.user_id is not None else None
    if user is None or not _same_address(user, row):
        raise TokenError("invalid")
    return user


# -- email verification ---------------------------------------------------------------


def start_verification(session: Session, user: User, *, now: datetime) -> str:
    """A new verification token for the account's current address (valid 48 hours)."""
    if not user.email:
        raise AccountError("This account has no email address to verify.", "email")
    issued = tokens.issue(session, "verify-email", user.email, now=now,
                          lifetime=VERIFY_LIFETIME, user_id=user.id)
    return issued.token


def verify_email(session: Session, token: str, *, now: datetime) -> User:
    """Mark the account's address verified and use the token up; TokenError when the
    token is unknown, expired or used, or the account's address changed since."""
    row = tokens.peek(session, token, "verify-email", now=now)
    user = _owner(session, row)
    tokens.redeem(session, token, "verify-email", now=now)
    if user.email_verified_at is None:
        user.email_verified_at = now
    return user


# -- password reset ---------------------------------------------------------------------


def _account_for(session: Session, typed: str) -> User | None:
    """The account whose username or address is `typed`, whatever its case."""
    typed = typed.strip()
    if not typed or len(typed) > MAX_TYPED:
        return None
    if "@" in typed:  # usernames never contain "@"
        return session.scalars(
            select(User).where(func.lower(User.email) == typed.lower()).order_by(User.id)
        ).first()
    return find_user(session, typed)


def start_reset(session: Session, login_or_email: str, *,
                now: datetime) -> tuple[User, str] | None:
    """A reset token (valid one hour) for the account named or addressed by
    `login_or_email`, its older unused ones revoked; None when there is no such account,
    it has no address or it is banned (the caller answers the same either way)."""
    user = _account_for(session, login_or_email)
    if user is None or not user.email or user.is_banned:
        return None
    tokens.revoke_unused(session, purpose="reset-password", user_id=user.id, now=now)
    issued = tokens.issue(session, "reset-password", user.email, now=now,
                          lifetime=RESET_LIFETIME, user_id=user.id)
    return user, issued.token


def check_reset(session: Session, token: str, *, now: datetime) -> User:
    """The account a usable reset token belongs to, without using it up; TokenError
    when the token is unknown, expired or used, the account's address changed since it
    was mailed, or the account is banned."""
    row = tokens.peek(session, token, "reset-password", now=now)
    user = _owner(session, row)
    if user.is_banned:
        raise TokenError("invalid")
    return user


def reset_password(session: Session, token: str, new_password: str, *, now: datetime) -> User:
    """Set a new password from a reset token and end every session of the account.
    TokenError as :func:`check_reset`; AccountError for a weak password, with the token
    left usable."""
    user = check_reset(session, token, now=now)
    problem = password_problem(new_password)
    if problem:
        raise AccountError(problem, "password")
    tokens.redeem(session, token, "reset-password", now=now)
    set_password(session, user, new_password)
    tokens.revoke_unused(session, purpose="reset-password", user_id=user.id, now=now)
    return user
