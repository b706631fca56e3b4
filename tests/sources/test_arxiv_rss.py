"""arXiv RSS listing feeds (2024 format): announce types, abstracts, authors, errors."""

from __future__ import annotations

from collections import Counter
from datetime import date
from functools import cache

import pytest

from paperfeed.records import PaperRecord
from paperfeed.sources import arxiv_rss
from paperfeed.sources.base import Parsed
from paperfeed.sources.errors import SourceError
from tests.conftest import FIXTURES

ALL = "arxiv_rss_2024-11-28_all_archives_1504items.xml"


@cache
def full_feed() -> Parsed:
    return arxiv_rss.parse((FIXTURES / ALL).read_bytes(), ALL)


def record(arxiv_id: str) -> PaperRecord:
    return next(r for r in full_feed().records if r.id == arxiv_id)


def test_whole_feed_counts_and_announce_day() -> None:
    parsed = full_feed()
    assert parsed.announce_day == date(2024, 11, 28)
    assert len(parsed.records) == 1504 and not parsed.rejected
    assert Counter(r.announce_type for r in parsed.records) == {
        "new": 926,
        "replace": 569,
        "cross": 9,
    }
    assert all(r.title and r.abstract and r.authors and r.categories for r in parsed.records)
    assert all(r.daily_day is None for r in parsed.records)  # rules decide the daily list


def test_new_item_every_field() -> None:
    rec = full_feed().records[0]
    assert rec.id == "2411.17700" and rec.version == 1
    assert rec.announce_type == "new"
    assert rec.title.startswith("Exploring the Impact of Generative AI on Cross-Border E-Commerce")
    # The abstract is the description after "Abstract:", nothing of the header.
    assert rec.abstract.startswith("This study investigates the influence of generative")
    assert rec.abstract.endswith("structural equations (PLS-SEM).")
    assert "Announce Type" not in rec.abstract
    assert rec.authors == ["Jun Cui"]
    assert rec.categories == ["cs.CY"] and rec.primary_category == "cs.CY"
    assert rec.license == "http://creativecommons.org/licenses/by/4.0/"
    assert rec.published == date(2024, 11, 28) and rec.updated is None


def test_cross_list_with_doi_and_journal_reference() -> None:
    rec = record("2202.06515")
    assert rec.announce_type == "cross" and rec.version == 3
    assert rec.categories == ["astro-ph.CO", "astro-ph.GA", "physics.flu-dyn"]
    assert rec.primary_category == "astro-ph.CO"
    assert rec.doi == "10.1063/5.0236964"
    assert rec.journal_ref == "Physics of Fluids 36, 117158 (2024)"
    assert rec.published is None  # v3: not a first announcement


def test_replacement_keeps_its_version() -> None:
    rec = record("1401.3665")
    assert (rec.announce_type, rec.version) == ("replace", 4)
    assert rec.authors == ["Peter Keevash"]
    assert rec.updated == date(2024, 11, 28) and rec.published is None


def test_comma_separated_creators_with_affiliations_and_tex() -> None:
    assert record("2411.17748").authors == [
        "Mohammed Riadh Berramdane",
        "Alexandre Battiston",
        "Michele Bardi",
        "Nicolas Blet",
        "Benjamin Rémy",
        "Matthieu Urbain",
    ]
    assert record("2411.17793").authors == [
        "Jiahuei Lin",
        "Dayi Lin",
        "Sky Zhang",
        "Ahmed E. Hassan",
    ]
    many = record("2411.17934").authors
    assert len(many) == 21 and many[9] == "M. Kuźwa" and many[17] == "S. Schönert"


def test_replace_cross_type() -> None:
    text = (FIXTURES / ALL).read_text()
    item = text[
        text.index("<item>", text.index("1401.3665") - 300) : text.index(
            "</item>", text.index("1401.3665")
        )
        + 7
    ]
    crafted = item.replace("Announce Type: replace ", "Announce Type: replace-cross ").replace(
        "<arxiv:announce_type>replace</arxiv:announce_type>",
        "<arxiv:announce_type>replace-cross</arxiv:announce_type>",
    )
    head = text[: text.index("<item>")]
    feed = (head + crafted + "</channel></rss>").encode()
    (rec,) = arxiv_rss.parse(feed).records
    assert rec.announce_type == "replace-cross" and rec.id == "1401.3665"


def test_empty_listing_is_a_valid_empty_result() -> None:
    parsed = arxiv_rss.parse((FIXTURES / "arxiv_rss_2024_empty_test_archive.xml").read_bytes())
    assert parsed.records == [] and parsed.rejected == []
    assert parsed.announce_day == date(2024, 11, 28)


def test_error_feed_names_arxivs_message() -> None:
    with pytest.raises(SourceError) as err:
        arxiv_rss.parse((FIXTURES / "arxiv_rss_2024_error_bad_archive.xml").read_bytes())
    assert str(err.value).startswith("arXiv RSS error: Bad archive 'astroph'. Valid archive names")


def test_items_without_id_are_rejected_and_the_rest_kept() -> None:
    text = (FIXTURES / ALL).read_text()
    head = text[: text.index("<item>")]
    items = text[text.index("<item>") : text.index("</channel>")].split("</item>")[:3]
    broken = items[1]
    for tag in ("guid", "link"):
        start = broken.index(f"<{tag}")
        broken = broken[:start] + broken[broken.index(f"</{tag}>") + len(tag) + 3 :]
    broken = broken.replace("arXiv:2411.17701v1", "")
    feed = head + items[0] + "</item>" + broken + "</item>" + items[2] + "</item></channel></rss>"
    parsed = arxiv_rss.parse(feed.encode(), "feed.xml")
    assert [r.id for r in parsed.records] == ["2411.17700", "2411.17702"]
    (rej,) = parsed.rejected
    assert rej.location == "feed.xml:item 2" and rej.raw.startswith("<item")
