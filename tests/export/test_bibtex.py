"""BibTeX: entries parse back with bibtexparser to the same fields, whatever the title,
abstract and names hold; arXiv's eprint fields; unique, stable keys."""

from __future__ import annotations

import re

import bibtexparser
import pytest
from bibtexparser.bparser import BibTexParser

from paperfeed.export.bibtex import to_bibtex
from paperfeed.export.names import split_name
from tests.export.hostile import HOSTILE_TITLES, expected_text, paper

# Our escapes, undone: what a TeX engine would print for the escaped characters.
_UNDO = [(r"\textbraceleft{}", "{"), (r"\textbraceright{}", "}"), (r"\lbrace{}", r"\{"),
         (r"\rbrace{}", r"\}"), (r"\textbackslash{}", "\\"), (r"\^{}", "^")]


def unescape(value: str, raw: str) -> str:
    """The field's text with our escapes undone; an escape that was already in the
    source (``\\%`` typed by the author) stays."""
    for escaped, plain in _UNDO:
        value = value.replace(escaped, plain)
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value) and value[i + 1] in "%&#_$":
            # keep the backslash only where the source had it
            pair = value[i : i + 2]
            out.append(pair if pair in raw else value[i + 1])
            i += 2
            continue
        out.append(value[i])
        i += 1
    return "".join(out)


def parse(text: str) -> list[dict[str, str]]:
    db = bibtexparser.loads(text, parser=BibTexParser(common_strings=True,
                                                      ignore_nonstandard_types=False))
    return list(db.entries)


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_hostile_titles_parse_back_to_the_same_title(title: str) -> None:
    entries = parse(to_bibtex([paper(title=title, abstract=title)]))
    assert len(entries) == 1
    entry = entries[0]
    assert entry["ENTRYTYPE"] == "misc"
    # The title is protected by one more pair of braces (capitals kept).
    assert entry["title"].startswith("{") and entry["title"].endswith("}")
    assert unescape(entry["title"][1:-1], title) == expected_text(title)
    assert unescape(entry["abstract"], title) == expected_text(title)
    # Nothing spilled into other fields.
    assert entry["eprint"] == "2401.00001"
    assert entry["archiveprefix"] == "arXiv"


def test_tex_specials_are_escaped_outside_math_and_kept_inside() -> None:
    title = r"Sets {A}: 100% of $x_1$ & #tags for the_best, $50\%$"
    text = to_bibtex([paper(title=title)])
    field = re.search(r"title = \{\{(.*)\}\},\n", text)
    assert field is not None
    assert field.group(1) == r"Sets {A}: 100\% of $x_1$ \& \#tags for the\_best, $50\%$"


@pytest.mark.parametrize("title", ["A lone { brace", "A lone } brace", "}{", "{{{", r"\{ }"])
def test_braces_always_balance(title: str) -> None:
    text = to_bibtex([paper(title=title), paper(id="2401.00002", title="Next entry")])
    entries = parse(text)
    assert [e["eprint"] for e in entries] == ["2401.00001", "2401.00002"]
    assert entries[1]["title"] == "{Next entry}"
    depth = 0
    for ch in text:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0


def test_authors_are_family_comma_given_and_parse_back() -> None:
    authors = ["Hans Müller", "Paul Erdős", "Øystein Ørsted", "Jan van der Berg Jr.",
               r"K. M\"uller", "ATLAS Collaboration", "Eve and Bob", "Cher"]
    entry = parse(to_bibtex([paper(authors=authors)]))[0]
    # "Eve and Bob" stays one author: the part holding "and" is braced.
    assert entry["author"] == (
        "Müller, Hans and Erdős, Paul and Ørsted, Øystein and van der Berg, Jr., Jan and "
        r'M\"uller, K. and {ATLAS Collaboration} and Bob, {Eve and} and Cher'
    )


