"""Turn engine highlights into safe HTML: escape everything, then wrap only our own
match markers in <mark>. Pure functions."""

from __future__ import annotations

import re
from html import escape

# Private-use characters: the engines put these around matches. Stored text never
# legitimately contains them, and if it does they are dropped, not trusted.
OPEN = "\ue000"
CLOSE = "\ue001"
_SPACES = re.compile(r"\s+")


def marked_to_html(text: str | None) -> str:
    """``a \ue000b\ue001 <c>`` -> ``a <mark>b</mark> &lt;c&gt;``; marks are always balanced."""
    if not text:
        return ""
    out: list[str] = []
    inside = False
    buf: list[str] = []
    for ch in text:
        if ch in (OPEN, CLOSE):
            out.append(escape("".join(buf), quote=True))
            buf = []
            if ch == OPEN and not inside:
                out.append("<mark>")
                inside = True
            elif ch == CLOSE and inside:
                out.append("</mark>")
                inside = False
            continue
        buf.append(ch)
    out.append(escape("".join(buf), quote=True))
    if inside:
        out.append("</mark>")
    # Runs of whitespace (hard wraps, tags PostgreSQL's ts_headline dropped) become one space.
    return _SPACES.sub(" ", "".join(out).replace("<mark></mark>", "")).strip()


def plain_snippet(text: str | None, limit: int = 240) -> str:
    """The start of a text as safe HTML, cut at a word boundary, for results that have no
    keyword highlight (semantic neighbours)."""
    if not text:
        return ""
    clean = text.replace(OPEN, "").replace(CLOSE, "")
    if len(clean) > limit:
        cut = clean.rfind(" ", 0, limit)
        clean = clean[: cut if cut > limit // 2 else limit].rstrip() + " …"
    return escape(clean, quote=True)
