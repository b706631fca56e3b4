"""Operator rules pick the papers a harvest puts on the day's list."""

from __future__ import annotations

from paperfeed.config import DailyRules
from paperfeed.ingest.rules import matching
from paperfeed.records import PaperRecord


def rec(
    id: str, title: str = "A title", abstract: str = "", categories: list[str] | None = None,
    authors: list[str] | None = None,
) -> PaperRecord:
    cats = categories or ["math.CO"]
    return PaperRecord(
        id=id, title=title, abstract=abstract, categories=cats, primary_category=cats[0],
        authors=authors or ["Ann Author"],
    )


PAPERS = [
    rec("2401.00001", categories=["cs.LG", "stat.ML"]),
    rec("2401.00002", categories=["stat.ML", "cs.LG"]),  # cs.LG only as a cross-list
    rec("2401.00003", categories=["hep-th"]),
    rec("2401.00004", title="Graphene sheets", abstract="No match here."),
    rec("2401.00005", abstract="We study Sparse   Autoencoders in depth."),
    rec("2401.00006", authors=["Zoë  Ødegaard", "Bob"]),
]


def ids(records: list[PaperRecord]) -> list[str]:
    return [r.id for r in records]


def test_no_rules_select_nothing() -> None:
    assert matching(PAPERS, DailyRules()) == []


def test_category_matches_primary_and_cross_lists() -> None:
    assert ids(matching(PAPERS, DailyRules(categories=["cs.LG"]))) == ["2401.00001", "2401.00002"]


def test_archive_matches_every_category_of_it() -> None:
    assert ids(matching(PAPERS, DailyRules(categories=["hep-th"]))) == ["2401.00003"]
    assert ids(matching(PAPERS, DailyRules(categories=["stat"]))) == ["2401.00001", "2401.00002"]
    assert matching(PAPERS, DailyRules(categories=["cs.AI"])) == []


def test_keywords_are_case_insensitive_whole_words_and_phrases() -> None:
    assert matching(PAPERS, DailyRules(keywords=["graph"])) == []  # not "Graphene"
    assert ids(matching(PAPERS, DailyRules(keywords=["graphene"]))) == ["2401.00004"]
    phrase = DailyRules(keywords=["sparse autoencoders"])
    assert ids(matching(PAPERS, phrase)) == ["2401.00005"]


def test_authors_match_whole_names_ignoring_case_and_spacing() -> None:
    assert ids(matching(PAPERS, DailyRules(authors=["zoë ødegaard"]))) == ["2401.00006"]
    assert matching(PAPERS, DailyRules(authors=["Zoë"])) == []


def test_rules_of_different_kinds_are_alternatives() -> None:
    rules = DailyRules(categories=["hep-th"], keywords=["graphene"], authors=["Bob"])
    assert ids(matching(PAPERS, rules)) == ["2401.00003", "2401.00004", "2401.00006"]


def test_deleted_records_never_match() -> None:
    gone = rec("2401.00009", categories=["hep-th"])
    gone.deleted = True
    assert matching([gone], DailyRules(categories=["hep-th"])) == []
