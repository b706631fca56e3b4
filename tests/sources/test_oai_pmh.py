"""arXiv OAI-PMH: oai_dc, arXiv and arXivRaw records, tokens, deleted records, errors."""

from __future__ import annotations

from datetime import date

import pytest

from paperfeed.records import PaperRecord
from paperfeed.sources import oai_pmh
from paperfeed.sources.base import Parsed
from paperfeed.sources.errors import SourceError
from tests.conftest import FIXTURES
from tests.times import naive_utc

OAI_DC_897 = "arxiv_oai_2015-04-24_ListRecords_oai_dc_897records_complete.xml"
OAI_DC_TOKEN = "arxiv_oai_2024-01-27_ListRecords_oai_dc_cs_resumptionToken.trimmed5.xml"
ARXIV_3 = "arxiv_oai_2017-12-14_ListRecords_arXiv_hep-ex_3records.xml"
RAW = "oai_arXivRaw_listrecords_handmade.xml"


def parse(name: str) -> Parsed:
    return oai_pmh.parse((FIXTURES / name).read_bytes(), name)


def by_id(parsed: Parsed) -> dict[str, PaperRecord]:
    return {r.id: r for r in parsed.records}


def oai_error(code: str, message: str) -> bytes:
    return (
        '<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        "<responseDate>2026-11-27T10:00:00Z</responseDate>"
        '<request verb="ListRecords">https://oaipmh.arxiv.org/oai</request>'
        f'<error code="{code}">{message}</error></OAI-PMH>'
    ).encode()


def test_oai_dc_complete_list() -> None:
    parsed = parse(OAI_DC_897)
    assert len(parsed.records) == 897 and not parsed.rejected
    assert parsed.resumption_token is None
    assert parsed.response_date == naive_utc(2015, 4, 24, 13, 49, 17)
    assert len({r.id for r in parsed.records}) == 897
    assert all(r.title and r.abstract for r in parsed.records)
    assert all(r.version is None for r in parsed.records)


def test_oai_dc_first_record_every_field() -> None:
    rec = parse(OAI_DC_897).records[0]
    assert rec.id == "0709.2184"
    assert rec.title == "Irrationality measure and lower bounds for pi(x)"
    # "Last, First" creators become "First Last", in order.
    assert rec.authors == [
        "David Burt",
        "Sam Donow",
        "Steven J. Miller",
        "Matthew Schiffman",
        "Ben Wieland",
    ]
    # "Mathematics - Number Theory" is math.NT; the MSC subject is dropped.
    assert rec.categories == ["math.NT"] and rec.primary_category == "math.NT"
    assert rec.abstract.startswith(
        "In this note we show how the irrationality measure of $\\zeta(s)"
    )
    assert rec.abstract.endswith("natural boundary.")
    assert rec.arxiv_comment is not None
    assert rec.arxiv_comment.startswith("Version 4.0, 7 ps. E. Kowalski and T. Rivoal point out")
    assert rec.published == date(2007, 9, 13)
    assert rec.updated == date(2014, 12, 22)
    assert rec.doi is None and rec.journal_ref is None


def test_oai_dc_identifiers_give_doi_and_journal_ref() -> None:
    rec = by_id(parse(OAI_DC_897))["0804.0053"]
    assert rec.title == 'Comment on "General nonlocality in quantum fields"'
    assert rec.authors == ["Hai-Jhun Wanng"]
    assert rec.categories == ["physics.gen-ph"]
    assert rec.doi == "10.1063/1.3374668"
    assert rec.journal_ref == "J.Math.Phys.51:054102,2010"
    assert rec.published == date(2008, 3, 31) and rec.updated == date(2014, 12, 23)


def test_oai_dc_subjects_map_to_categories_for_every_record() -> None:
    parsed = parse(OAI_DC_897)
    assert all(r.categories for r in parsed.records)
    cats = {c for r in parsed.records for c in r.categories}
    assert {"hep-th", "cs.LG", "cond-mat.mtrl-sci", "quant-ph", "stat.ML", "q-fin.EC"} <= cats
    assert not any(" " in c or "," in c for c in cats)


def test_oai_dc_resumption_token_with_list_size_and_cursor() -> None:
    parsed = parse(OAI_DC_TOKEN)
    assert parsed.resumption_token == "6960524|1001"
    assert parsed.complete_list_size == 1162
    assert parsed.cursor == 0
    assert len(parsed.records) == 5
    rec = by_id(parsed)["2401.14040"]
    assert rec.title == "(Chat)GPT v BERT: Dawn of Justice for Semantic Change Detection"
    assert rec.authors == ["Francesco Periti", "Haim Dubossarsky", "Nina Tahmasebi"]
    assert rec.categories == ["cs.CL"]
    assert rec.arxiv_comment == "Accepted to the Findings of EACL 2024"
    assert rec.published == date(2024, 1, 25)


def test_arxiv_format_every_field() -> None:
    parsed = parse(ARXIV_3)
    assert [r.id for r in parsed.records] == ["1706.05371", "1706.09418", "1707.00874"]
    rec = parsed.records[1]
    assert rec.title == "R-Parity Violation at the LHC"
    assert rec.authors == [
        "Daniel Dercks",
        "Herbi Dreiner",
        "Manuel E. Krauss",
        "Toby Opferkuch",
        "Annika Reinert",
    ]
    assert rec.categories == ["hep-ph", "hep-ex"] and rec.primary_category == "hep-ph"
    assert rec.arxiv_comment == (
        "43 pages, 13 tables, 17 figures; updated Figs. 11-17 and Tab. 12 including NLO "
        "corrections; version accepted for publication in EPJC"
    )
    assert rec.journal_ref == "Eur. Phys. J. C (2017) 77:856"
    assert rec.doi == "10.1140/epjc/s10052-017-5414-4"
    assert rec.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert rec.published == date(2017, 6, 28) and rec.updated == date(2017, 11, 26)
    assert rec.abstract.startswith("We investigate the phenomenology of the MSSM")
    assert rec.version is None


