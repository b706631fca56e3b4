"""Server-side sessions: the browser's cookie holds a random token, the database its
SHA-256 (a copy of the table opens no session), the account, an expiry and the CSRF
token of the session's forms."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from paperfeed.storage.models import User, UserSession

# How often last_seen_at is written (not on every request).
TOUCH_EVERY = timedelta(hours=1)


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(slots=True)
class SignedIn:
    """The account behind a session cookie."""

    user: User
    session_id: str
    csrf_token: str
    last_seen_at: datetime | None = None


def start_session(
    session: Session, user: User, now: datetime, *, days: int, client: str | None = None,
    user_agent: str | None = None,
) -> tuple[str, SignedIn]:
    """A new session for `user`; returns the cookie token (shown only here)."""
    token = secrets.token_urlsafe(32)
    row = UserSession(
        id=token_id(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
        created_at=now, last_seen_at=now, expires_at=now + timedelta(days=days),
        client=(client or "")[:64] or None, user_agent=(user_agent or "")[:300] or None,
    )
    session.add(row)
    session.flush()
    return token, SignedIn(user=user, session_id=row.id, csrf_token=row.csrf_token,
                           last_seen_at=row.last_seen_at)


def load_session(session: Session, token: str, now: datetime) -> SignedIn | None:
    """The signed-in account of a cookie token; None when unknown, expired or banned."""
    if not token or len(token) > 200:
        return None
    row = session.execute(_LOAD, {"session_id": token_id(token)}).first()
    if row is None:
        return None
    user, session_id, csrf, expires_at, last_seen_at = row
    if expires_at <= now or user.is_banned:
        return None
    return SignedIn(user=user, session_id=session_id, csrf_token=csrf,
                    last_seen_at=last_seen_at)


# Built once: every signed-in request runs it.
_LOAD = (
    select(User, UserSession.id, UserSession.csrf_token, UserSession.expires_at,
           UserSession.last_seen_at)
    .join(User, User.id == UserSession.user_id)
    .where(UserSession.id == bindparam("session_id"))
)


def needs_touch(signed_in: SignedIn, now: datetime) -> bool:
    """Whether the session's last-seen time is old enough to write again (so a reader
    browsing the site costs one write an hour, not one a page)."""
    last = signed_in.last_seen_at
    return last is None or now - last >= TOUCH_EVERY


def end_session(session: Session, token: str) -> None:
    session.execute(delete(UserSession).where(UserSession.id == token_id(token)))


def purge_expired(session: Session, now: datetime) -> int:
    result = session.execute(delete(UserSession).where(UserSession.expires_at <= now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def same_token(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens; None or empty never matches."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode("utf-8", "replace"), b.encode("utf-8", "replace"))


def anonymous_csrf_token(secret_key: str, cookie: str) -> str:
    """The CSRF token of a visitor without an account (login and register forms): an
    HMAC of their random pre-session cookie, so it cannot be made up without the key."""
    mac = hmac.new(secret_key.encode(), b"csrf:" + cookie.encode("utf-8", "replace"),
                   hashlib.sha256)
    return mac.hexdigest()
