"""Small pure text helpers shared by parsers and outputs."""

from __future__ import annotations

import re

_WS = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def fold(text: str | None) -> str:
    """Fold arXiv's hard line-wraps and runs of whitespace into single spaces;
    drop control characters (including NUL, which PostgreSQL text cannot hold)."""
    if not text:
        return ""
    return _WS.sub(" ", _CONTROL.sub("", text)).strip()


def fold_or_none(text: str | None) -> str | None:
    folded = fold(text)
    return folded or None
