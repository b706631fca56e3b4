"""Password hashing with argon2id (argon2-cffi's RFC 9106 low-memory profile)."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
# Longer passwords only cost hashing time; nobody types more.
MAX_LENGTH = 1024


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    return PasswordHasher()


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_LENGTH:
        return f"Passwords need at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Passwords can have at most {MAX_LENGTH} characters."
    if not password.strip():
        return "A password cannot be only spaces."
    return None


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored`; a missing hash (an account without a
    password, such as the demo's) never matches, but costs a hash all the same so the
    answer time does not tell the cases apart."""
    if stored is None or len(password) > MAX_LENGTH:
        hasher().hash(password[:MAX_LENGTH])
        return False
    try:
        return hasher().verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    try:
        return hasher().check_needs_rehash(stored)
    except InvalidHashError:
        return True
