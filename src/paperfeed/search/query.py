"""The search query language, parsed into a tree before any SQL is written.

    sparse autoencoders             words (all must match)
    "language model"                an exact phrase
    -survey  -"large language"      excluded word / phrase
    author:lecun  author:"Yann LeCun"   (au: too)
    title:diffusion  title:"neural operator"   (ti: too)
    cat:cs.LG  cat:cs  -cat:cs.CV   a category, or every category of an archive
    year:2024  year:2020-2024  after:2024-01-01  before:2024-06  (after inclusive,
                                                                  before exclusive)
    2401.01234 / arXiv:2401.01234v2 / https://arxiv.org/abs/...   goes to that paper

Everything else is plain text: stray operators (AND, OR, NOT, NEAR), ``*``, ``^``, ``:``,
unbalanced quotes, control characters and emoji are dropped or split into words, never
handed raw to a database. Words are reduced to runs of Unicode letters and digits, which
is what both keyword backends index, so the trees here can always be turned into safe
engine syntax. :func:`parse` is pure and never raises.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from paperfeed.ids import InvalidArxivId, parse_arxiv_id

MAX_QUERY_CHARS = 1000
MAX_TERMS = 16
MAX_WORDS_PER_TERM = 12
MAX_CATEGORIES = 8

FieldName = Literal["any", "title", "author"]

# PostgreSQL's English stop-word list (what its 'english' configuration drops), so both
# backends agree on which words carry no meaning.
_STOP_TEXT = """i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what which
    who whom this that these those am is are was were be been being have has had having do
    does did doing a an the and but if or because as until while of at by for with about
    against between into through during before after above below to from up down in out on
    off over under again further then once here there when where why how all any both each
    few more most other some such no nor not only own same so than too very s t can will
    just don should now"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})

