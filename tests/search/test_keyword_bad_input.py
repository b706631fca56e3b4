"""Bad input on both databases: whatever is typed, keyword search never raises and gives
the stated answer (exact results, total, message and notices); generated engine syntax
never makes an engine throw."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from paperfeed.config import Settings
from paperfeed.search import keyword
from paperfeed.search.query import parse
from paperfeed.search.service import search
from tests.search.kw_corpus import CORPUS, add_corpus


class Answer(NamedTuple):
    """What a query must get from the keyword search over tests/search/kw_corpus.py."""

    ids: tuple[str, ...] = ()  # by relevance; total == len(ids)
    message: str | None = None
    notices: tuple[str, ...] = ()


def found(*ids: str) -> Answer:
    return Answer(ids=ids)


TYPE_SOMETHING = Answer(message="Type a word, a phrase in quotes, or a filter such as cat:cs.LG.")
COMMON_ONLY = Answer(
    message="Only common words (like 'the' or 'and') were given; add a more specific word."
)
EXCLUDED_ONLY = Answer(message="Add a word to search for: excluded words alone match nothing.")
NO_MATCH = Answer(message="No papers match this search.")
# Everything with "sparse": the title match first, then the abstracts.
SPARSE = found("2401.00001", "2404.00007", "2401.00002")


def ignored(answer: Answer, words: str) -> Answer:
    return answer._replace(notices=(f"Ignored common words and operators: {words}.",))


EXPECTED: dict[str, Answer] = {
    "": TYPE_SOMETHING,
    "   ": TYPE_SOMETHING,
    "the of and": COMMON_ONLY,
    "a an the is": COMMON_ONLY,
    '"unbalanced quote': NO_MATCH,  # the phrase "unbalanced quote"
    'sparse "': SPARSE,
    '"""': TYPE_SOMETHING,
    "AND": COMMON_ONLY,
    "OR OR": COMMON_ONLY,
    "sparse AND OR NOT": ignored(SPARSE, "AND, OR, NOT"),
    "NEAR(sparse features, 3)": NO_MATCH,  # plain words: no paper has "near" and "3"
    "sparse NEAR/2 features": NO_MATCH,
    "*": TYPE_SOMETHING,
    "spar*": NO_MATCH,  # no prefix search: the word "spar"
    "^sparse": SPARSE,
    ":": TYPE_SOMETHING,
    "title:": NO_MATCH,  # the word "title"
    "::::": TYPE_SOMETHING,
    "{title}: sparse": NO_MATCH,
    "title : sparse": NO_MATCH,
    "sparse) OR (1=1": ignored(NO_MATCH, "OR"),
    "'; DROP TABLE papers; --": NO_MATCH,
    "sparse' OR '1'='1": ignored(NO_MATCH, "OR"),
    "\\": TYPE_SOMETHING,
    "col:sparse": NO_MATCH,  # the phrase "col sparse"
    "rank:1": NO_MATCH,
    "sparse & | ! <-> :*": SPARSE,
    "!!sparse": SPARSE,
    "(": TYPE_SOMETHING,
    ")": TYPE_SOMETHING,
    "-": TYPE_SOMETHING,
    "--sparse": EXCLUDED_ONLY,
    "-(": TYPE_SOMETHING,
    "x" * 10_000: NO_MATCH,
    "sparse " * 2_000: SPARSE,
    "\x00sparse\x00": SPARSE,
    "sparse\x1b[31m": NO_MATCH,  # "sparse" and "31m"
    "\u202esparse\u202c": SPARSE,
    "\ue000sparse\ue001": SPARSE,
    "Müller 量子 спарс 🙂 sparse": NO_MATCH,
    "🙂🙂🙂": TYPE_SOMETHING,
    "ﬁeld ＳＰＡＲＳＥ": NO_MATCH,  # "field" and "sparse": no paper has "field"
    'year:99999 after:0000-00-00 before:abc cat:""': TYPE_SOMETHING._replace(notices=(
        "year:99999 is not a year (e.g. year:2024)",
        "after:0000-00-00 is not a date (e.g. after:2024-01-31)",
        "before:abc is not a date (e.g. before:2024-01-31)",
        "cat: is not an arXiv category (e.g. cat:cs.LG)",
    )),
    'cat:cs.LG" OR 1=1': ignored(NO_MATCH, "OR"),
    'author:"': NO_MATCH,
    "2401.0000": NO_MATCH,
    "https://arxiv.org/abs/": NO_MATCH,
    "%s %d {}": ignored(NO_MATCH, "s"),
}
# Answers that differ by database: none. (Before migration 0007 PostgreSQL dropped the
# stop word "a" from the phrase "features a", from "features:A", and found papers with
# "features"; both databases now keep every word, and no paper has "features a".)
EXPECTED["sparse:* & features:A"] = NO_MATCH
BY_DATABASE: dict[str, dict[str, Answer]] = {}
BAD_INPUTS = [*EXPECTED, *BY_DATABASE]
PUBLISHED = {str(row["arxiv_id"]): row["published"] for row in CORPUS}


