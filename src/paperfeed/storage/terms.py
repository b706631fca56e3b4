"""The keyword analyzer for PostgreSQL: text -> search terms, the same for papers and for
queries, and as close as practical to SQLite's FTS5 tokenizer ('porter unicode61
remove_diacritics 2'), so that both databases find the same papers.

A token is a run of letters and digits (combining marks join the run); it is folded
(NFKD, combining marks dropped, casefolded: Müller -> muller, ﬁ -> fi) and stemmed with
the classic Porter algorithm FTS5 uses (learning -> learn). There are no stop words, so
phrases keep every word's position.

:func:`document_vector` turns a paper into tsvector literal text (title weight A, authors
B, abstract C, plus one position-less field lexeme per distinct title stem ``t~stem`` and
author-name stem ``a~stem``, so that title:/author: words are plain index lookups) within
PostgreSQL's limits; :func:`tsquery_term` and :func:`field_term` turn query words into
tsquery literal text. Both are passed to the database as ``:v::tsvector`` /
``:q::tsquery``, so no user text ever reaches to_tsvector or to_tsquery. Pure functions,
no database; stems are cached per process.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import Stemmer

# PostgreSQL's limits: positions above 16,383 are stored as 16,383; a lexeme keeps at
# most 256 positions; a lexeme is at most 2,046 bytes; all lexemes together under 1 MiB.
MAX_POSITION = 16_383
MAX_POSITIONS_PER_LEXEME = 256
MAX_LEXEME_BYTES = 2046
# Characters of distinct lexemes kept per paper (at most 4 bytes each: under 1 MiB).
MAX_VECTOR_CHARS = 240_000
# FTS5's porter tokenizer leaves tokens shorter than 3 or longer than 64 bytes as they are.
_STEM_MIN, _STEM_MAX = 3, 64
# A column's positions start after the previous column's, with a gap, so that a phrase
# never matches across the end of the title into the authors (as in FTS5's columns).
COLUMN_GAP = 8
_CACHE_LIMIT = 500_000
# Field lexemes: a prefix no token can produce (tokens are letters and digits only).
FIELD_PREFIX = {"title": "t~", "author": "a~"}
_WEIGHT_FIELD = {"A": "title", "B": "author"}

# Combining diacritical marks (the blocks remove_diacritics folds): part of a token.
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
# A letter or digit, then letters, digits and combining marks.
_TOKEN = re.compile(rf"[^\W_](?:[^\W_]|[{_MARKS}])*")
_WORD = re.compile(r"[^\W_]+")
_ASCII_TOKEN = re.compile(r"[a-z0-9]+")

_stemmer = Stemmer.Stemmer("porter")
_STEP2 = {"logi": "log", "bli": "ble"}
_STEP2_FIX = re.compile(r"(?:logi|bli)$")
_MEASURE = re.compile(r"(?:[aeiou]|(?<=[^aeiou])y)[^aeiou]")
_cache: dict[str, tuple[str, ...]] = {}


def _raw_tokens(text: str) -> list[str]:
    """The tokens of `text` as written (case and accents kept)."""
    if text.isascii():
        return _ASCII_TOKEN.findall(text.lower())
    return _TOKEN.findall(text)


def fold(token: str) -> list[str]:
    """A token's words with accents dropped and case folded: ``Müller`` -> [``muller``];
    one token may give several words (``½`` -> [``1``, ``2``]) or none."""
    if token.isascii():
        return [token.lower()]
    decomposed = unicodedata.normalize("NFKD", token)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _WORD.findall(bare.casefold())


def stem(word: str) -> str:
    """The Porter stem of a folded word, as FTS5's porter tokenizer makes it; a word
    longer than PostgreSQL's 2,046-byte lexeme is cut to fit."""
    if not word.isascii():
        if len(word) * 4 > MAX_LEXEME_BYTES:
            word = word.encode()[:MAX_LEXEME_BYTES].decode(errors="ignore")
        return word
    if not _STEM_MIN <= len(word) <= _STEM_MAX:
        return word[:MAX_LEXEME_BYTES]
    stemmed = str(_stemmer.stemWord(word))
    # Snowball's "porter" lacks two step-2 rules of the C Porter stemmer FTS5 uses
    # (-logi -> -log, -bli -> -ble, when the rest has a vowel then a consonant); apply
    # them and let the later steps run (technology -> technolog, reversibly -> revers).
    m = _STEP2_FIX.search(stemmed)
    if m and _MEASURE.search(stemmed, 0, m.start()):
        stemmed = str(_stemmer.stemWord(stemmed[: m.start()] + _STEP2[m.group()]))
    return stemmed


def analyse_token(token: str) -> tuple[str, ...]:
    """The lexemes of one token (cached unless very long): folded and stemmed."""
    found = _cache.get(token)
    if found is None:
        found = tuple(stem(w) for w in fold(token))
        if len(token) <= _STEM_MAX:
            if len(_cache) >= _CACHE_LIMIT:
                _cache.clear()
            _cache[token] = found
    return found


def lexemes(text: str) -> list[str]:
    """The lexemes of `text` in order (a lexeme's position is its index + 1)."""
    out: list[str] = []
    cache = _cache
    for tok in _raw_tokens(text):
        lx = cache.get(tok)
        if lx is None:
            lx = analyse_token(tok)
        if len(lx) == 1:
            out.append(lx[0])
        else:
            out.extend(lx)
    return out


