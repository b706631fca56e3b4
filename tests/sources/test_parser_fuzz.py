"""Mutated real responses: every parser returns records/rejections or raises SourceError,
never another exception (RELIABILITY row 1)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperfeed.records import PaperRecord, RejectedRecord
from paperfeed.sources import arxiv_atom, arxiv_rss, hf_daily, oai_pmh
from paperfeed.sources.base import Parsed
from paperfeed.sources.errors import SourceError
from tests.conftest import FIXTURES


@cache
def small_rss() -> bytes:
    text = (FIXTURES / "arxiv_rss_2024-11-28_all_archives_1504items.xml").read_text()
    cut = 0
    for _ in range(4):
        cut = text.index("</item>", cut) + len("</item>")
    return (text[:cut] + "</channel></rss>").encode()


CASES: dict[str, tuple[Callable[[bytes, str], Parsed], Callable[[], bytes]]] = {
    "atom-classic": (
        arxiv_atom.parse,
        lambda: (FIXTURES / "arxiv_api_2016_idlist_1111.2011v2_doi_journalref.xml").read_bytes(),
    ),
    "atom-current": (
        arxiv_atom.parse,
        lambda: (FIXTURES / "arxiv_api_2026_search_testing_start0_max10.xml").read_bytes(),
    ),
    "oai-dc": (
        oai_pmh.parse,
        lambda: (
            FIXTURES / "arxiv_oai_2024-01-27_ListRecords_oai_dc_cs_resumptionToken.trimmed5.xml"
        ).read_bytes(),
    ),
    "oai-arxiv": (
        oai_pmh.parse,
        lambda: (
            FIXTURES / "arxiv_oai_2017-12-14_ListRecords_arXiv_hep-ex_3records.xml"
        ).read_bytes(),
    ),
    "oai-raw": (
        oai_pmh.parse,
        lambda: (FIXTURES / "oai_arXivRaw_listrecords_handmade.xml").read_bytes(),
    ),
    "rss": (arxiv_rss.parse, small_rss),
    "hf": (hf_daily.parse, lambda: (FIXTURES / "hf_daily_papers_handmade.json").read_bytes()),
}

# Pieces that make for interesting damage in XML and JSON.
JUNK = [
    b"<",
    b">",
    b"&",
    b"&amp;",
    b"]]>",
    b"<!--",
    b"\x00",
    b"\xff\xfe",
    b'"',
    b"{",
    b"[",
    b"null",
    b"</entry>",
    b"<id>",
    b"</id>",
    b"v0",
    b"vx",
    b"\xc3",
    b"\xe2\x80",
    b"9999.99999",
    b"<resumptionToken>",
    b'status="deleted"',
    b'<error code="x">',
    b"Abstract:",
    b":",
]

mutation = st.one_of(
    st.tuples(st.just("cut"), st.floats(0, 1), st.floats(0, 1)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.sampled_from(JUNK)),
    st.tuples(st.just("bytes"), st.floats(0, 1), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("truncate"), st.floats(0, 1), st.none()),
)


def mutate(data: bytes, steps: list[tuple[str, float, object]]) -> bytes:
    for kind, where, arg in steps:
        pos = int(where * len(data))
        if kind == "cut" and isinstance(arg, float):
            end = min(len(data), pos + int(arg * 200))
            data = data[:pos] + data[end:]
        elif kind in ("insert", "bytes") and isinstance(arg, bytes):
            data = data[:pos] + arg + data[pos:]
        elif kind == "truncate":
            data = data[:pos]
    return data


@pytest.mark.parametrize("case", sorted(CASES))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_fixture_parses_or_raises_source_error(case: str, steps: list) -> None:  # type: ignore[type-arg]
    parse, load = CASES[case]
    data = mutate(load(), steps)
    try:
        parsed = parse(data, "mutated")
    except SourceError as exc:
        assert str(exc)  # one readable line
        return
    assert isinstance(parsed, Parsed)
    for rec in parsed.records:
        assert isinstance(rec, PaperRecord)
        assert rec.deleted or (rec.id and rec.title)
    for rej in parsed.rejected:
        assert isinstance(rej, RejectedRecord) and rej.location and rej.reason
