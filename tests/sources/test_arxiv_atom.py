"""arXiv search API (Atom): field-by-field checks on real responses, classic and current."""

from __future__ import annotations

import re
from datetime import date

import pytest

from paperfeed.records import PaperRecord
from paperfeed.sources import arxiv_atom
from paperfeed.sources.errors import MalformedResponse, SourceError
from tests.conftest import FIXTURES
from tests.times import naive_utc


def parse(name: str) -> arxiv_atom.Parsed:
    return arxiv_atom.parse((FIXTURES / name).read_bytes(), name)


def one(name: str) -> PaperRecord:
    parsed = parse(name)
    assert len(parsed.records) == 1 and not parsed.rejected
    return parsed.records[0]


def test_classic_entry_every_field() -> None:
    rec = one("arxiv_api_2016_idlist_1111.2011v2_doi_journalref.xml")
    assert rec.id == "1111.2011"
    assert rec.version == 2
    # Hard-wrapped title folded into one line.
    assert rec.title == (
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    )
    assert rec.abstract.startswith(
        "Theoretical description of anisotropic systems, such as layered superconductors"
    )
    assert rec.abstract.endswith("describing a single node.")
    assert "\n" not in rec.abstract and "  " not in rec.abstract
    assert rec.authors == ["James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"]
    assert rec.primary_category == "cond-mat.str-el"
    assert rec.categories == ["cond-mat.str-el", "cond-mat.stat-mech"]
    assert rec.doi == "10.1103/PhysRevB.85.115117"
    assert rec.journal_ref == "Phys. Rev. B 85, 115117 (2012)"
    assert rec.arxiv_comment == "8 pages, 3 figures. Published version"
    assert rec.published == date(2011, 11, 8)
    assert rec.updated == date(2012, 4, 2)
    assert [(v.version, v.submitted) for v in rec.versions] == [
        (1, naive_utc(2011, 11, 8, 18, 48, 36)),
        (2, naive_utc(2012, 4, 2, 12, 38, 54)),
    ]


def test_classic_paging_figures() -> None:
    parsed = parse("arxiv_api_2017_search_deep_dream_start0_max10.xml")
    assert parsed.total_results == 24617
    assert parsed.start_index == 0
    assert parsed.items_per_page == 10
    assert len(parsed.records) == 10


def test_msc_codes_in_category_terms_are_not_categories() -> None:
    parsed = parse("arxiv_api_2017_search_deep_dream_start0_max10.xml")
    by_id = {r.id: r for r in parsed.records}
    assert by_id["1304.8005"].categories == ["math.AG"]  # term "14C20, 14M99" dropped
    combinatorics = [r for r in parsed.records if r.primary_category == "math.CO"]
    assert combinatorics and combinatorics[0].categories == ["math.CO"]
    every = {c for r in parsed.records for c in r.categories}
    assert every >= {"q-bio.NC", "cs.SI", "physics.soc-ph", "q-bio.QM"}
    assert not any(ch.isdigit() for c in every for ch in c.split(".")[0])


def test_overlapping_pages_give_the_same_records() -> None:
    first = {r.id: r for r in parse("arxiv_api_2017_search_deep_dream_start0_max10.xml").records}
    second = parse("arxiv_api_2017_search_deep_dream_start2_max10_msc_category_terms.xml")
    assert second.start_index == 2
    shared = [r for r in second.records if r.id in first]
    assert len(shared) == 8
    for rec in shared:
        assert rec.title == first[rec.id].title and rec.authors == first[rec.id].authors


def test_current_format_old_style_id_with_affiliations() -> None:
    rec = one("arxiv_api_2026_idlist_astro-ph_0601001_affiliations_journalref.xml")
    assert rec.id == "astro-ph/0601001"
    assert rec.version == 1
    assert rec.title.startswith("Frequency of Hot Jupiters and Very Hot Jupiters")
    # Affiliations are not part of the names; order kept.
    assert rec.authors == ["Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski"]
    assert rec.primary_category == "astro-ph" and rec.categories == ["astro-ph"]
    assert rec.journal_ref == "ActaAstron.56:1-50,2006"
    assert rec.arxiv_comment is not None
    assert rec.arxiv_comment.startswith("62 pages including 16 figures")
    assert rec.doi is None
    assert rec.published == rec.updated == date(2006, 1, 2)
    assert "V_max<17.5" in rec.abstract  # entities decoded
    assert [v.version for v in rec.versions] == [1]


