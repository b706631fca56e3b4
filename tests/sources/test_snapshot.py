"""The metadata snapshot parser on real lines, field by field, and on bad lines."""

from __future__ import annotations

from datetime import date

import pytest

from paperfeed.records import PaperRecord, RejectedRecord
from paperfeed.sources.snapshot import MAX_LINE_BYTES, iter_snapshot, split_authors
from tests.conftest import FIXTURES
from tests.times import naive_utc

HEAD200 = FIXTURES / "kaggle_arxiv-metadata-oai-snapshot_head200.jsonl"
OLDSTYLE = FIXTURES / "kaggle_arxiv-metadata-oai-snapshot_oldstyle_id_quant-ph_0602109.jsonl"


def parse_file(path: object) -> dict[str, PaperRecord]:
    with open(path, "rb") as f:  # type: ignore[call-overload]
        items = list(iter_snapshot(f, "snap.jsonl"))
    assert all(isinstance(i, PaperRecord) for i in items)
    return {i.id: i for i in items}  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def head() -> dict[str, PaperRecord]:
    return parse_file(HEAD200)


def test_all_200_real_lines_parse(head: dict[str, PaperRecord]) -> None:
    assert len(head) == 200
    assert min(head) == "0704.0001" and max(head) == "0704.0200"


def test_0704_0001_field_by_field(head: dict[str, PaperRecord]) -> None:
    p = head["0704.0001"]
    assert p.title == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    # Unicode names from authors_parsed, not the TeX-escaped "C. Bal\'azs".
    assert p.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert p.abstract.startswith("A fully differential calculation in perturbative quantum")
    assert p.abstract.endswith("can be obtained with judicious selection of events.")
    assert "\n" not in p.abstract and "  " not in p.abstract
    assert p.categories == ["hep-ph"] and p.primary_category == "hep-ph"
    assert p.version == 2
    assert [(v.version, v.submitted) for v in p.versions] == [
        (1, naive_utc(2007, 4, 2, 19, 18, 42)),
        (2, naive_utc(2007, 7, 24, 20, 10, 27)),
    ]
    assert p.published == date(2007, 4, 2)
    assert p.updated == date(2007, 7, 24)
    assert p.doi == "10.1103/PhysRevD.76.013009"
    assert p.journal_ref == "Phys.Rev.D76:013009,2007"
    assert p.arxiv_comment == "37 pages, 15 figures; published version"
    assert p.license is None
    assert p.withdrawn is False
    assert p.location == "snap.jsonl:1"


def test_primary_category_first_and_licence_kept(head: dict[str, PaperRecord]) -> None:
    p = head["0704.0002"]
    assert p.categories == ["math.CO", "cs.CG"] and p.primary_category == "math.CO"
    assert p.authors == ["Ileana Streinu", "Louis Theran"]
    assert p.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert p.journal_ref is None and p.doi is None


def test_three_versions(head: dict[str, PaperRecord]) -> None:
    p = head["0704.0003"]
    assert p.version == 3
    assert [v.version for v in p.versions] == [1, 2, 3]
    assert p.published == date(2007, 4, 1) and p.updated == date(2008, 1, 13)


def test_withdrawn_paper_is_flagged(head: dict[str, PaperRecord]) -> None:
    assert head["0704.0156"].withdrawn is True
    assert sum(p.withdrawn for p in head.values()) == 1


def test_old_style_id_field_by_field() -> None:
    p = parse_file(OLDSTYLE)["quant-ph/0602109"]
    assert p.title == (
        "Analytic Fits to Separable Volumes and Probabilities for Qubit-Qubit and "
        "Qubit-Qutrit Systems"
    )
    assert p.authors == ["Paul B. Slater"]
    assert p.categories == ["quant-ph"]
    assert p.version == 2
    assert p.published == date(2006, 2, 14) and p.updated == date(2006, 11, 1)
    assert p.arxiv_comment is not None and p.arxiv_comment.startswith("16 pages, modest revisions")
    assert "\n" not in p.arxiv_comment
    assert p.journal_ref is None and p.doi is None


def test_tex_authors_string_is_the_fallback() -> None:
    line = (
        b'{"id":"0704.0001","title":"T","authors":"C. Bal\\\\\'azs, J. M\\\\\\"{u}ller and '
        b'S{\\\\o}ren Kierkegaard"}'
    )
    (rec,) = iter_snapshot([line], "x")
    assert isinstance(rec, PaperRecord)
    assert rec.authors == ["C. Balázs", "J. Müller", "Søren Kierkegaard"]
    assert split_authors("A. One (MIT), B. Two and C. Three") == ["A. One", "B. Two", "C. Three"]


def test_without_versions_update_date_is_used() -> None:
    (rec,) = iter_snapshot([b'{"id":"2401.00001v3","title":"T","update_date":"2024-02-01"}'], "x")
    assert isinstance(rec, PaperRecord)
    assert rec.id == "2401.00001" and rec.version == 3
    assert rec.updated == date(2024, 2, 1) and rec.published is None


def test_control_characters_are_dropped() -> None:
    (rec,) = iter_snapshot([b'{"id":"2401.00001","title":"a\\u0000b\\u001fc\\fd\x7fe\\n f"}'], "x")
    assert isinstance(rec, PaperRecord)
    assert rec.title == "abcde f"


BAD_LINES = [
    (b'{"id":"0704.0001","title":"x"', "bad JSON"),
    (b"not json at all", "bad JSON"),
    (b'{"id":"0704.0001","title":"caf\xe9"}', "bad UTF-8"),
    (b'{"title":"no id"}', "missing id"),
    (b'{"id":"0704.0002","title":"  \\n "}', "missing title"),
    (b'{"id":"hello/world","title":"x"}', "bad arXiv id"),
    (b'{"id":"0713.0001","title":"month 13"}', "bad arXiv id"),
    (b'["a", "list"]', "not a JSON object"),
    (b'{"id":"0704.0003","title":"x","versions":"v1"}', "malformed record"),
]


@pytest.mark.parametrize(("line", "reason"), BAD_LINES)
def test_bad_lines_are_rejected_with_file_and_line(line: bytes, reason: str) -> None:
    good = b'{"id":"0704.0009","title":"Fine"}\n'
    items = list(iter_snapshot([good, b"\n", line + b"\n", good], "f.jsonl"))
    assert [type(i) for i in items] == [PaperRecord, RejectedRecord, PaperRecord]
    rejected = items[1]
    assert isinstance(rejected, RejectedRecord)
    assert rejected.location == "f.jsonl:3"
    assert reason in rejected.reason
    # The raw line comes back byte for byte (bad UTF-8 included) for --rejects.
    assert rejected.raw.encode("utf-8", "surrogateescape") == line


def test_overlong_line_is_rejected_not_parsed() -> None:
    line = b'{"id":"0704.0001","title":"' + b"x" * MAX_LINE_BYTES + b'"}'
    (rec,) = iter_snapshot([line], "big.jsonl")
    assert isinstance(rec, RejectedRecord)
    assert rec.location == "big.jsonl:1" and "too long" in rec.reason
    assert len(rec.raw) <= 4096