def test_a_name_with_the_word_and_stays_one_author() -> None:
    entry = parse(to_bibtex([paper(authors=["Mary Anderson", "Sand and Sea Lab Group",
                                            "Rand Andy"])]))[0]
    # BibTeX splits at " and " outside braces: three authors.
    depth, current = 0, ""
    parts: list[str] = []
    for token in re.split(r"( and |[{}])", entry["author"]):
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
        if token == " and " and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += token
    parts.append(current)
    assert parts == ["Anderson, Mary", "{Sand and Sea Lab Group}", "Andy, Rand"]


def test_arxiv_fields_old_style_id_doi_journal_and_withdrawn() -> None:
    entry = parse(to_bibtex([paper(id="hep-th/9901001", primary_category="hep-th",
                                   published="1999-01-04", doi="10.1000/xyz_123",
                                   journal_ref="J. Old 1 (1999) 5 & 6", withdrawn=True,
                                   authors=["Ann Author"], title="Old strings")]))[0]
    assert entry["eprint"] == "hep-th/9901001"
    assert entry["primaryclass"] == "hep-th"
    assert entry["archiveprefix"] == "arXiv"
    assert entry["url"] == "https://arxiv.org/abs/hep-th/9901001"
    assert entry["year"] == "1999"
    assert entry["doi"] == "10.1000/xyz_123"  # verbatim field: not escaped
    assert entry["note"] == r"J. Old 1 (1999) 5 \& 6. Withdrawn"
    assert entry["ID"] == "author1999old"


def test_a_malformed_doi_is_left_out() -> None:
    entry = parse(to_bibtex([paper(doi="10.1000/x} @misc{y")]))[0]
    assert "doi" not in entry


def test_keys_are_unique_and_do_not_depend_on_order() -> None:
    a = paper(id="2401.00003", title="Deep nets", authors=["Ann Smith"])
    b = paper(id="2401.00001", title="Deep nets again", authors=["Ann Smith"])
    c = paper(id="2401.00002", title="The deep end", authors=["Bo Smith"])
    keys = {e["eprint"]: e["ID"] for e in parse(to_bibtex([a, b, c]))}
    assert keys == {"2401.00001": "smith2024deep", "2401.00002": "smith2024deepb",
                    "2401.00003": "smith2024deepc"}
    again = {e["eprint"]: e["ID"] for e in parse(to_bibtex([c, a, b]))}
    assert again == keys


def test_keys_fold_accents_and_skip_stopwords_and_math() -> None:
    entry = parse(to_bibtex([paper(title=r"On the $\alpha$-Ørsted Transform",
                                   authors=[r"Paul Erd\H{o}s"])]))[0]
    assert entry["ID"] == "erdos2024orsted"
    nameless = parse(to_bibtex([paper(id="hep-th/9901001", title="", authors=[])]))[0]
    assert nameless["ID"] == "arxivhepth9901001"


def test_a_very_long_author_list_is_written_whole() -> None:
    authors = [f"Author Number{n}" for n in range(3000)]
    entry = parse(to_bibtex([paper(authors=authors)]))[0]
    assert entry["author"].count(" and ") == 2999


@pytest.mark.parametrize(("raw", "family", "given", "suffix"), [
    ("Hans Müller", "Müller", "Hans", ""),
    ("Jan van der Berg", "van der Berg", "Jan", ""),
    ("Marco De Luca", "De Luca", "Marco", ""),
    ("John Smith Jr.", "Smith", "John", "Jr."),
    ("John Smith, Jr.", "Smith", "John", "Jr."),
    ("Smith, John", "Smith", "John", ""),
    ("Ludwig von Beethoven III", "von Beethoven", "Ludwig", "III"),
    ("A. B. C. Doe", "Doe", "A. B. C.", ""),
    ("Plato", "Plato", "", ""),
])
def test_names_split_as_reference_managers_expect(raw: str, family: str, given: str,
                                                  suffix: str) -> None:
    name = split_name(raw)
    assert (name.family, name.given, name.suffix) == (family, given, suffix)