def expected_answer(engine: Engine, text: str) -> Answer:
    if text in BY_DATABASE:
        return BY_DATABASE[text][engine.dialect.name]
    return EXPECTED[text]


def newest_first(ids: tuple[str, ...]) -> list[str]:
    return sorted(ids, key=lambda i: PUBLISHED[i], reverse=True)  # type: ignore[arg-type, return-value]


@pytest.fixture
def corpus_settings(engine: Engine, tmp_path: Path) -> Settings:
    add_corpus(engine)
    return Settings(database_url=engine.url.render_as_string(False), data_dir=tmp_path / "d")


def test_bad_input_gets_its_stated_answer(engine: Engine, corpus_settings: Settings) -> None:
    # One database for the whole list (a fresh one per input would be slow). Semantic
    # search has no index here, so hybrid answers with the keyword results.
    for text in BAD_INPUTS:
        want = expected_answer(engine, text)
        for mode in ("keyword", "hybrid"):
            for sort in ("relevance", "date"):
                resp = search(engine, corpus_settings, text, mode=mode, limit=100, sort=sort)
                where = (text[:40], mode, sort)
                order = list(want.ids) if sort == "relevance" else newest_first(want.ids)
                assert [r.id for r in resp.results] == order, where
                assert (resp.total, resp.total_exact) == (len(want.ids), True), where
                assert resp.message == want.message, where
                assert resp.redirect is None, where
                if mode == "keyword":
                    assert resp.notices == list(want.notices), where
                elif want.message in (None, NO_MATCH.message):  # it was searched
                    # plus why semantic search was not used
                    *notices, why = resp.notices
                    assert notices == list(want.notices), where
                    if sort == "date":
                        assert why == "Sorted by date: showing keyword matches only.", where
                    else:
                        assert why.startswith("Semantic search is unavailable ("), where
                else:  # answered before any search
                    assert resp.notices == list(want.notices), where
                for r in resp.results:
                    assert "<script" not in r.snippet + r.title_html, where
        # limit=-1 is clamped to 1: the first result only, the same total.
        one = search(engine, corpus_settings, text, mode="keyword", limit=-1)
        assert one.limit == 1, text
        assert [r.id for r in one.results] == list(want.ids[:1]), text
        assert one.total == len(want.ids), text


def test_bad_input_still_finds_the_sensible_words(
    engine: Engine, corpus_settings: Settings
) -> None:
    for text in ['sparse "', "sparse AND OR NOT", "^sparse", "--sparse",
                 "\x00sparse\x00", "\u202esparse\u202c"]:
        resp = search(engine, corpus_settings, text, mode="keyword", limit=100000)
        assert resp.limit == 100
        want = EXPECTED[text]
        assert [r.id for r in resp.results] == list(want.ids), text
        assert resp.message == want.message, text
    resp = search(engine, corpus_settings, "Müller 量子 🙂", mode="keyword")
    assert (resp.results, resp.total, resp.message) == ([], 0, NO_MATCH.message)  # no 量子


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