def test_current_format_categories_and_comment() -> None:
    rec = one("arxiv_api_2026_idlist_1605.08386.xml")
    assert (rec.id, rec.version) == ("1605.08386", 1)
    assert rec.title == "Heat-bath random walks with Markov bases"
    assert rec.categories == ["math.CO", "math.ST"]
    assert rec.arxiv_comment == "20 pages, 3 figures"
    assert rec.authors[0] == "Caprice Stanley"


def test_versioned_old_style_id() -> None:
    rec = one("arxiv_api_2026_idlist_quant-ph_0201082v1.xml")
    assert (rec.id, rec.version, rec.primary_category) == ("quant-ph/0201082", 1, "quant-ph")


def test_missing_id_dropped_by_arxiv_and_34_authors_in_order() -> None:
    parsed = parse("arxiv_api_2026_idlist_two_ids_one_missing_34authors.xml")
    assert parsed.total_results == 1
    (rec,) = parsed.records
    assert rec.id == "1707.08567" and rec.primary_category == "cs.IT"
    assert len(rec.authors) == 34
    assert rec.authors[0] == "Kees A. Schouhamer Immink"
    assert rec.authors[1] == "Stan Baggen"
    assert rec.authors[-2:] == ["Dirk Wübben", "Hirosuke Yamamoto"]


def test_search_page_of_100_with_dois_and_journal_refs() -> None:
    parsed = parse("arxiv_api_2026_search_testing_start0_max100.xml")
    assert parsed.total_results == 214881
    assert len(parsed.records) == 100 and not parsed.rejected
    # 32 entries carry <arxiv:doi>, 18 <arxiv:journal_ref> (counted in the file).
    assert sum(r.doi is not None for r in parsed.records) == 32
    assert sum(r.journal_ref is not None for r in parsed.records) == 18
    assert all(r.title and r.abstract and r.authors and r.categories for r in parsed.records)
    assert all(r.primary_category == r.categories[0] for r in parsed.records)
    assert len({r.id for r in parsed.records}) == 100


def test_empty_result_is_an_empty_page() -> None:
    parsed = parse("arxiv_api_2026_empty_result.xml")
    assert parsed.records == [] and parsed.rejected == []
    assert parsed.total_results == 0


def test_error_feed_names_arxivs_message() -> None:
    with pytest.raises(SourceError) as err:
        parse("arxiv_api_2026_error_http400_bad_id.xml")
    assert str(err.value) == "arXiv API error: incorrect id format for abc"
    assert not err.value.retryable


def test_entries_without_usable_id_are_rejected_and_the_rest_kept() -> None:
    data = (FIXTURES / "arxiv_api_2016_search_au_del_maestro_10results.xml").read_bytes()
    text = data.decode()
    ids = re.findall(r"<id>(http://arxiv.org/abs/[^<]+)</id>", text)
    text = text.replace(f"<id>{ids[0]}</id>", "<id>not-an-id</id>", 1)
    text = text.replace(f"<id>{ids[2]}</id>", "", 1)
    parsed = arxiv_atom.parse(text.encode(), "page.xml")
    assert len(parsed.records) == 8
    reasons = sorted((r.location, r.reason) for r in parsed.rejected)
    assert reasons[0][0] == "page.xml:entry 1" and "not an arXiv id" in reasons[0][1]
    assert reasons[1] == ("page.xml:entry 3", "entry has no <id>")
    assert all(r.raw.startswith("<entry") for r in parsed.rejected)


def test_truncated_feed_is_a_retryable_error() -> None:
    data = (FIXTURES / "arxiv_api_2026_search_testing_start0_max10.xml").read_bytes()
    with pytest.raises(MalformedResponse) as err:
        arxiv_atom.parse(data[: len(data) // 2], "cut.xml")
    assert err.value.retryable and "cut.xml" in str(err.value)


def test_other_xml_is_not_an_atom_feed() -> None:
    with pytest.raises(SourceError, match="not an Atom feed"):
        arxiv_atom.parse(b"<rss version='2.0'><channel/></rss>")
