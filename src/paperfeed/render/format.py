"""Authors, days and counts as people read them. Pure functions."""

from __future__ import annotations

from datetime import date


def format_day(day: date) -> str:
    """'Thursday, 28 November 2024'."""
    return f"{day:%A}, {day.day} {day:%B %Y}"


def short_day(day: date) -> str:
    """'Thu 28 Nov'."""
    return f"{day:%a} {day.day} {day:%b}"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def shorten_authors(authors: list[str], limit: int = 6) -> str:
    """'A, B, C et al. (+12)' style list for cards."""
    if len(authors) <= limit:
        return ", ".join(authors)
    return ", ".join(authors[: limit - 1]) + f", … {authors[-1]} (+{len(authors) - limit + 1})"
