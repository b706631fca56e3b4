"""Which papers each feed holds, newest or best first, at most :data:`MAX_ITEMS`.

- daily: one day's list, in the list's order (most upvoted first);
- trending: the /trending order (the stored trending key, highest first);
- category: the newest papers (by first version's date; papers without one are left
  out) whose categories include it; an archive (``math``) stands for all of its
  categories (``math.*``);
- search: a keyword search of the query language, newest first (what feed readers
  expect: new matches arrive at the top);
- personal: the newest papers matching any topic of a reader's digest subscription
  (its categories, keywords, authors and saved searches, each searched as the digest
  searches them).

Every list is one bounded query down an index (the daily list's day, the trending key,
the publication date), or a bounded search per topic. A feed's ``updated`` is when
anything in it last changed here: its newest paper change or list entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from urllib.parse import quote, urlencode

from sqlalchemy import Engine, String, cast, or_, select
from sqlalchemy.orm import Session

from paperfeed.config import Settings
from paperfeed.feeds.document import EPOCH, Feed, xml_safe
from paperfeed.feeds.entries import as_utc, changed_at, paper_entry, site_url
from paperfeed.search.service import search
from paperfeed.storage import queries
from paperfeed.storage.models import Paper, Subscription, User

MAX_ITEMS = 50
MAX_TOPICS = 20  # topics of a personal feed searched (the first ones)
_FEED_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _feed(settings: Settings, *, feed_path: str, page_path: str, title: str,
          subtitle: str, papers: Iterable[Paper],
          also_changed: Iterable[datetime | None] = ()) -> Feed:
    listed = list(papers)
    moments = [changed_at(p) for p in listed] + [
        m for m in (as_utc(x) for x in also_changed) if m is not None]
    return Feed(
        id=site_url(settings.base_url, feed_path),
        title=f"{settings.site_name}: {title}",
        subtitle=subtitle,
        page_url=site_url(settings.base_url, page_path),
        entries=tuple(paper_entry(p, settings.base_url) for p in listed),
        updated=max(moments, default=EPOCH),
    )


def daily_feed(session: Session, settings: Settings, day: date) -> Feed:
    """The papers on `day`'s list, most upvoted first."""
    items = queries.daily_list(session, day, "votes", limit=MAX_ITEMS)
    return _feed(
        settings, feed_path=f"/feeds/daily?date={day.isoformat()}",
        page_path=f"/date/{day.isoformat()}",
        title=f"daily papers of {day.isoformat()}",
        subtitle=f"The papers on the daily list of {day.isoformat()}, most upvoted first.",
        papers=[item.paper for item in items],
        also_changed=[item.entry.submitted_at for item in items],
    )


def trending_feed(session: Session, settings: Settings, cutoff: date) -> Feed:
    """Trending papers listed since `cutoff`, in the /trending page's order."""
    papers = queries.trending_list(session, cutoff, limit=MAX_ITEMS)
    return _feed(
        settings, feed_path="/feeds/trending", page_path="/trending",
        title="trending papers",
        subtitle="What readers upvoted lately; recent votes count most.",
        papers=papers,
    )


def _in_category(category: str) -> object:
    """Papers whose categories include `category` (an archive: any of its classes). The
    JSON list's text holds each name quoted, as the keyword search's filter reads it."""
    text = cast(Paper.categories, String)
    if "." in category:
        return text.contains(f'"{category}"', autoescape=True)
    return or_(text.contains(f'"{category}"', autoescape=True),
               text.contains(f'"{category}.', autoescape=True))


def category_feed(session: Session, settings: Settings, category: str) -> Feed:
    """The newest papers in `category` (a checked, normalised arXiv category or archive)."""
    papers = session.scalars(
        select(Paper)
        .where(_in_category(category), Paper.published.is_not(None))  # type: ignore[arg-type]
        .order_by(Paper.published.desc(), Paper.id.desc())
        .limit(MAX_ITEMS)
    ).all()
    query = urlencode({"q": f"cat:{category}", "sort": "date"})
    return _feed(
        settings, feed_path="/feeds/category/" + quote(category, safe=""),
        page_path=f"/search?{query}", title=f"new in {category}",
        subtitle=f"The newest papers in {category}.", papers=papers,
    )


def _searched(engine: Engine, settings: Settings, query: str) -> list[str]:
    """arXiv ids of the newest keyword matches of `query` (none for an empty query)."""
    resp = search(engine, settings, query, mode="keyword", limit=MAX_ITEMS, sort="date")
    return [result.id for result in resp.results]


def _load(session: Session, arxiv_ids: Sequence[str]) -> dict[str, Paper]:
    if not arxiv_ids:
        return {}
    rows = session.scalars(select(Paper).where(Paper.arxiv_id.in_(list(arxiv_ids))))
    return {paper.arxiv_id: paper for paper in rows}


def search_feed(engine: Engine, session: Session, settings: Settings, query: str) -> Feed:
    """The newest papers matching `query` (the search query language)."""
    ids = _searched(engine, settings, query)
    loaded = _load(session, ids)
    shown = " ".join(xml_safe(query).split())
    return _feed(
        settings, feed_path="/feeds/search?" + urlencode({"q": query}),
        page_path="/search?" + urlencode({"q": query, "sort": "date"}),
        title=f"search “{shown}”",
        subtitle=f"The newest papers matching “{shown}”.",
        papers=[loaded[i] for i in ids if i in loaded],
    )


def subscription_of(session: Session, user: User) -> Subscription | None:
    """The reader's digest subscription: the one made by the account, else the one of
    the account's email address."""
    own = session.scalars(
        select(Subscription).where(Subscription.user_id == user.id)
        .order_by(Subscription.id).limit(1)
    ).first()
    if own is not None or not user.email:
        return own
    return session.scalars(
        select(Subscription).where(Subscription.email_key == user.email.lower()).limit(1)
    ).first()


def topic_queries(subscription: Subscription | None) -> list[str]:
    """Each topic of a subscription as a search query, as the digest searches them:
    ``cat:C``, a keyword as typed, ``author:"A"``, a saved search as typed."""
    if subscription is None:
        return []
    out = [f"cat:{c}" for c in subscription.categories or []]
    out += list(subscription.keywords or [])
    out += ['author:"{}"'.format(a.replace('"', " ")) for a in subscription.authors or []]
    out += list(subscription.searches or [])
    return [q for q in dict.fromkeys(q.strip() for q in out) if q][:MAX_TOPICS]


def user_by_feed_key(session: Session, key: str) -> User | None:
    """The account whose personal feed address holds `key`; None for an unknown or
    revoked key."""
    if not _FEED_KEY.fullmatch(key):  # what token_urlsafe makes; nothing else is looked up
        return None
    return session.scalar(select(User).where(User.feed_key == key))


def personal_feed(engine: Engine, session: Session, settings: Settings, user: User) -> Feed:
    """The newest papers matching any of the reader's digest topics."""
    topics = topic_queries(subscription_of(session, user))
    ids = list(dict.fromkeys(i for topic in topics for i in _searched(engine, settings, topic)))
    loaded = _load(session, ids)
    papers = sorted(loaded.values(),
                    key=lambda p: (p.published or date.min, p.id), reverse=True)[:MAX_ITEMS]
    return _feed(
        settings, feed_path="/feeds/user/" + quote(user.feed_key or "", safe=""),
        page_path="/settings", title=f"papers for {user.username}",
        subtitle=("The newest papers in your topics: " + "; ".join(topics)) if topics else
        "Your digest has no topics yet: choose some in your digest preferences.",
        papers=papers,
    )
