"""Papers whose text must survive every export format: TeX specials, unbalanced braces,
control characters, accents, long author lists, old-style ids, a withdrawn paper."""

from __future__ import annotations

from typing import Any

from paperfeed.export import text as export_text

HOSTILE_TITLES = [
    r"Sets {A} and {B}: 100% of $x_1$ & #tags for the_best",
    "A lone { brace",
    "A lone } brace and ]]> and <script>alert(1)</script>",
    r"Escaped \{braces\} and \% already \& done \_ here",
    "Money: $5 only",
    r"Math $\sum_{i=1}^n x_i^2$ and $50\%$",
    "@misc{evil, title={x}} trailing backslash \\",
    "Control\x00chars\x07and\x1bescapes\nand newlines",
    "Müller, Erdős and Ø: naïve café",
    r"Schr\"odinger meets Erd\H{o}s",
    "Caret^ tilde~ and hash#",
]


def paper(**fields: Any) -> dict[str, Any]:
    """A canonical paper dict with the given fields over plain defaults."""
    base: dict[str, Any] = {
        "id": "2401.00001", "version": 2, "title": "A plain title",
        "abstract": "An abstract.", "authors": ["Hans Müller", "Paul Erdős"],
        "primary_category": "cs.LG", "categories": ["cs.LG", "stat.ML"],
        "published": "2024-01-02", "updated": "2024-02-03", "comments": "10 pages",
        "journal_ref": None, "doi": None, "license": None, "withdrawn": False, "upvotes": 0,
    }
    base.update(fields)
    return base


def expected_text(raw: str) -> str:
    """What a reader should get back: the text on one line, controls gone."""
    return export_text.one_line(raw)
