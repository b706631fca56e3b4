"""Format detection from the first bytes of every real fixture."""

from __future__ import annotations

import json

import pytest

from paperfeed.sources.detect import detect_format
from tests.conftest import FIXTURES

EXPECTED = {
    "arxiv_api_": "arxiv-atom",
    "arxiv_oai_": "oai-pmh",
    "arxiv_rss_": "arxiv-rss",
    "kaggle_arxiv-metadata-oai-snapshot": "snapshot",
}
REAL = sorted(p for p in FIXTURES.iterdir() if any(p.name.startswith(k) for k in EXPECTED))


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
def test_real_fixtures_are_detected_from_their_first_kb(path: object) -> None:
    expected = next(v for k, v in EXPECTED.items() if path.name.startswith(k))  # type: ignore[attr-defined]
    assert detect_format(path.read_bytes()[:1024]) == expected  # type: ignore[attr-defined]


def test_all_four_xml_and_snapshot_formats_are_present() -> None:
    assert {detect_format(p.read_bytes()[:1024]) for p in REAL} == set(EXPECTED.values())


def test_hf_daily_array() -> None:
    item = {"paper": {"id": "2410.18057", "title": "T", "authors": []}, "title": "T"}
    assert detect_format(json.dumps([item, item]).encode()) == "hf-daily"
    assert detect_format(b'  [\n  {\n "paper": {}}]') == "hf-daily"
    assert detect_format(b"[]") == "hf-daily"


def test_snapshot_line_cut_short_is_still_a_snapshot() -> None:
    head = b'{"id":"0704.0001","submitter":"Pavel Nadolsky","authors":"C. Bal' + b"x" * 2000
    assert detect_format(head[:1024]) == "snapshot"


def test_xml_with_bom_comments_and_prefixes() -> None:
    assert (
        detect_format(b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- hi -->\n<OAI-PMH xmlns="x">')
        == "oai-pmh"
    )
    assert detect_format(b'<atom:feed xmlns:atom="http://www.w3.org/2005/Atom">') == "arxiv-atom"


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"   \n",
        b"hello world",
        b"<html><body>",
        b'{"a": 1}',
        b"[1, 2, 3]",
        b"\x1f\x8b\x08\x00",
        b'<feed xmlns="http://example.org/not-atom">',
        b"id,title\n1,x",
    ],
)
def test_unknown_content_is_none(head: bytes) -> None:
    assert detect_format(head) is None
