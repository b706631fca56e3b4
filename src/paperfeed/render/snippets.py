"""Highlights as safe HTML: the matched words of a title or an abstract marked with
private markers (:func:`highlight_marked`, :func:`snippet_marked`, using the keyword
analyzer of storage/terms.py, so both databases mark the same words), then everything
escaped and only our own markers turned into <mark> (:func:`marked_to_html`). Pure
functions."""

from __future__ import annotations

import re
from html import escape

from paperfeed.storage.terms import token_spans

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


# -- Highlighting with the keyword analyzer (both databases) ------------------------------
# A query phrase is a tuple of lexemes (storage/terms.py): one for a word, several for a
# phrase. The output is text with OPEN/CLOSE around matches, for marked_to_html.

Phrase = tuple[str, ...]
SNIPPET_TOKENS = 40
ELLIPSIS = "…"


def _positions(text: str) -> tuple[str, list[tuple[int, int, str]]]:
    """The text with stray markers removed, and its lexemes as (start, end, lexeme): a
    token that folds into several lexemes gives each the token's span."""
    clean = text.replace(OPEN, " ").replace(CLOSE, " ")
    return clean, [(s, e, lx) for s, e, lxs in token_spans(clean) for lx in lxs]


def _instances(lexemes: list[str], phrases: list[Phrase]) -> list[tuple[int, int]]:
    """Where each phrase occurs, as (first, last) lexeme positions; overlapping
    occurrences merged, in order."""
    found: list[tuple[int, int]] = []
    for phrase in {p for p in phrases if p}:
        k = len(phrase)
        first = phrase[0]
        for i, lx in enumerate(lexemes):
            if lx == first and tuple(lexemes[i : i + k]) == phrase:
                found.append((i, i + k - 1))
    found.sort()
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _marked(
    text: str, spans: list[tuple[int, int, str]], inst: list[tuple[int, int]],
    first: int, last: int,
) -> str:
    """Text from token `first` to token `last` with the instances inside marked."""
    out: list[str] = []
    at = spans[first][0]
    for start, end in inst:
        if end < first or start > last:
            continue
        start, end = max(start, first), min(end, last)
        out.append(text[at : spans[start][0]])
        out.append(OPEN + text[spans[start][0] : spans[end][1]] + CLOSE)
        at = spans[end][1]
    out.append(text[at : spans[last][1]])
    return "".join(out)


def highlight_marked(text: str | None, phrases: list[Phrase]) -> str:
    """The whole text with every occurrence of the phrases between OPEN and CLOSE (what
    FTS5's highlight() makes)."""
    if not text:
        return ""
    clean, spans = _positions(text)
    if not spans:
        return clean
    inst = _instances([s[2] for s in spans], phrases)
    return clean[: spans[0][0]] + _marked(clean, spans, inst, 0, len(spans) - 1) + clean[
        spans[-1][1] :
    ]


def _sentence_starts(text: str, spans: list[tuple[int, int, str]]) -> list[int]:
    """Positions of lexemes that begin a sentence: the first, and each one after '.' or
    ':' and whitespace (as FTS5's snippet() finds them)."""
    starts = [0]
    for i in range(1, len(spans)):
        if spans[i][0] == spans[i - 1][0]:
            continue  # the same token
        gap = text[spans[i - 1][1] : spans[i][0]]
        stripped = gap.rstrip(" \t\r\n")
        if stripped != gap and stripped.endswith((".", ":")):
            starts.append(i)
    return starts


def _window_score(
    inst: list[tuple[int, int, int]], start: int, size: int, n: int
) -> tuple[int, int]:
    """FTS5's snippet score of the `size` positions from `start` (1000 for each phrase
    seen, 1 for each repeat) and the window start that centres the matches in it."""
    seen: set[int] = set()
    score, lo, hi = 0, -1, -1
    for first, last, phrase in inst:
        if start <= first < start + size:
            score += 1 if phrase in seen else 1000
            seen.add(phrase)
            lo = first if lo < 0 else lo
            hi = last + 1
    spare = size - (hi - lo)
    adj = lo - (spare // 2 if spare >= 0 else -(-spare // 2))  # C division: toward zero
    adj = min(adj, n - size)
    return score, max(adj, 0)


def snippet_marked(text: str | None, phrases: list[Phrase], tokens: int = SNIPPET_TOKENS) -> str:
    """A window of `tokens` words of the text holding the most distinct phrases, matches
    between OPEN and CLOSE, '…' where the text was cut (FTS5's snippet() way of choosing:
    windows around each match, a bonus for starting at a sentence)."""
    if not text:
        return ""
    clean, spans = _positions(text)
    n = len(spans)
    if not n:
        return clean
    lexemes = [s[2] for s in spans]
    wanted = [p for p in dict.fromkeys(phrases) if p]
    inst = [
        (first, last, k)
        for k, phrase in enumerate(wanted)
        for first, last in _instances(lexemes, [phrase])
    ]
    inst.sort()
    best_score, best_start = 0, 0
    sentences = _sentence_starts(clean, spans)
    for first, _last, _k in inst:
        score, adj = _window_score(inst, first, tokens, n)
        if score > best_score:
            best_score, best_start = score, adj
        if n > tokens:
            before = [s for s in sentences if s <= first]
            s0 = before[-1] if before else 0
            if s0 < first:
                score, _ = _window_score(inst, s0, tokens, n)
                score += 120 if s0 == 0 else 100
                if score > best_score:
                    best_score, best_start = score, s0
    last = min(best_start + tokens - 1, n - 1)
    merged = _instances(lexemes, wanted)
    body = _marked(clean, spans, merged, best_start, last)
    head = ELLIPSIS if best_start > 0 else clean[: spans[0][0]]
    tail = clean[spans[-1][1] :] if last >= n - 1 else ELLIPSIS
    return head + body + tail
