"""A feed as data, written as Atom 1.0 or RSS 2.0 through feedgen.

Everything shown is plain text. Atom marks titles and summaries ``type="text"``. RSS
has no such mark and readers take titles and descriptions that hold ``<`` or ``&`` for
HTML, so in RSS they are HTML-escaped text (``a &lt; b``, escaped again as XML): shown
as HTML, it reads as the original text. Before
feedgen sees a string, the characters XML 1.0 forbids (control characters, lone
surrogates, U+FFFE/U+FFFF) are dropped, and DEL and the C1 controls it discourages: lxml
refuses the first, and readers would choke on both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape

from feedgen.ext.base import (  # type: ignore[import-untyped]
    BaseEntryExtension,
    BaseExtension,
)
from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]
from lxml import etree

from paperfeed import __version__

# What XML 1.0 allows (tab, newline, carriage return, U+0020-U+D7FF, U+E000-U+FFFD and
# the astral planes), less the control characters it discourages (DEL and C1, U+007F to
# U+009F). Everything else is removed.
_NOT_XML = re.compile(
    "[^\t\n\r\u0020-\u007e\u00a0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def xml_safe(text: str | None) -> str:
    """`text` without the characters XML 1.0 forbids."""
    if not text:
        return ""
    return _NOT_XML.sub("", text)


@dataclass(frozen=True, slots=True)
class Link:
    href: str
    rel: str = "alternate"
    type: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One paper in a feed (every string plain text; URLs absolute)."""

    id: str
    title: str
    link: str
    summary: str
    published: datetime
    updated: datetime
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    related: tuple[Link, ...] = ()


@dataclass(frozen=True, slots=True)
class Feed:
    """A feed: its id (a URL), title and subtitle, `page_url` (the page readers see in a
    browser), entries in order and when it last changed. Where the feed document itself
    lives is given to :func:`to_atom` and :func:`to_rss`, one URL each."""

    id: str
    title: str
    subtitle: str
    page_url: str
    entries: tuple[FeedEntry, ...] = field(default_factory=tuple)
    updated: datetime = EPOCH


ATOM_NS = "http://www.w3.org/2005/Atom"


class _AtomLinks(BaseEntryExtension):  # type: ignore[misc]
    """An Atom entry's links with their rel, type and title (feedgen 1.0 writes an
    entry's links with their href only)."""

    def __init__(self) -> None:
        self.links: list[Link] = []

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        for link in self.links:
            attributes = {"href": link.href, "rel": link.rel, "type": link.type or "",
                          "title": xml_safe(link.title)}
            etree.SubElement(entry, f"{{{ATOM_NS}}}link",
                             {k: v for k, v in attributes.items() if v})
        return entry


def _as_html(text: str) -> str:
    return escape(text, quote=False)


def _generator(feed: Feed, self_url: str, media_type: str, *, rss: bool) -> FeedGenerator:
    shown = _as_html if rss else str
    fg = FeedGenerator()
    fg.id(xml_safe(feed.id))
    fg.title(shown(xml_safe(feed.title) or "paperfeed"))
    subtitle = shown(xml_safe(feed.subtitle) or xml_safe(feed.title) or "paperfeed")
    if rss:
        fg.description(subtitle)
    else:
        fg.subtitle(subtitle)
    fg.link(href=self_url, rel="self", type=media_type)
    fg.link(href=feed.page_url, rel="alternate", type="text/html")
    fg.updated(feed.updated)
    fg.lastBuildDate(feed.updated)
    fg.language("en")
    fg.generator("paperfeed", version=__version__)
    fg.load_extension("dc", atom=False, rss=True)
    fg.register_extension("links", BaseExtension, _AtomLinks, atom=True, rss=False)
    return fg


def _add_entries(fg: FeedGenerator, feed: Feed, *, rss: bool) -> None:
    shown = _as_html if rss else str
    for item in feed.entries:
        fe = fg.add_entry(order="append")
        fe.id(xml_safe(item.id))
        fe.guid(xml_safe(item.id), permalink=True)
        fe.title(shown(xml_safe(item.title) or "(untitled)"))
        fe.link(href=item.link, rel="alternate")  # Atom: an <link href> is the alternate
        if not rss:
            fe.links.links = list(item.related)
        summary = xml_safe(item.summary)
        if rss:
            fe.description(_as_html(summary or "(no abstract)"))
            for name in item.authors:
                fe.dc.dc_creator(xml_safe(name))
        else:
            fe.summary(summary or "(no abstract)", type="text")
            authors = [{"name": xml_safe(name)} for name in item.authors if xml_safe(name)]
            fe.author(authors or [{"name": "Unknown"}])
        for term in item.categories:
            fe.category(term=xml_safe(term), label=xml_safe(term))
        fe.published(item.published)
        fe.updated(item.updated)


def to_atom(feed: Feed, self_url: str) -> bytes:
    """The feed as an Atom 1.0 document (UTF-8)."""
    fg = _generator(feed, self_url, "application/atom+xml", rss=False)
    _add_entries(fg, feed, rss=False)
    return bytes(fg.atom_str(pretty=False))


def to_rss(feed: Feed, self_url: str) -> bytes:
    """The feed as an RSS 2.0 document (UTF-8)."""
    fg = _generator(feed, self_url, "application/rss+xml", rss=True)
    _add_entries(fg, feed, rss=True)
    return bytes(fg.rss_str(pretty=False))
