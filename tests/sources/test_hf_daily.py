"""Hugging Face daily papers JSON: papers, daily day, upstream upvotes, submitters, links."""

from __future__ import annotations

import json
from datetime import date

import pytest

from paperfeed.sources import hf_daily
from paperfeed.sources.errors import MalformedResponse, SourceError
from tests.conftest import FIXTURES

SAMPLE = FIXTURES / "hf_daily_papers_handmade.json"


def test_every_field_of_a_full_item() -> None:
    parsed = hf_daily.parse(SAMPLE.read_bytes(), "daily.json")
    assert [r.id for r in parsed.records] == ["2406.17759", "2504.19449", "1709.08568"]
    assert not parsed.rejected
    rec = parsed.records[0]
    assert rec.title == "Interpreting Attention Layer Outputs with Sparse Autoencoders"
    assert rec.abstract == (
        "A hand-written summary for tests: sparse autoencoders trained on attention layer "
        "outputs give interpretable features."
    )
    # All authors in order, hidden ones included.
    assert rec.authors == [
        "Connor Kissane",
        "Robert Krzyzanowski",
        "Joseph Bloom",
        "Arthur Conmy",
        "Neel Nanda",
    ]
    assert rec.published == date(2024, 6, 25)
    assert rec.daily_day == date(2024, 6, 26)  # paper.submittedOnDailyAt
    assert rec.upstream_upvotes == 42
    assert rec.submitted_by == "curator"
    assert rec.links == {
        "github": "https://github.com/example/attn-saes",
        "project": "https://example.org/attn-saes",
    }
    assert rec.version is None and not rec.withdrawn
    assert rec.location == "daily.json:item 1"


def test_daily_day_from_item_published_at_and_submitter_from_name() -> None:
    rec = hf_daily.parse(SAMPLE.read_bytes()).records[1]
    assert rec.daily_day == date(2025, 4, 29)  # no submittedOnDailyAt: the item's publishedAt
    assert rec.submitted_by == "somereader"  # 2024-era objects carry the username in "name"
    assert rec.upstream_upvotes == 7 and rec.links == {}


def test_withdrawn_paper() -> None:
    rec = hf_daily.parse(SAMPLE.read_bytes()).records[2]
    assert rec.withdrawn and rec.upstream_upvotes == 0 and rec.submitted_by == "another"


def test_bad_items_are_rejected_with_their_index() -> None:
    items = json.loads(SAMPLE.read_text())
    items[1]["paper"] = None
    items.insert(0, {"paper": {"id": "not an id", "title": "x"}})
    items.append("junk")
    parsed = hf_daily.parse(json.dumps(items).encode(), "d.json")
    assert [r.id for r in parsed.records] == ["2406.17759", "1709.08568"]
    assert [(r.location, r.reason.split(":")[0]) for r in parsed.rejected] == [
        ("d.json:item 1", "not an arXiv id"),
        ("d.json:item 3", "daily item has no paper object"),
        ("d.json:item 5", "daily item is not an object"),
    ]


def test_empty_array() -> None:
    parsed = hf_daily.parse(b"[]")
    assert parsed.records == [] and parsed.rejected == []


def test_error_object_names_the_hub_message() -> None:
    with pytest.raises(SourceError) as err:
        hf_daily.parse(b'{"error": "Invalid date"}')
    assert str(err.value) == "Hugging Face API error: Invalid date"


def test_truncated_json() -> None:
    with pytest.raises(MalformedResponse):
        hf_daily.parse(SAMPLE.read_bytes()[:500])
