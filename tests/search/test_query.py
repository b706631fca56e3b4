"""The query language: what users type becomes a tree of words, phrases and filters."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperfeed.search.query import MAX_TERMS, Query, Term, normalise_category, parse


def test_plain_words_are_all_required() -> None:
    q = parse("sparse Autoencoders")
    assert q.include == (Term(("sparse",)), Term(("autoencoders",)))
    assert q.text() == "sparse autoencoders"
    assert not q.exclude and not q.has_filters and q.arxiv_id is None


def test_phrases_and_exclusions() -> None:
    q = parse('"language model" -survey -"large scale" reasoning')
    assert q.include == (Term(("language", "model")), Term(("reasoning",)))
    assert q.exclude == (Term(("survey",)), Term(("large", "scale")))
    assert q.include[0].is_phrase


def test_field_terms() -> None:
    q = parse('author:"Yann LeCun" au:bengio title:diffusion ti:"neural operator"')
    assert q.include == (
        Term(("yann", "lecun"), "author"),
        Term(("bengio",), "author"),
        Term(("diffusion",), "title"),
        Term(("neural", "operator"), "title"),
    )
    # Author names are not meaning-bearing text for semantic search.
    assert q.text() == "diffusion neural operator"


def test_author_names_keep_words_that_look_like_stop_words() -> None:
    assert parse('author:"Will Smith"').include == (Term(("will", "smith"), "author"),)


@pytest.mark.parametrize(
    ("text", "cats"),
    [
        ("cat:cs.LG", ("cs.LG",)),
        ("cat:cs.lg", ("cs.LG",)),
        ("cat:CS", ("cs",)),
        ("cat:astro-ph.GA", ("astro-ph.GA",)),
        ("cat:physics.comp-ph", ("physics.comp-ph",)),
        ("cat:hep-th", ("hep-th",)),
        ("cat:cs.LG,cs.AI cat:cs.LG", ("cs.LG", "cs.AI")),
    ],
)
def test_categories(text: str, cats: tuple[str, ...]) -> None:
    q = parse(text)
    assert q.categories == cats
    assert q.has_filters and not q.is_empty and q.empty_reason() is None


def test_excluded_category() -> None:
    q = parse("graph -cat:cs.SI")
    assert q.exclude_categories == ("cs.SI",) and q.categories == ()


@pytest.mark.parametrize(
    ("text", "lo", "hi"),
    [
        ("year:2024", date(2024, 1, 1), date(2025, 1, 1)),
        ("year:2020-2022", date(2020, 1, 1), date(2023, 1, 1)),
        ("year:2020..2022", date(2020, 1, 1), date(2023, 1, 1)),
        ("after:2024-03-05", date(2024, 3, 5), None),
        ("after:2024-03", date(2024, 3, 1), None),
        ("before:2024-06", None, date(2024, 6, 1)),
        ("before:2024", None, date(2024, 1, 1)),
        ("year:2024 after:2024-05-01", date(2024, 5, 1), date(2025, 1, 1)),
    ],
)
def test_dates(text: str, lo: date | None, hi: date | None) -> None:
    q = parse(text)
    assert (q.date_from, q.date_to) == (lo, hi)
    assert q.problems == ()


@pytest.mark.parametrize(
    "text",
    ["year:abc", "year:0", "after:2024-13-01", "before:2024-02-30", "cat:!!", "cat:cs..LG"],
)
def test_bad_filters_are_reported_not_raised(text: str) -> None:
    q = parse(text + " graphs")
    assert len(q.problems) == 1
    assert q.include == (Term(("graphs",)),)
    assert not q.has_filters


def test_contradictory_dates_are_reported() -> None:
    q = parse("after:2024-06-01 before:2024-01-01 model")
    assert any("no dates" in p for p in q.problems)


@pytest.mark.parametrize(
    ("text", "arxiv_id"),
    [
        ("2401.01234", "2401.01234"),
        ("  arXiv:2401.01234v3 ", "2401.01234"),
        ("https://arxiv.org/abs/2401.01234v2", "2401.01234"),
        ("https://arxiv.org/pdf/2401.01234.pdf", "2401.01234"),
        ("hep-th/9901001", "hep-th/9901001"),
    ],
)
def test_pasted_ids_become_lookups(text: str, arxiv_id: str) -> None:
    q = parse(text)
    assert q.arxiv_id == arxiv_id
    assert not q.include and q.empty_reason() is None


def test_an_id_among_other_words_is_just_text() -> None:
    q = parse("see 2401.01234 please")
    assert q.arxiv_id is None
    assert Term(("2401", "01234")) in q.include


def test_stop_words_only_gives_a_message() -> None:
    q = parse("the and of")
    assert q.is_empty
    assert q.ignored == ("the", "and", "of")
    assert "common words" in (q.empty_reason() or "")


def test_stop_words_are_dropped_but_kept_inside_phrases() -> None:
    q = parse('the model "state of the art"')
    assert q.include == (Term(("model",)), Term(("state", "of", "the", "art")))
    assert q.ignored == ("the",)


def test_hyphenated_words_are_phrases() -> None:
    assert parse("text-to-image").include == (Term(("text", "to", "image")),)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\x00\x01", '"', '""', "-", "--", "AND", "OR NEAR", "* ^ :", "🙂🙂", "-x"],
)
def test_nothing_to_search_has_a_reason(text: str) -> None:
    q = parse(text)
    assert not q.include
    assert q.empty_reason()


def test_excludes_alone_have_a_reason() -> None:
    q = parse("-survey")
    assert q.only_excludes
    assert "excluded" in (q.empty_reason() or "")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("neural AND network", [("neural",), ("network",)]),
        ("neural OR network", [("neural",), ("network",)]),
        ("NEAR(neural network)", [("near", "neural"), ("network",)]),
        ("learn* ^title", [("learn",), ("title",)]),
        ('graph"', [("graph",)]),  # unbalanced quote
        ('"graph neural', [("graph",), ("neural",)]),
        ("col:value", [("col", "value")]),  # unknown field is plain text
        ("a:b:c", [("a", "b", "c")]),
        ("{title}: x", [("title",), ("x",)]),
        ("ML\x00models\x1b[0m", [("ml",), ("models",), ("0m",)]),
        ("Müller 量子 émoji🙂", [("müller",), ("量子",), ("émoji",)]),
    ],
)
def test_stray_syntax_becomes_plain_words(text: str, words: list[tuple[str, ...]]) -> None:
    assert [t.words for t in parse(text).include] == words


def test_long_input_is_bounded() -> None:
    q = parse("graph " * 2000 + " ".join(f"w{i}" for i in range(5000)))
    assert len(q.include) + len(q.exclude) <= MAX_TERMS
    q2 = parse("x" * 10_000)
    assert len(q2.include) == 1 and len(q2.include[0].words[0]) <= 1000


def test_category_normalisation() -> None:
    assert normalise_category("CS.lg") == "cs.LG"
    assert normalise_category("cond-mat.STR-EL") == "cond-mat.str-el"
    assert normalise_category("cs.LG; DROP") is None


_WORD_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789")


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300))
def test_never_raises_and_words_are_clean(text: str) -> None:
    q = parse(text)
    assert isinstance(q, Query)
    for term in (*q.include, *q.exclude):
        assert 1 <= len(term.words) <= 12
        for w in term.words:
            # Only letters and digits ever reach an engine: no quotes, operators, spaces.
            assert w and all(c.isalnum() for c in w), w
    q.empty_reason()
    q.text()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ['"', "-", "AND", "OR", "NOT", "NEAR", "*", "^", ":", "(", ")", "{", "}",
             "author:", "cat:", "year:", "after:", "before:", "title:", "cs.LG", "2024",
             "x", "the", "🙂", "\x00", " ", "\\", "'", "NEAR/3", "col:", "+", "%", "_"]
        ),
        max_size=40,
    )
)
def test_never_raises_on_syntax_soup(parts: list[str]) -> None:
    q = parse("".join(parts))
    for term in (*q.include, *q.exclude):
        assert all(w.isalnum() for w in term.words)
