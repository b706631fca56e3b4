"""Text no database can hold still makes a well-formed feed: lone surrogates, U+FFFE,
NUL and the other control characters are dropped before the document is written."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser
import pytest

from paperfeed.feeds.document import Feed, FeedEntry, to_atom, to_rss, xml_safe

BAD = "a\x00b\ud800c\ufffed\x1fe\x85f\U0001d400g\tend"


def test_xml_safe_keeps_what_xml_allows() -> None:
    assert xml_safe(BAD) == "abcdef\U0001d400g\tend"
    assert xml_safe(None) == ""


@pytest.mark.parametrize("write", [to_atom, to_rss])
def test_a_feed_of_unstorable_text_parses(write: object) -> None:
    when = datetime(2024, 11, 30, tzinfo=UTC)
    item = FeedEntry(id="https://x.example/papers/1", title=BAD, link="https://x.example/p/1",
                     summary=BAD, published=when, updated=when, authors=(BAD,))
    feed = Feed(id="https://x.example/feeds/t", title=BAD, subtitle=BAD,
                page_url="https://x.example/", entries=(item,), updated=when)
    result = feedparser.parse(write(feed, "https://x.example/feeds/t"))  # type: ignore[operator]
    assert result.bozo == 0, result.get("bozo_exception")
    assert result.entries[0].title.startswith("abcdef")
