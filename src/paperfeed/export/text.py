"""Cleaning untrusted text before it goes into an export: no control characters, no lone
surrogates, and (for one-line fields) one line with single spaces."""

from __future__ import annotations

import re

# C0 controls but tab/newline/CR, DEL, C1 controls, lone surrogates, and the Unicode line
# and paragraph separators (which some readers of line-based formats treat as newlines).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029]")
_SPACE = re.compile(r"\s+")


def strip_controls(text: str | None) -> str:
    """The text without control characters and lone surrogates (newlines kept)."""
    return _CONTROL.sub(" ", text or "")


def one_line(text: str | None) -> str:
    """The text cleaned of control characters, on one line, runs of spaces collapsed."""
    return _SPACE.sub(" ", strip_controls(text)).strip()
