"""Named API tokens: a user makes one in their settings (or an operator with
``paperfeed token create``), sees it once, and sends it as ``Authorization: Bearer``.

A token is ``pf_`` and 43 random URL-safe characters. The database holds only its
SHA-256 (looked up by that hash, then compared with ``hmac.compare_digest``) and its
first characters (``prefix``, to tell tokens apart in a list). Read tokens may only read;
write tokens may also vote, submit and comment. Revoking is immediate: a revoked token,
or one whose owner is banned, authenticates nobody.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from paperfeed.accounts.sessions import same_token, token_id
from paperfeed.storage.models import ApiToken, User

PREFIX = "pf_"
MAX_NAME = 100
MAX_TOKENS = 50
"""Live tokens one account may hold."""
TOUCH_EVERY = timedelta(minutes=5)
"""``last_used_at`` is written at most this often per token."""


class TokenError(ValueError):
    """A token that cannot be made (bad name, too many)."""


@dataclass(frozen=True, slots=True)
class NewToken:
    token: str  # shown once, never stored
    record: ApiToken


def clean_name(name: str) -> str:
    text = " ".join(name.split())
    if not text:
        raise TokenError("Give the token a name, such as the script that will use it.")
    if len(text) > MAX_NAME:
        raise TokenError(f"A token's name can be at most {MAX_NAME} characters.")
    return text


def create(session: Session, user: User, name: str, *, write: bool, now: datetime) -> NewToken:
    """A new token for `user`; the caller commits and shows ``token`` once."""
    label = clean_name(name)
    if len(live_tokens(session, user.id)) >= MAX_TOKENS:
        raise TokenError(f"An account can hold at most {MAX_TOKENS} tokens; revoke one first.")
    token = PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(user_id=user.id, name=label, token_hash=token_id(token),
                      prefix=token[: len(PREFIX) + 6], can_write=write, created_at=now)
    session.add(record)
    session.flush()
    return NewToken(token, record)


def live_tokens(session: Session, user_id: int) -> list[ApiToken]:
    """The user's tokens that still work, newest first."""
    return list(session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ))


def revoke(session: Session, user_id: int, token_id_: int, *, now: datetime) -> bool:
    """Revoke one of `user_id`'s tokens; False when there is no such live token."""
    record = session.get(ApiToken, token_id_)
    if record is None or record.user_id != user_id or record.revoked_at is not None:
        return False
    record.revoked_at = now
    return True


def looks_like_token(text: str) -> bool:
    return text.startswith(PREFIX) and 20 <= len(text) <= 200


def authenticate(session: Session, token: str) -> ApiToken | None:
    """The live token `token` is, with its user loaded; None for anything else
    (malformed, unknown, revoked, or its owner banned). Writes nothing (see
    :func:`needs_touch`)."""
    if not looks_like_token(token):
        return None
    digest = token_id(token)
    record = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if record is None or not same_token(record.token_hash, digest):
        return None
    if record.revoked_at is not None or record.user.is_banned:
        return None
    return record


def needs_touch(record: ApiToken, now: datetime) -> bool:
    """Whether ``last_used_at`` is due to be written again (at most every TOUCH_EVERY)."""
    return record.last_used_at is None or now - record.last_used_at >= TOUCH_EVERY
