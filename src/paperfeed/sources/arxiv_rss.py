"""arXiv listing feeds (``rss.arxiv.org/rss/<archives>``), RSS 2.0 in the 2024 format.

Pure: :func:`parse` turns one feed into records plus the announcement day (the
channel's ``pubDate``, as a date in the feed's own time zone). Each item carries its
announce type (``new``, ``cross``, ``replace``, ``replace-cross``) in
``PaperRecord.announce_type``; the abstract is the description after
``Abstract:``; ``dc:creator`` is one comma-separated (TeX-escaped) author list; the
id and version come from the ``guid`` (``oai:arXiv.org:2411.17700v1``), else the
description or the link. The first ``<category>`` is taken as the primary.

``published`` is set to the announcement day for ``new`` items (version 1 was just
announced); ``updated`` to the announcement day for replacements.

A feed for no papers (weekends, holidays) is a valid empty result. arXiv's error
feed ("Feed error for query: ...", e.g. "Bad archive 'astroph'") raises
:class:`SourceError` with arXiv's message.
"""

from __future__ import annotations

import re
from datetime import date
from email.utils import parsedate_to_datetime

from lxml import etree

from paperfeed.ids import ArxivId, InvalidArxivId, parse_arxiv_id
from paperfeed.records import PaperRecord, RejectedRecord
from paperfeed.sources.base import Parsed
from paperfeed.sources.errors import SourceError
from paperfeed.sources.snapshot import split_authors
from paperfeed.sources.taxonomy import clean_categories
from paperfeed.sources.xml import element_snippet, parse_xml, raw_text, text_of
from paperfeed.text import fold, fold_or_none

ARXIV = "{http://arxiv.org/schemas/atom}"
DC = "{http://purl.org/dc/elements/1.1/}"

ANNOUNCE_TYPES = ("new", "cross", "replace", "replace-cross")

_DESC_HEAD = re.compile(
    r"^\s*(?:arXiv:(?P<id>\S+))?\s*(?:Announce Type:\s*(?P<type>[\w-]+))?", re.IGNORECASE
)


def _rfc822_date(text: str) -> date | None:
    if not text:
        return None
    try:
        return parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        return None


def _item_id(item: etree._Element, head: re.Match[str] | None) -> ArxivId:
    candidates = [text_of(item.find("guid"))]
    if head is not None and head.group("id"):
        candidates.append(head.group("id"))
    candidates.append(text_of(item.find("link")))
    last: InvalidArxivId | None = None
    for c in candidates:
        if not c:
            continue
        try:
            return parse_arxiv_id(c)
        except InvalidArxivId as exc:
            last = exc
    raise last or InvalidArxivId("item has no guid, arXiv id or link")


def parse_item(
    item: etree._Element, location: str, day: date | None
) -> PaperRecord | RejectedRecord:
    description = raw_text(item.find("description"))
    head = _DESC_HEAD.match(description)
    try:
        aid = _item_id(item, head)
    except InvalidArxivId as exc:
        return RejectedRecord(location, str(exc), element_snippet(item))
    title = text_of(item.find("title"))
    if not title:
        return RejectedRecord(f"{location} ({aid.id})", "item has no title", element_snippet(item))
    announce = text_of(item.find(f"{ARXIV}announce_type")).lower()
    if not announce and head is not None and head.group("type"):
        announce = head.group("type").lower()
    _, sep, abstract = description.partition("Abstract:")
    categories = clean_categories([text_of(c) for c in item.findall("category")])
    creators = " , ".join(text_of(c) for c in item.findall(f"{DC}creator"))
    abstract = fold(abstract) if sep else ""
    is_new = announce in ("new", "cross") and aid.version in (None, 1)
    return PaperRecord(
        id=aid.id,
        title=title,
        abstract=abstract,
        authors=split_authors(creators) if creators else [],
        primary_category=categories[0] if categories else None,
        categories=categories,
        version=aid.version,
        published=day if is_new else None,
        updated=day if announce in ("replace", "replace-cross") else None,
        journal_ref=fold_or_none(text_of(item.find(f"{ARXIV}journal_reference"))),
        doi=fold_or_none(text_of(item.find(f"{ARXIV}DOI"))),
        license=fold_or_none(text_of(item.find(f"{DC}rights"))),
        announce_type=announce or None,
        location=location,
    )


def parse(data: bytes, source: str = "<input>") -> Parsed:
    """Parse one arXiv RSS feed. Raises :class:`SourceError` for error feeds and for
    bodies that are not RSS."""
    root = parse_xml(data, source)
    if root.tag != "rss":
        raise SourceError(f"{source}: not an RSS feed (root <{etree.QName(root).localname}>)")
    channel = root.find("channel")
    if channel is None:
        raise SourceError(f"{source}: RSS feed without a <channel>")
    title = text_of(channel.find("title"))
    if title.lower().startswith("feed error"):
        message = text_of(channel.find("description")) or title
        raise SourceError(f"arXiv RSS error: {message}", code="feed-error")
    day = _rfc822_date(text_of(channel.find("pubDate")))
    out = Parsed(announce_day=day)
    for index, item in enumerate(channel.findall("item"), 1):
        result = parse_item(item, f"{source}:item {index}", day)
        if isinstance(result, RejectedRecord):
            out.rejected.append(result)
        else:
            out.records.append(result)
    return out
