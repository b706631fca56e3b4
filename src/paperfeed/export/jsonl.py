"""JSON Lines: one canonical paper object (``storage.paper_json``) per line."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

_BREAKS = {ord(ch): f"\\u{ord(ch):04x}" for ch in "\x85\u2028\u2029"}


def to_jsonl(papers: Sequence[Mapping[str, Any]]) -> str:
    """Each paper as one line of compact JSON. Characters some readers take for line
    breaks (NEL, U+2028, U+2029) are written as escapes, so a line is always one paper."""
    return "".join(
        json.dumps(dict(p), ensure_ascii=False, separators=(",", ":")).translate(_BREAKS) + "\n"
        for p in papers
    )
