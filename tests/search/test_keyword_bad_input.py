"""Bad input on both databases: whatever is typed, keyword search answers (results or a
clear message) and never raises; generated engine syntax never makes an engine throw."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from paperfeed.config import Settings
from paperfeed.search import keyword
from paperfeed.search.query import parse
from paperfeed.search.service import search
from tests.search.kw_corpus import add_corpus

BAD_INPUTS = [
    "",
    "   ",
    "the of and",
    "a an the is",
    '"unbalanced quote',
    'sparse "',
    '"""',
    "AND",
    "OR OR",
    "sparse AND OR NOT",
    "NEAR(sparse features, 3)",
    "sparse NEAR/2 features",
    "*",
    "spar*",
    "^sparse",
    ":",
    "title:",
    "::::",
    "{title}: sparse",
    "title : sparse",
    "sparse) OR (1=1",
    "'; DROP TABLE papers; --",
    "sparse' OR '1'='1",
    "\\",
    "col:sparse",
    "rank:1",
    "sparse & | ! <-> :*",
    "!!sparse",
    "sparse:* & features:A",
    "(",
    ")",
    "-",
    "--sparse",
    "-(",
    "x" * 10_000,
    "sparse " * 2_000,
    "\x00sparse\x00",
    "sparse\x1b[31m",
    "\u202esparse\u202c",
    "\ue000sparse\ue001",
    "Müller 量子 спарс 🙂 sparse",
    "🙂🙂🙂",
    "ﬁeld ＳＰＡＲＳＥ",
    "year:99999 after:0000-00-00 before:abc cat:\"\"",
    "cat:cs.LG\" OR 1=1",
    "author:\"",
    "2401.0000",
    "https://arxiv.org/abs/",
    "%s %d {}",
]


@pytest.fixture
def corpus_settings(engine: Engine, tmp_path: Path) -> Settings:
    add_corpus(engine)
    return Settings(database_url=engine.url.render_as_string(False), data_dir=tmp_path / "d")


def test_bad_input_never_raises(engine: Engine, corpus_settings: Settings) -> None:
    # One database for the whole list (a fresh one per input would be slow).
    for text in BAD_INPUTS:
        for mode in ("keyword", "hybrid"):
            for sort in ("relevance", "date"):
                resp = search(engine, corpus_settings, text, mode=mode, limit=-1, sort=sort)
                assert resp.limit == 1, text
                assert resp.results or resp.message or resp.total == 0, text
                for r in resp.results:
                    assert "<script" not in r.snippet + r.title_html, text


def test_bad_input_still_finds_the_sensible_words(
    engine: Engine, corpus_settings: Settings
) -> None:
    for text in ['sparse "', "sparse AND OR NOT", "^sparse", "--sparse",
                 "\x00sparse\x00", "\u202esparse\u202c", "Müller 量子 🙂"]:
        resp = search(engine, corpus_settings, text, mode="keyword", limit=100000)
        assert resp.limit == 100
        if text == "--sparse":
            assert resp.message  # an exclusion alone
        elif text == "Müller 量子 🙂":
            assert resp.results == []  # nothing has 量子
        else:
            assert resp.results[0].id == "2401.00001", text


@settings(
    max_examples=120, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.text(max_size=120))
def test_fuzzed_queries_never_make_the_engine_throw(engine: Engine, text: str) -> None:
    q = parse(text)
    with engine.connect() as conn:
        page = keyword.search(conn, q, limit=5)
        keyword.highlights(conn, q, [h.paper_id for h in page.hits] or [1])
        keyword.filter_ids(conn, keyword.required_terms(q), [1, 2, 3])


@settings(
    max_examples=120, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.sampled_from(
            ['"', "-", "AND", "OR", "NOT", "NEAR", "*", "^", ":", "(", ")", "{", "}", "'",
             "&", "|", "!", "<->", ":*", "author:", "cat:", "title:", "year:", "sparse",
             "features", "the", "x", " ", "\\", "量子", "\x00"]
        ),
        max_size=30,
    )
)
def test_syntax_soup_never_makes_the_engine_throw(engine: Engine, parts: list[str]) -> None:
    q = parse("".join(parts))
    with engine.connect() as conn:
        keyword.search(conn, q, limit=5)
        keyword.search(conn, q, limit=5, sort="date")
