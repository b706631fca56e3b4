"""Creating and changing accounts. Every function takes an open ORM session and leaves
committing to the caller, so a web request or a CLI command is one transaction."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from paperfeed.accounts.passwords import (
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from paperfeed.accounts.usernames import (
    email_problem,
    normalise_email,
    username_key,
    username_problem,
)
from paperfeed.storage.models import ROLES, User, UserSession


class AccountError(Exception):
    """A problem with what someone typed; the message is one sentence to show them."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def find_user(session: Session, name: str) -> User | None:
    """The account named `name`, whatever its case."""
    return session.scalar(select(User).where(User.username_key == username_key(name.strip())))


def create_user(
    session: Session, username: str, email: str, password: str, *, role: str = "user"
) -> User:
    """A new account; AccountError names the field that is wrong."""
    username = username.strip()
    problem = username_problem(username)
    if problem:
        raise AccountError(problem, "username")
    email = normalise_email(email)
    problem = email_problem(email)
    if problem:
        raise AccountError(problem, "email")
    problem = password_problem(password)
    if problem:
        raise AccountError(problem, "password")
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}; roles are {', '.join(ROLES)}.", "role")
    if find_user(session, username) is not None:
        raise AccountError(f"The username “{username}” is taken; choose another.", "username")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        # Said plainly: registration needs a unique address, and the form is rate limited.
        raise AccountError("That email address already has an account; log in instead.",
                           "email")
    user = User(username=username, username_key=username_key(username), email=email,
                password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The account when the password is right and it is not banned; None otherwise
    (the same time and the same answer whether or not the username exists)."""
    user = find_user(session, username) if username.strip() else None
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or user.is_banned:
        return None
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def revoke_sessions(session: Session, user_id: int, *, keep: str | None = None) -> None:
    """End every session of the account (except the one whose id is `keep`)."""
    query = delete(UserSession).where(UserSession.user_id == user_id)
    if keep is not None:
        query = query.where(UserSession.id != keep)
    session.execute(query)


def set_password(session: Session, user: User, password: str, *, keep: str | None = None) -> None:
    """A new password; every other session of the account ends."""
    problem = password_problem(password)
    if problem:
        raise AccountError(problem, "password")
    user.password_hash = hash_password(password)
    revoke_sessions(session, user.id, keep=keep)


def set_banned(session: Session, user: User, banned: bool) -> None:
    """Ban (their sessions end at once) or unban an account."""
    user.is_banned = banned
    if banned:
        revoke_sessions(session, user.id)


def set_role(user: User, role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}; roles are {', '.join(ROLES)}.", "role")
    user.role = role
