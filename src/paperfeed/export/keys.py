"""Citation keys, Google Scholar style: first author's family name, year, first
significant word of the title (``vaswani2017attention``), in ASCII. Keys are unique
within one export: when several papers would get the same key, the one with the
smallest arXiv id keeps it and the others get ``b``, ``c``, … in arXiv-id order, so the
same papers always get the same keys, whatever order they are listed in."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from paperfeed.export.names import ascii_fold, split_name

_STOPWORDS = frozenset({
    "a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "from", "by", "at",
    "is", "are", "towards", "toward", "via", "into", "what", "how", "why", "when", "do",
    "does", "can", "we", "our", "its", "as", "or", "not", "be", "your", "you", "beyond",
})
_MATH = re.compile(r"\$[^$]*\$")
_SUFFIXES = "bcdefghijklmnopqrstuvwxyz"


def year_of(paper: Mapping[str, Any]) -> str:
    """The year of first publication (or of the latest version), or ``""``."""
    for key in ("published", "updated"):
        value = paper.get(key)
        if value:
            return str(value)[:4]
    return ""


def base_key(paper: Mapping[str, Any]) -> str:
    """The key before collisions are told apart."""
    authors = paper.get("authors") or []
    family = ascii_fold(split_name(authors[0]).family)[:30] if authors else ""
    word = ""
    for raw in _MATH.sub(" ", str(paper.get("title") or "")).split():
        folded = ascii_fold(raw)
        if folded and folded not in _STOPWORDS:
            word = folded[:20]
            break
    if not family and not word:
        return "arxiv" + re.sub(r"[^a-z0-9]", "", str(paper.get("id", "")).lower())
    return f"{family or 'anon'}{year_of(paper)}{word}"


def citation_keys(papers: Sequence[Mapping[str, Any]]) -> list[str]:
    """One unique key per paper, in the papers' order."""
    groups: dict[str, list[int]] = defaultdict(list)
    bases = [base_key(p) for p in papers]
    for index, base in enumerate(bases):
        groups[base].append(index)
    keys = list(bases)
    taken = set(bases)
    for base, members in groups.items():
        if len(members) < 2:
            continue
        ordered = sorted(members, key=lambda i: (str(papers[i].get("id", "")), i))
        n = 0
        for index in ordered[1:]:
            while True:
                suffix = _SUFFIXES[n] if n < len(_SUFFIXES) else str(n + 2)
                n += 1
                if base + suffix not in taken:
                    break
            keys[index] = base + suffix
            taken.add(keys[index])
    return keys
