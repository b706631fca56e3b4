"""arXiv ids in every pasted form reduce to the canonical id and version."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperfeed.ids import InvalidArxivId, parse_arxiv_id


@pytest.mark.parametrize(
    ("text", "expected", "version"),
    [
        ("2401.01234", "2401.01234", None),
        ("arXiv:2401.01234v2", "2401.01234", 2),
        ("https://arxiv.org/abs/2401.01234v3", "2401.01234", 3),
        ("http://export.arxiv.org/abs/2401.01234", "2401.01234", None),
        ("https://arxiv.org/pdf/2401.01234v2.pdf", "2401.01234", 2),
        ("https://arxiv.org/pdf/2401.01234", "2401.01234", None),
        ("0704.0001", "0704.0001", None),
        ("hep-th/9901001v3", "hep-th/9901001", 3),
        ("math.GT/0309136", "math/0309136", None),
        ("https://arxiv.org/abs/hep-th/9901001", "hep-th/9901001", None),
        ("oai:arXiv.org:quant-ph/0201082v1", "quant-ph/0201082", 1),
        ("  ２４０１.０１２３４  ", "2401.01234", None),
    ],
)
def test_pasted_forms(text: str, expected: str, version: int | None) -> None:
    parsed = parse_arxiv_id(text)
    assert parsed.id == expected
    assert parsed.version == version


@pytest.mark.parametrize(
    "text", ["", "abc", "../etc/passwd", "2401.1234", "1401.01234", "2413.01234", "2401.01234v0",
             "hep-th/990100", "<script>", "2401.01234/../x"]
)
def test_rejected(text: str) -> None:
    with pytest.raises(InvalidArxivId):
        parse_arxiv_id(text)


@given(st.from_regex(r"\A(0[7-9]|1[0-4])(0[1-9]|1[0-2])\.[0-9]{4}(v[1-9][0-9]?)?\Z"))
def test_old_four_digit_ids_round_trip(text: str) -> None:
    parsed = parse_arxiv_id(text)
    assert str(parsed) == text


@given(st.text(max_size=60))
def test_never_raises_anything_else(text: str) -> None:
    with contextlib.suppress(InvalidArxivId):
        parse_arxiv_id(text)