_FIELD_ALIASES = {
    "author": "author", "au": "author", "authors": "author",
    "title": "title", "ti": "title",
    "cat": "cat", "category": "cat",
    "year": "year", "after": "after", "before": "before",
}  # fmt: skip

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_TOKEN = re.compile(
    r'(?P<neg>-)?(?:(?P<field>[A-Za-z]+):)?(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s"]+))'
)
_WORD = re.compile(r"[^\W_]+")
_CATEGORY = re.compile(r"^([a-z]+(?:-[a-z]+)?)(?:\.([a-z]+(?:-[a-z]+)?))?$", re.IGNORECASE)
_YEAR_RANGE = re.compile(r"^(\d{4})(?:(?:-|\.\.)(\d{4}))?$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


@dataclass(frozen=True, slots=True)
class Term:
    """Words that must appear together: one word, or a phrase (in order, adjacent)."""

    words: tuple[str, ...]
    field: FieldName = "any"

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1

    def __str__(self) -> str:
        text = " ".join(self.words)
        text = f'"{text}"' if self.is_phrase else text
        return text if self.field == "any" else f"{self.field}:{text}"


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query. Positive terms are ANDed; excluded terms must not match."""

    raw: str
    include: tuple[Term, ...] = ()
    exclude: tuple[Term, ...] = ()
    categories: tuple[str, ...] = ()  # any of these ("cs" stands for every cs.*)
    exclude_categories: tuple[str, ...] = ()
    date_from: date | None = None  # published >= date_from
    date_to: date | None = None  # published < date_to
    arxiv_id: str | None = None  # the input was an arXiv id or URL
    ignored: tuple[str, ...] = ()  # stop words and operators that were dropped
    problems: tuple[str, ...] = field(default=())  # filters that could not be understood

    @property
    def has_text(self) -> bool:
        return bool(self.include)

    @property
    def has_filters(self) -> bool:
        return bool(
            self.categories or self.exclude_categories or self.date_from or self.date_to
        )

    @property
    def is_empty(self) -> bool:
        """Nothing to search for: no words, no filters, no id."""
        return not (self.include or self.has_filters or self.arxiv_id)

    @property
    def only_excludes(self) -> bool:
        return bool(self.exclude) and not self.include and not self.has_filters

    def text(self) -> str:
        """The positive words as plain text (what semantic search embeds)."""
        return " ".join(" ".join(t.words) for t in self.include if t.field != "author")

    def empty_reason(self) -> str | None:
        """A message for the user when there is nothing to run, else None."""
        if self.arxiv_id or self.include or self.has_filters:
            return None
        if self.exclude:
            return "Add a word to search for: excluded words alone match nothing."
        if self.ignored:
            return "Only common words (like 'the' or 'and') were given; add a more specific word."
        return "Type a word, a phrase in quotes, or a filter such as cat:cs.LG."


def words_of(text: str) -> tuple[str, ...]:
    """The indexable words of `text`: runs of letters and digits, case-folded."""
    return tuple(_WORD.findall(text.casefold()))


def normalise_category(value: str) -> str | None:
    """``cs.lg`` -> ``cs.LG``; ``CS`` -> ``cs``; ``astro-ph.GA``; None when malformed."""
    m = _CATEGORY.match(value.strip())
    if not m:
        return None
    archive, subject = m.group(1).lower(), m.group(2)
    if subject is None:
        return archive
    subject = subject.upper() if len(subject) == 2 else subject.lower()
    return f"{archive}.{subject}"


def _parse_date(value: str) -> date | None:
    """YYYY, YYYY-MM or YYYY-MM-DD as the first day of that period."""
    m = _DATE.match(value)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
    except (ValueError, OverflowError):
        return None


def _sanitise(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw[: MAX_QUERY_CHARS * 4])
    text = _CONTROL.sub(" ", text)[:MAX_QUERY_CHARS]
    if text.count('"') % 2:  # an unbalanced quote is ignored
        i = text.rfind('"')
        text = text[:i] + " " + text[i + 1 :]
    return text


def _id_lookup(text: str) -> str | None:
    candidate = text.strip()
    if not candidate or any(c.isspace() for c in candidate):
        return None
    try:
        return parse_arxiv_id(candidate).id
    except InvalidArxivId:
        return None


class _Builder:
    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.include: list[Term] = []
        self.exclude: list[Term] = []
        self.cats: list[str] = []
        self.not_cats: list[str] = []
        self.date_from: date | None = None
        self.date_to: date | None = None
        self.ignored: list[str] = []
        self.problems: list[str] = []

    def add_text(self, value: str, *, neg: bool, quoted: bool, where: FieldName) -> None:
        if not quoted and where == "any" and value in OPERATORS:
            self.ignored.append(value)
            return
        words = words_of(value)[:MAX_WORDS_PER_TERM]
        if not words:
            return
        if len(words) == 1 and not quoted and where != "author" and words[0] in STOP_WORDS:
            self.ignored.append(words[0])
            return
        # A hyphenated or dotted word (state-of-the-art, cs.LG) is a phrase; its stop
        # words stay, since they hold the other words' positions.
        if not quoted and where != "author" and all(w in STOP_WORDS for w in words):
            self.ignored.extend(words)
            return
        target = self.exclude if neg else self.include
        if len(self.include) + len(self.exclude) >= MAX_TERMS:
            self.ignored.append(" ".join(words))
            return
        term = Term(words, where)
        if term not in target:
            target.append(term)

    def add_filter(self, name: str, value: str, *, neg: bool) -> None:
        if name == "cat":
            cats = [normalise_category(v) for v in value.split(",") if v.strip()]
            if not cats or None in cats:
                self.problems.append(f"cat:{value} is not an arXiv category (e.g. cat:cs.LG)")
                return
            target = self.not_cats if neg else self.cats
            for c in cats:
                if c and c not in target and len(target) < MAX_CATEGORIES:
                    target.append(c)
            return
        if neg:
            self.problems.append(f"-{name}: cannot be excluded; it was ignored")
            return
        if name == "year":
            m = _YEAR_RANGE.match(value)
            lo, hi = (int(m.group(1)), int(m.group(2) or m.group(1))) if m else (0, 0)
            if not m or not 1 <= lo <= hi <= 9998:
                self.problems.append(f"year:{value} is not a year (e.g. year:2024)")
                return
            self._narrow(date(lo, 1, 1), date(hi + 1, 1, 1))
            return
        parsed = _parse_date(value)
        if parsed is None:
            self.problems.append(f"{name}:{value} is not a date (e.g. {name}:2024-01-31)")
            return
        # after: is inclusive; before:2024-06 means before June 2024 starts.
        if name == "after":
            self._narrow(parsed, None)
        else:
            self._narrow(None, parsed)

    def _narrow(self, lo: date | None, hi: date | None) -> None:
        if lo is not None:
            self.date_from = lo if self.date_from is None else max(self.date_from, lo)
        if hi is not None:
            self.date_to = hi if self.date_to is None else min(self.date_to, hi)

    def build(self) -> Query:
        return Query(
            raw=self.raw,
            include=tuple(self.include),
            exclude=tuple(self.exclude),
            categories=tuple(self.cats),
            exclude_categories=tuple(self.not_cats),
            date_from=self.date_from,
            date_to=self.date_to,
            ignored=tuple(self.ignored),
            problems=tuple(self.problems),
        )


def parse(raw: object) -> Query:
    """Parse a user's query. Pure; never raises, whatever the input."""
    if not isinstance(raw, str):
        raw = "" if raw is None else str(raw)
    text = _sanitise(raw)
    arxiv_id = _id_lookup(text)
    if arxiv_id is not None:
        return Query(raw=raw, arxiv_id=arxiv_id)
    b = _Builder(raw)
    for m in _TOKEN.finditer(text):
        neg = bool(m.group("neg"))
        quoted = m.group("quoted") is not None
        value = m.group("quoted") if quoted else m.group("bare")
        name = m.group("field")
        kind = _FIELD_ALIASES.get(name.lower()) if name else None
        if name and kind is None:
            # Not a field we know (e.g. "re:" or "http:"): it is all plain text.
            value = f"{name} {value}"
        if kind in ("cat", "year", "after", "before"):
            b.add_filter(kind, value, neg=neg)
        elif kind == "author":
            b.add_text(value, neg=neg, quoted=quoted, where="author")
        elif kind == "title":
            b.add_text(value, neg=neg, quoted=quoted, where="title")
        else:
            b.add_text(value, neg=neg, quoted=quoted, where="any")
    q = b.build()
    if q.date_from and q.date_to and q.date_from >= q.date_to:
        return Query(
            raw=q.raw, include=q.include, exclude=q.exclude, categories=q.categories,
            exclude_categories=q.exclude_categories, date_from=q.date_from, date_to=q.date_to,
            ignored=q.ignored,
            problems=(*q.problems, "the date filters leave no dates between them"),
        )  # fmt: skip
    return q