def token_spans(text: str) -> list[tuple[int, int, tuple[str, ...]]]:
    """Each token of `text` as (start, end, its lexemes), offsets into `text` itself
    (for highlighting the words a query matched)."""
    return [(m.start(), m.end(), analyse_token(m.group())) for m in _TOKEN.finditer(text)]


def _position_labels(weight: str) -> list[str]:
    return [f"{p}{weight}" for p in range(MAX_POSITION + 1)]


_LABELS = {w: _position_labels(w) for w in "ABC"}
# ASCII text: letters lowercased, digits kept, everything else a separator.
_ASCII_FOLD = bytes(
    c + 32 if 65 <= c <= 90 else c if 97 <= c <= 122 or 48 <= c <= 57 else 32
    for c in range(256)
)
_ascii_cache: dict[bytes, str] = {}


def _ascii_lexeme(token: bytes) -> str:
    lx = stem(token.decode())
    if len(token) <= _STEM_MAX:
        if len(_ascii_cache) >= _CACHE_LIMIT:
            _ascii_cache.clear()
        _ascii_cache[token] = lx
    return lx


def _column_lexemes(text: str) -> list[str]:
    """:func:`lexemes`, with a fast path for ASCII text (bytes.translate and split, stems
    cached by token)."""
    if not text.isascii():
        return lexemes(text)
    toks = text.encode().translate(_ASCII_FOLD).split()
    found = list(map(_ascii_cache.get, toks))
    if None in found:
        return [
            lx if lx is not None else _ascii_lexeme(t) for lx, t in zip(found, toks, strict=True)
        ]
    return found  # type: ignore[return-value]


def document_vector(title: str, authors: Sequence[str], abstract: str) -> str:
    """A paper's tsvector literal text: every lexeme with its positions, title words
    weighted A, author names B, abstract C (e.g. ``'learn':2A,40C 'deep':1A``). Always
    valid for PostgreSQL, whatever the text (huge, binary, malformed Unicode)."""
    positions: dict[str, list[str]] = {}
    fields: list[str] = []
    pos = 1
    columns = (
        (title or "", "A"),
        (" ".join(a for a in authors if isinstance(a, str)) if authors else "", "B"),
        (abstract or "", "C"),
    )
    for text, weight in columns:
        if not text:
            continue
        lxs = _column_lexemes(text)
        if weight != "C":
            prefix = FIELD_PREFIX[_WEIGHT_FIELD[weight]]
            fields.extend(f"'{_field_lexeme(prefix, lx)}'" for lx in dict.fromkeys(lxs))
        labels = _LABELS[weight][pos : pos + len(lxs)]
        if len(labels) < len(lxs):  # past the last position: the rest share it
            labels.extend([_LABELS[weight][MAX_POSITION]] * (len(lxs) - len(labels)))
        get = positions.get
        for lx, label in zip(lxs, labels, strict=True):
            have = get(lx)
            if have is None:
                positions[lx] = [label]
            else:
                have.append(label)
        pos += len(lxs) + COLUMN_GAP
    if pos <= MAX_POSITIONS_PER_LEXEME:  # no lexeme can have too many positions
        return " ".join([f"'{lx}':{','.join(ps)}" for lx, ps in positions.items()] + fields)
    return _capped(positions, fields)


def _field_lexeme(prefix: str, lx: str) -> str:
    """`lx` with a field prefix, cut to PostgreSQL's lexeme length if need be."""
    out = prefix + lx
    if len(out) * 4 > MAX_LEXEME_BYTES:
        out = out.encode()[:MAX_LEXEME_BYTES].decode(errors="ignore")
    return out


def _capped(positions: dict[str, list[str]], fields: list[str]) -> str:
    """The vector of a very long paper: at most 256 distinct positions per lexeme, and
    lexemes (field lexemes first) only while their total length stays within
    PostgreSQL's limit."""
    out: list[str] = []
    budget = MAX_VECTOR_CHARS
    for f in fields:
        budget -= len(f)
        if budget < 0:
            return " ".join(out)
        out.append(f)
    for lx, ps in positions.items():
        budget -= len(lx)
        if budget < 0:
            break
        out.append(f"'{lx}':{','.join(list(dict.fromkeys(ps))[:MAX_POSITIONS_PER_LEXEME])}")
    return " ".join(out)


def query_lexemes(word: str) -> tuple[str, ...]:
    """The lexemes a query word is searched as (usually one; none for a word of only
    marks or symbols)."""
    out: list[str] = []
    for tok in _raw_tokens(word):
        out.extend(analyse_token(tok))
    return tuple(out)


def tsquery_term(words: Sequence[str], label: str = "") -> str | None:
    """Query words as tsquery literal text: ``'w'`` for one lexeme, ``('w1' <-> 'w2')``
    for a phrase; `label` restricts to weights (``A`` title, ``B`` authors). None when
    no word has a lexeme."""
    suffix = f":{label}" if label else ""
    parts = [f"'{lx}'{suffix}" for w in words for lx in query_lexemes(w)]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else "(" + " <-> ".join(parts) + ")"


def field_term(words: Sequence[str], field: str) -> str | None:
    """Query words as tsquery text the index answers alone (no row is re-read): ``'w'``
    or, for a phrase, ``('w1' & 'w2')``; in the title or authors (`field` ``title`` /
    ``author``) their field lexemes ``'t~w'`` / ``'a~w'``. A phrase's word order is then
    checked with :func:`tsquery_term`. None when no word has a lexeme."""
    prefix = FIELD_PREFIX.get(field, "")
    parts = list(dict.fromkeys(
        f"'{_field_lexeme(prefix, lx) if prefix else lx}'"
        for w in words for lx in query_lexemes(w)
    ))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"
