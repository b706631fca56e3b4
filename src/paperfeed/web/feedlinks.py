"""Where a page's feeds are, for its ``<link rel="alternate">`` tags and "Feed" link.

A page passes ``feeds`` (a list of :class:`FeedLink`) in its template context;
``base.html`` writes an Atom and an RSS alternate link for each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import quote, urlencode


@dataclass(frozen=True, slots=True)
class FeedLink:
    title: str
    path: str  # without its suffix: /feeds/daily
    query: str = ""  # the query string, encoded, without "?"

    def _url(self, suffix: str) -> str:
        return f"{self.path}.{suffix}" + (f"?{self.query}" if self.query else "")

    @property
    def atom(self) -> str:
        return self._url("atom")

    @property
    def rss(self) -> str:
        return self._url("rss")


def daily_feeds(day: date | None = None) -> list[FeedLink]:
    """The daily list's feed: of the latest list (`day` None), or of one day."""
    if day is None:
        return [FeedLink("Daily papers", "/feeds/daily")]
    return [FeedLink(f"Daily papers of {day.isoformat()}", "/feeds/daily",
                     urlencode({"date": day.isoformat()}))]


def trending_feeds() -> list[FeedLink]:
    return [FeedLink("Trending papers", "/feeds/trending")]


def search_feeds(query: str) -> list[FeedLink]:
    """The newest papers matching `query`; none for an empty query."""
    if not query.strip():
        return []
    return [FeedLink(f"Search: {' '.join(query.split())[:200]}", "/feeds/search",
                     urlencode({"q": query}))]


def category_feeds(category: str) -> list[FeedLink]:
    return [FeedLink(f"New in {category}", "/feeds/category/" + quote(category, safe=""))]
