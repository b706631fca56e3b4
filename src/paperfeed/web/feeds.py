"""Atom and RSS feeds: ``/feeds/daily``, ``/feeds/trending``, ``/feeds/category/CAT``,
``/feeds/search?q=…`` and ``/feeds/user/KEY`` (a reader's personal feed), each with the
suffix ``.atom`` or ``.rss``.

Every answer carries a strong ``ETag`` (a hash of the document) and ``Last-Modified``
(when anything in the feed last changed), and answers a matching ``If-None-Match`` (or,
without one, an ``If-Modified-Since`` not older than the feed) with 304 and no body.
Public feeds may be cached by anyone for a few minutes; a personal feed, whose address
is its only key, only by the reader's own client, and is revalidated every time so that
a replaced or turned-off address stops working at once (after at most the page cache's
lifetime, one second under `serve`, in another worker). Unknown feeds, days, categories
and keys are 404s (JSON, as for the API)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from paperfeed.feeds.document import Feed, to_atom, to_rss
from paperfeed.feeds.select import (
    category_feed,
    daily_feed,
    personal_feed,
    search_feed,
    trending_feed,
    user_by_feed_key,
)
from paperfeed.search.query import normalise_category
from paperfeed.sources.taxonomy import is_arxiv_category
from paperfeed.storage import queries
from paperfeed.web.deps import SettingsDep, read_session
from paperfeed.web.lists import TRENDING_DAYS
from paperfeed.web.pages import parse_day
from paperfeed.web.viewer import utcnow

router = APIRouter(include_in_schema=False)

MEDIA_TYPES = {"atom": "application/atom+xml; charset=utf-8",
               "rss": "application/rss+xml; charset=utf-8"}
PUBLIC_CACHE = "public, max-age=300"
PRIVATE_CACHE = "private, no-cache"


class FeedNotFound(HTTPException):
    def __init__(self, message: str) -> None:
        super().__init__(status_code=404, detail=message)


def _format(fmt: str) -> str:
    if fmt not in MEDIA_TYPES:
        raise FeedNotFound("Feeds end in .atom or .rss.")
    return fmt


def etag_of(body: bytes) -> str:
    """A strong entity tag: the document's hash."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    """Whether an If-None-Match list names `etag` (weak comparison, as RFC 9110 asks)."""
    tags = [t.strip() for t in if_none_match.split(",")]
    return any(t == "*" or t.removeprefix("W/") == etag for t in tags)


def not_modified(request: Request, etag: str, last_modified: datetime) -> bool:
    """Whether the client's copy is current: its If-None-Match names `etag`; or, when it
    sent none, its If-Modified-Since is not older than `last_modified`."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return _matches(if_none_match, etag)
    since = request.headers.get("if-modified-since")
    if not since:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return last_modified.replace(microsecond=0) <= when


def feed_response(request: Request, feed: Feed, fmt: str, *, private: bool = False) -> Response:
    """The feed as `fmt`, with its validators; 304 when the client's copy is current."""
    url = request.app.state.settings.base_url.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    body = to_atom(feed, url) if fmt == "atom" else to_rss(feed, url)
    etag = etag_of(body)
    headers = {
        "ETag": etag,
        "Last-Modified": format_datetime(feed.updated.astimezone(UTC), usegmt=True),
        "Cache-Control": PRIVATE_CACHE if private else PUBLIC_CACHE,
    }
    if private:
        headers["X-Robots-Tag"] = "noindex"
    if not_modified(request, etag, feed.updated):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)


def _read(request: Request, build: Callable[[Session], Feed]) -> Feed:
    with read_session(request) as session:
        return build(session)


@router.api_route("/feeds/daily.{fmt}", methods=["GET", "HEAD"])
def daily(request: Request, settings: SettingsDep, fmt: str,
          day_text: str = Query("", alias="date", max_length=20)) -> Response:
    """The latest daily list, or that of ?date=YYYY-MM-DD."""
    fmt = _format(fmt)
    day = parse_day(day_text) if day_text else None
    if day_text and day is None:
        raise FeedNotFound("Dates look like 2024-11-28.")

    def build(session: Session) -> Feed:
        shown = day or queries.latest_day(session)
        if shown is None:  # nothing listed yet: an empty feed of today
            return daily_feed(session, settings, utcnow(request).date())
        if day is not None and queries.daily_count(session, day) == 0:
            raise FeedNotFound(f"No papers were listed on {day.isoformat()}.")
        return daily_feed(session, settings, shown)

    return feed_response(request, _read(request, build), fmt)


@router.api_route("/feeds/trending.{fmt}", methods=["GET", "HEAD"])
def trending(request: Request, settings: SettingsDep, fmt: str) -> Response:
    """The /trending page's papers, in its order."""
    fmt = _format(fmt)

    def build(session: Session) -> Feed:
        current = queries.latest_day(session) or utcnow(request).date()
        return trending_feed(session, settings, current - timedelta(days=TRENDING_DAYS))

    return feed_response(request, _read(request, build), fmt)


@router.api_route("/feeds/category/{name}.{fmt}", methods=["GET", "HEAD"])
def category(request: Request, settings: SettingsDep, name: str, fmt: str) -> Response:
    """The newest papers of an arXiv category (cs.LG) or archive (math)."""
    fmt = _format(fmt)
    normal = normalise_category(name) if len(name) <= 40 else None
    if normal is None or not is_arxiv_category(normal):
        raise FeedNotFound(f"{name[:40]!r} is not an arXiv category (like cs.LG or math).")
    return feed_response(
        request, _read(request, lambda s: category_feed(s, settings, normal)), fmt)


@router.api_route("/feeds/search.{fmt}", methods=["GET", "HEAD"])
def search(request: Request, settings: SettingsDep, fmt: str,
           q: str = Query(..., min_length=1, max_length=1000)) -> Response:
    """The newest papers matching a search (the query language of /search)."""
    fmt = _format(fmt)
    engine = request.app.state.engine
    return feed_response(
        request, _read(request, lambda s: search_feed(engine, s, settings, q)), fmt)


@router.api_route("/feeds/user/{key}.{fmt}", methods=["GET", "HEAD"])
def personal(request: Request, settings: SettingsDep, key: str, fmt: str) -> Response:
    """A reader's personal feed: the newest papers in their digest topics."""
    fmt = _format(fmt)
    engine = request.app.state.engine

    def build(session: Session) -> Feed:
        user = user_by_feed_key(session, key)
        if user is None:
            raise FeedNotFound("There is no feed at this address (it may have been turned "
                               "off or replaced).")
        return personal_feed(engine, session, settings, user)

    return feed_response(request, _read(request, build), fmt, private=True)
