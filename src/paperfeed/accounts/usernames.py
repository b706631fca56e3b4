"""Usernames: 2 to 30 characters from ``A-Z a-z 0-9 _ -``, starting with a letter or a
digit; unique whatever their case; a few names reserved for the site itself."""

from __future__ import annotations

import re

PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,29}$")
RULE = (
    "Usernames have 2 to 30 characters: letters, digits, '_' and '-', starting with a "
    "letter or digit."
)
RESERVED = frozenset({
    "admin", "administrator", "api", "about", "account", "accounts", "anonymous", "date",
    "deleted", "feeds", "help", "login", "logout", "me", "mod", "moderator", "moderators",
    "month", "new", "null", "papers", "paperfeed", "register", "root", "search",
    "settings", "signup", "static", "submit", "support", "system", "trending", "user",
    "users", "week", "www",
})


def username_key(name: str) -> str:
    """The case-insensitive form usernames are unique by."""
    return name.casefold()


def username_problem(name: str) -> str | None:
    """Why `name` cannot be a new username, or None."""
    if not PATTERN.match(name):
        return RULE
    if username_key(name) in RESERVED:
        return f"The username “{name}” is reserved; choose another."
    return None


EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[^@\s<>\"',;]{1,255}\.[^@\s<>\"',;.]{2,63}$")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    if len(email) > 320 or not EMAIL.match(email):
        return "Enter an email address such as ada@example.org."
    return None
