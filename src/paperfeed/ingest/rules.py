"""Operator rules for the daily list: which newly announced papers go on it.

A paper matches when ANY rule matches (rules of different kinds are alternatives):

- ``categories``: an entry is a category (``cs.LG``) or an archive (``cs``,
  ``hep-th``); it matches any of the paper's categories, cross-lists included.
- ``keywords``: a word or phrase found in the title or abstract, case-insensitive,
  on word boundaries (``graph`` does not match ``graphene``).
- ``authors``: an author name, compared case-insensitively with whitespace folded.

Pure functions; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from paperfeed.config import DailyRules
from paperfeed.records import PaperRecord
from paperfeed.text import fold


def _category_matches(wanted: set[str], categories: Iterable[str]) -> bool:
    return any(cat in wanted or cat.split(".", 1)[0] in wanted for cat in categories)


def _keyword_pattern(keywords: Iterable[str]) -> re.Pattern[str] | None:
    parts = [r"\s+".join(re.escape(w) for w in fold(k).split()) for k in keywords if fold(k)]
    if not parts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


def _norm_name(name: str) -> str:
    return fold(name).casefold()


class RuleMatcher:
    """Rules compiled once, applied to many records."""

    def __init__(self, rules: DailyRules) -> None:
        self.categories = {c.strip() for c in rules.categories if c.strip()}
        self.keywords = _keyword_pattern(rules.keywords)
        self.authors = {_norm_name(a) for a in rules.authors if fold(a)}

    @property
    def empty(self) -> bool:
        return not (self.categories or self.keywords or self.authors)

    def matches(self, record: PaperRecord) -> bool:
        cats = record.categories or ([record.primary_category] if record.primary_category else [])
        if self.categories and _category_matches(self.categories, cats):
            return True
        if self.keywords is not None and (
            self.keywords.search(record.title) or self.keywords.search(record.abstract)
        ):
            return True
        return bool(self.authors) and any(_norm_name(a) in self.authors for a in record.authors)


def matching(records: Iterable[PaperRecord], rules: DailyRules) -> list[PaperRecord]:
    """The records any rule selects, in input order. No rules select nothing."""
    matcher = RuleMatcher(rules)
    if matcher.empty:
        return []
    return [r for r in records if not r.deleted and matcher.matches(r)]
