"""What a digest holds: for a subscription and a period, the period's trending papers
and the papers announced in it that match the subscriber's topics, each paper once,
each with why it is there.

Trending: the papers on the period's daily lists with the most upvotes (at least one).
Topics: every category (``cat:C``), keyword (as typed), author (``author:"A"``) and
saved search (as typed) is one query in hybrid mode, in the search query language, among
the papers published (announced, for arXiv's RSS) in the period: a
:class:`~paperfeed.search.scoped.ScopedSearch` of the period, loaded once per run, so a
topic costs about a millisecond rather than a search of the whole collection. Keyword
matches count; results found by meaning alone are kept for at most :data:`MEANING_ONLY`
per topic, since a period's nearest neighbours are always found, however far. Matches of
several topics are merged by reciprocal rank, so a paper several topics find comes first
and one found by meaning alone counts half.

One :class:`Composer` serves a whole run: each distinct topic is searched once,
whatever the number of subscribers sharing it. Close it when the run ends."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperfeed.config import Settings
from paperfeed.digest.periods import Period
from paperfeed.render.format import shorten_authors
from paperfeed.render.mathtext import detex_text
from paperfeed.search.scoped import ScopedSearch
from paperfeed.storage import queries
from paperfeed.storage.models import Paper, Subscription

TOPIC_DEPTH = 50  # results read per topic query
MEANING_ONLY = 2  # results found by meaning alone kept per topic
MEANING_WEIGHT = 0.5  # their share in the merge: below any keyword match near the top
ABSTRACT_CHARS = 320
RRF_K = 60


@dataclass(frozen=True, slots=True)
class DigestPaper:
    """A paper as a digest shows it (plain text; escaped where it is rendered)."""

    arxiv_id: str
    title: str
    authors: str
    abstract: str
    category: str | None
    upvotes: int


@dataclass(slots=True)
class DigestItem:
    paper: DigestPaper
    reasons: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Digest:
    subscription: Subscription
    period: Period
    trending: list[DigestItem]
    matched: list[DigestItem]

    @property
    def papers(self) -> int:
        return len(self.trending) + len(self.matched)

    @property
    def is_empty(self) -> bool:
        return self.papers == 0


def short_abstract(text: str, limit: int = ABSTRACT_CHARS) -> str:
    clean = " ".join(text.split())
    if len(clean) <= limit:
        return clean
    cut = clean.rfind(" ", 0, limit)
    return clean[: cut if cut > limit // 2 else limit].rstrip(" ,;:") + " …"


def _digest_paper(arxiv_id: str, title: str, authors: list[str],
                  abstract: str, category: str | None, upvotes: int) -> DigestPaper:
    """TeX accents and escapes (``Schr\\"odinger``, ``\\&``) become the letters they stand
    for, as on the paper's page; math between dollars stays as its TeX source, which
    reads well in plain text and works in every mail client."""
    return DigestPaper(arxiv_id, " ".join(detex_text(title).split()),
                       shorten_authors([detex_text(a) for a in authors], 5),
                       short_abstract(detex_text(abstract)), category, int(upvotes))


def topics_of(subscription: Subscription) -> list[tuple[str, str]]:
    """(search query, why it matched) for each of a subscription's topics."""
    out: list[tuple[str, str]] = []
    for category in subscription.categories:
        out.append((f"cat:{category}", f"in {category}"))
    for word in subscription.keywords:
        out.append((word, f"mentions “{word}”"))
    for author in subscription.authors:
        name = author.replace('"', " ")
        out.append((f'author:"{name}"', f"by {author}"))
    for query in subscription.searches:
        out.append((query, f"matches your search “{query}”"))
    return out


class Composer:
    """Composes the digests of one period (see the module notes)."""

    def __init__(self, engine: Engine, settings: Settings, period: Period) -> None:
        self.engine = engine
        self.settings = settings
        self.period = period
        self._topics: dict[str, list[tuple[str, bool]]] = {}
        self._papers: dict[str, DigestPaper] = {}
        self._trending = self._load_trending(settings.digest.trending)
        self._scope: ScopedSearch | None = None

    @property
    def scope(self) -> ScopedSearch:
        """The period's papers, searchable (loaded on the first topic search)."""
        if self._scope is None:
            end = self.period.end + timedelta(days=1)
            self._scope = ScopedSearch(self.engine, self.settings, self.period.start, end)
        return self._scope

    def close(self) -> None:
        if self._scope is not None:
            self._scope.close()
            self._scope = None

    def __enter__(self) -> Composer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _load_trending(self, count: int) -> list[DigestPaper]:
        if count <= 0:
            return []
        end = self.period.end + timedelta(days=1)
        with Session(self.engine) as session:
            items = queries.period_list(session, self.period.start, end, "votes",
                                        limit=count)
        out: list[DigestPaper] = []
        for item in items:
            paper: Paper = item.paper
            if paper.vote_count <= 0:
                break
            digest_paper = _digest_paper(paper.arxiv_id, paper.title,
                                         paper.authors or [], paper.abstract or "",
                                         paper.primary_category, paper.vote_count)
            self._papers[paper.arxiv_id] = digest_paper
            out.append(digest_paper)
        return out

    def topic_hits(self, query: str) -> list[tuple[str, bool]]:
        """(arXiv id, found by keyword) for one topic query in this period, best first;
        searched once per run."""
        hits = self._topics.get(query)
        if hits is not None:
            return hits
        scope = self.scope
        hits = []
        meaning_only = 0
        for hit in scope.search(query, mode="hybrid", limit=TOPIC_DEPTH):
            by_keyword = hit.matched_by != "semantic"
            if not by_keyword:
                meaning_only += 1
                if meaning_only > MEANING_ONLY:
                    continue
            paper = scope.papers[hit.paper_id]
            if paper.arxiv_id not in self._papers:
                self._papers[paper.arxiv_id] = _digest_paper(
                    paper.arxiv_id, paper.title, paper.authors, paper.abstract,
                    paper.primary_category, paper.upvotes)
            hits.append((paper.arxiv_id, by_keyword))
        self._topics[query] = hits
        return hits

    def compose(self, subscription: Subscription) -> Digest:
        """The digest of `subscription` for this period (it may be empty)."""
        trending = [DigestItem(p, [f"trending: {_votes(p.upvotes)}"]) for p in self._trending]
        by_id = {item.paper.arxiv_id: item for item in trending}
        scores: dict[str, float] = {}
        reasons: dict[str, list[str]] = {}
        for query, why in topics_of(subscription):
            for rank, (paper_id, by_keyword) in enumerate(self.topic_hits(query)):
                text = why if by_keyword else f"close in meaning to “{query}”"
                if paper_id in by_id:
                    if text not in by_id[paper_id].reasons:
                        by_id[paper_id].reasons.append(text)
                    continue
                weight = 1.0 if by_keyword else MEANING_WEIGHT
                scores[paper_id] = scores.get(paper_id, 0.0) + weight / (RRF_K + rank)
                bucket = reasons.setdefault(paper_id, [])
                if text not in bucket:
                    bucket.append(text)
        order = sorted(scores, key=lambda pid: (-scores[pid], pid))[: subscription.max_papers]
        matched = [DigestItem(self._papers[pid], reasons[pid]) for pid in order]
        return Digest(subscription, self.period, trending, matched)


def _votes(count: int) -> str:
    return "1 upvote" if count == 1 else f"{count} upvotes"
