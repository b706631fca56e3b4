"""RIS, CSL-JSON and JSON Lines read back with rispy and json to the same fields; the
format registry names each format's media type."""

from __future__ import annotations

import json

import pytest
import rispy

from paperfeed.export.formats import FORMATS, export_text
from paperfeed.render.mathtext import detex_text
from tests.export.hostile import HOSTILE_TITLES, expected_text, paper

AUTHORS = ["Hans Müller", "Paul Erdős", "Jan van der Berg Jr.", r"K. M\"uller",
           "ATLAS Collaboration"]


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_ris_reads_back_with_rispy(title: str) -> None:
    text = export_text("ris", [paper(title=title, abstract=title, authors=AUTHORS),
                               paper(id="hep-th/9901001", title="Second")])
    first, second = rispy.loads(text)
    assert first["type_of_reference"] == "UNPB"
    assert first["title"] == expected_text(detex_text(expected_text(title)))
    assert first["abstract"] == first["title"]
    assert first["authors"] == ["Müller, Hans", "Erdős, Paul", "van der Berg, Jan, Jr.",
                                "Müller, K.", "ATLAS Collaboration"]
    assert first["year"] == "2024"
    assert first["date"] == "2024/01/02/"
    assert first["urls"] == ["https://arxiv.org/abs/2401.00001"]
    assert first["accession_number"] == "arXiv:2401.00001"
    assert first["keywords"] == ["cs.LG", "stat.ML"]
    assert first["notes"] == ["Comment: 10 pages"]
    assert second["title"] == "Second"
    assert second["urls"] == ["https://arxiv.org/abs/hep-th/9901001"]


def test_ris_lines_are_one_per_tag_with_crlf() -> None:
    text = export_text("ris", [paper(title="Two\nlines\r\nand a\u2028separator\x00")])
    lines = text.split("\r\n")
    assert all((line[:2].isalnum() and line[2:6] == "  - ") or line in ("", "ER  -")
               for line in lines), lines
    assert "TI  - Two lines and a separator" in lines
    assert "\n" not in text.replace("\r\n", "")


def test_ris_journal_doi_and_withdrawn() -> None:
    (ref,) = rispy.loads(export_text("ris", [paper(journal_ref="Phys. Rev. D 1 (2020)",
                                                   doi="10.1103/PhysRevD.1.1",
                                                   withdrawn=True)]))
    assert ref["type_of_reference"] == "JOUR"
    assert ref["doi"] == "10.1103/PhysRevD.1.1"
    assert ref["notes"] == ["Comment: 10 pages", "Journal reference: Phys. Rev. D 1 (2020)",
                            "Withdrawn"]


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_csl_json_items_have_the_required_fields(title: str) -> None:
    items = json.loads(export_text("csl-json", [
        paper(title=title, authors=AUTHORS, doi="10.1000/abc"),
        paper(id="hep-th/9901001", title=title, published="1999-01-04", authors=[]),
    ]))
    assert isinstance(items, list) and len(items) == 2
    first, second = items
    assert first["type"] == "article"
    assert first["title"] == expected_text(detex_text(expected_text(title)))
    assert first["author"] == [
        {"family": "Müller", "given": "Hans"}, {"family": "Erdős", "given": "Paul"},
        {"family": "van der Berg", "given": "Jan", "suffix": "Jr."},
        {"family": "Müller", "given": "K."}, {"literal": "ATLAS Collaboration"},
    ]
    assert first["issued"] == {"date-parts": [[2024, 1, 2]]}
    assert first["URL"] == "https://arxiv.org/abs/2401.00001"
    assert first["DOI"] == "10.1000/abc"
    assert first["number"] == "2401.00001"
    assert first["publisher"] == "arXiv"
    assert first["id"] != second["id"]
    assert second["number"] == "hep-th/9901001"
    assert second["issued"] == {"date-parts": [[1999, 1, 4]]}
    assert second["author"] == []
    assert "DOI" not in second


def test_jsonl_is_one_canonical_object_per_line() -> None:
    papers = [paper(title=t, id=f"2401.{n:05d}") for n, t in enumerate(HOSTILE_TITLES, 1)]
    papers.append(paper(title="Line\u2028separator\u2029and\x85next", id="2401.09999"))
    text = export_text("jsonl", papers)
    assert text.endswith("\n")
    assert [json.loads(line) for line in text.splitlines()] == papers


def test_every_format_has_a_media_type_and_extension() -> None:
    assert {name: (f.media_type, f.extension) for name, f in FORMATS.items()} == {
        "bibtex": ("application/x-bibtex", "bib"),
        "ris": ("application/x-research-info-systems", "ris"),
        "csl-json": ("application/vnd.citationstyles.csl+json", "json"),
        "jsonl": ("application/x-ndjson", "jsonl"),
    }
