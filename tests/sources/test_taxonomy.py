"""Category codes vs MSC/ACM classes, oai_dc subject names, and the parser registry."""

from __future__ import annotations

import pytest

from paperfeed.sources.parsers import FORMATS, PARSERS, STREAMED
from paperfeed.sources.taxonomy import category_from_subject, clean_categories, is_arxiv_category


@pytest.mark.parametrize(
    "term",
    [
        "cs.LG",
        "hep-th",
        "math.GT",
        "physics.comp-ph",
        "q-bio.NC",
        "cond-mat.str-el",
        "astro-ph",
        "q-fin.CP",
        "eess.AS",
        "econ.EM",
        "nlin.SI",
        "solv-int",
        "math-ph",
        "stat.ML",
    ],
)
def test_arxiv_categories(term: str) -> None:
    assert is_arxiv_category(term)


@pytest.mark.parametrize(
    "term",
    [
        "14C20, 14M99",
        "05E99 (Primary), 05E05, 20B30 (Secondary)",
        "I.2.6",
        "F.2.2; G.2.1",
        "68T05",
        "",
        "cs",
        "CS.LG",
        "foo.BAR",
        "cs.LG cs.AI",
        "Machine Learning",
    ],
)
def test_not_arxiv_categories(term: str) -> None:
    # "cs" alone is an archive and *is* valid; every other term here is not.
    assert is_arxiv_category(term) is (term == "cs")


def test_clean_categories_puts_primary_first_and_drops_duplicates() -> None:
    assert clean_categories(["math.CO", "14C20, 14M99", "cs.DM", "math.CO"], "cs.DM") == [
        "cs.DM",
        "math.CO",
    ]


@pytest.mark.parametrize(
    "subject, code",
    [
        ("Computer Science - Machine Learning", "cs.LG"),
        ("Computer Science - Learning", "cs.LG"),
        ("High Energy Physics - Theory", "hep-th"),
        ("Condensed Matter - Strongly Correlated Electrons", "cond-mat.str-el"),
        ("Physics - Computational Physics", "physics.comp-ph"),
        ("Quantitative Biology - Neurons and Cognition", "q-bio.NC"),
        ("Statistics - Machine Learning", "stat.ML"),
        ("Quantum Physics", "quant-ph"),
        ("Mathematics - Geometric  Topology", "math.GT"),
        ("11N05 (Primary), 11N56, 11J82 (Secondary)", None),
    ],
)
def test_oai_dc_subject_names(subject: str, code: str | None) -> None:
    assert category_from_subject(subject) == code


def test_every_detected_document_format_has_a_parser() -> None:
    assert set(PARSERS) == set(FORMATS) - STREAMED