def test_arxiv_format_get_record_with_msc_class() -> None:
    (rec,) = parse("arxiv_oai_2018-01-26_GetRecord_arXiv_1401.2122_doi_journalref_msc.xml").records
    assert rec.id == "1401.2122"
    assert rec.authors == ["A. Sergyeyev"]
    assert rec.categories == ["math.AP", "hep-th", "math-ph", "math.DG", "math.MP", "nlin.SI"]
    assert rec.doi == "10.1007/s11005-017-1013-4"
    assert rec.journal_ref == "Lett. Math. Phys. 108 (2018), no. 2, 359-376"
    assert rec.published == date(2014, 1, 9) and rec.updated == date(2017, 10, 23)


def test_arxiv_format_without_updated_date() -> None:
    (rec,) = parse("arxiv_oai_2018-06-18_GetRecord_arXiv_1806.05669.xml").records
    assert rec.authors == ["Shuai Y. F. Liu", "Min He", "Ralf Rapp"]
    assert rec.categories == ["nucl-th", "hep-ph", "nucl-ex"]
    assert rec.published == date(2018, 6, 14) and rec.updated is None


def test_arxiv_raw_versions_authors_and_deleted_record() -> None:
    parsed = parse(RAW)
    assert parsed.resumption_token == "7125001|3" and parsed.complete_list_size == 5
    assert parsed.deleted_ids == ["0704.0003"]
    deleted = [r for r in parsed.records if r.deleted]
    assert [r.id for r in deleted] == ["0704.0003"]
    first = by_id(parsed)["0704.0001"]
    assert first.version == 2
    assert [(v.version, v.submitted, v.size) for v in first.versions] == [
        (1, naive_utc(2007, 4, 2, 19, 18, 42), "37kb"),
        (2, naive_utc(2007, 7, 24, 20, 10, 27), "37kb"),
    ]
    assert first.published == date(2007, 4, 2) and first.updated == date(2007, 7, 24)
    # TeX-escaped author string turned into Unicode names, in order.
    assert first.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
    assert first.title == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert first.doi == "10.1103/PhysRevD.76.013009"
    assert first.journal_ref == "Phys.Rev.D76:013009,2007"
    second = by_id(parsed)["0704.0002"]
    assert second.authors == ["Ileana Streinu", "Louis Theran"]
    assert second.categories == ["math.CO", "cs.CG"]
    assert second.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"


@pytest.mark.parametrize(
    "name, words",
    [
        ("arxiv_oai_2017-08-24_error_idDoesNotExist_unknown_id.xml", "has correct form but"),
        ("arxiv_oai_2017-08-24_error_idDoesNotExist_versioned_id.xml", "You must not include"),
        ("arxiv_oai_2017-08-24_error_idDoesNotExist_malformed_id.xml", "Malformed identifier"),
    ],
)
def test_id_does_not_exist_errors(name: str, words: str) -> None:
    with pytest.raises(SourceError) as err:
        parse(name)
    assert err.value.code == "idDoesNotExist"
    assert str(err.value).startswith("OAI-PMH error idDoesNotExist: ")
    assert words in str(err.value)


def test_bad_resumption_token_is_an_error_with_its_code() -> None:
    data = oai_error("badResumptionToken", "The value of the resumptionToken argument is invalid")
    with pytest.raises(SourceError) as err:
        oai_pmh.parse(data)
    assert err.value.code == "badResumptionToken" and not err.value.retryable
    assert "resumptionToken argument is invalid" in str(err.value)


def test_no_records_match_is_an_empty_result() -> None:
    parsed = oai_pmh.parse(oai_error("noRecordsMatch", "No records match"))
    assert parsed.records == [] and parsed.rejected == [] and parsed.resumption_token is None
    assert parsed.response_date == naive_utc(2026, 11, 27, 10, 0)


def test_empty_resumption_token_ends_the_list() -> None:
    text = (FIXTURES / OAI_DC_TOKEN).read_text()
    text = text.replace(
        '<resumptionToken cursor="0" completeListSize="1162">6960524|1001</resumptionToken>',
        '<resumptionToken cursor="1157" completeListSize="1162"/>',
    )
    parsed = oai_pmh.parse(text.encode())
    assert parsed.resumption_token is None and parsed.cursor == 1157


def test_bad_records_are_rejected_with_their_identifier() -> None:
    text = (FIXTURES / ARXIV_3).read_text()
    text = text.replace(
        "<identifier>oai:arXiv.org:1706.09418</identifier>",
        "<identifier>oai:arXiv.org:bogus</identifier>",
    )
    text = text.replace("<title>R-Parity Violation at the LHC</title>", "")
    cut = text.index("<title>", text.index("1707.00874"))
    text = text[:cut] + text[text.index("</title>", cut) + len("</title>") :]
    parsed = oai_pmh.parse(text.encode(), "page.xml")
    assert [r.id for r in parsed.records] == ["1706.05371"]
    assert [(r.location, r.reason.split(":")[0]) for r in parsed.rejected] == [
        ("page.xml:record 2 (oai:arXiv.org:bogus)", "not an arXiv id"),
        ("page.xml:record 3 (oai:arXiv.org:1707.00874)", "record has no title"),
    ]


def test_not_oai() -> None:
    with pytest.raises(SourceError, match="not an OAI-PMH response"):
        oai_pmh.parse((FIXTURES / "arxiv_rss_2024_empty_test_archive.xml").read_bytes())
