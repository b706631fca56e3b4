"""BibTeX entries as arXiv's own "Export BibTeX citation" writes them (``@misc`` with
``eprint``, ``archivePrefix = {arXiv}``, ``primaryClass`` and ``url``), plus the
abstract, the DOI and the journal reference when there is one.

Text fields keep arXiv's TeX (math, accents) and are escaped by :mod:`.tex`. The title
is wrapped in a second pair of braces, as NASA ADS does: arXiv titles are written in the
case their authors chose (BERT, ImageNet, mRNA), and a style that lowercases titles would
otherwise print "Bert". Authors are "Family, Given" joined with ``and``; a name part
containing the word "and" and a collaboration's name are braced so BibTeX keeps them
whole. Non-ASCII letters are written as they are: the file is UTF-8 (biber and
bibtex8 read it; classic BibTeX copies the bytes through).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from paperfeed.export.keys import citation_keys, year_of
from paperfeed.export.names import Name, split_name
from paperfeed.export.tex import tex_field, tex_plain
from paperfeed.ids import abs_url

# A DOI as biblatex's verbatim doi field can take it (no braces, backslashes or spaces).
_DOI = re.compile(r"^10\.[0-9]{4,9}/[^\s{}\\\"]+$")
_AND = re.compile(r"\band\b", re.IGNORECASE)


def _part(text: str) -> str:
    escaped = tex_plain(text)
    return f"{{{escaped}}}" if _AND.search(text) else escaped


def bibtex_name(name: Name) -> str:
    """One author for the ``author`` field: ``van der Berg, Jr., Jan``."""
    if name.literal:
        return f"{{{tex_plain(name.family)}}}"
    parts = [_part(name.family)]
    if name.suffix:
        parts.append(_part(name.suffix))
    if name.given:
        parts.append(_part(name.given))
    elif name.suffix:
        parts.append("")
    return ", ".join(parts)


def clean_doi(doi: str | None) -> str | None:
    """The DOI when it looks like one, else None (it is written verbatim)."""
    doi = (doi or "").strip()
    return doi if _DOI.match(doi) else None


def entry(paper: Mapping[str, Any], key: str) -> str:
    """One ``@misc`` entry for a canonical paper dict."""
    arxiv_id = str(paper["id"])
    fields: list[tuple[str, str]] = [
        ("title", "{" + tex_field(paper.get("title")) + "}"),
        ("author", " and ".join(bibtex_name(split_name(a)) for a in paper.get("authors") or []
                                if a and a.strip())),
        ("year", year_of(paper)),
        ("eprint", arxiv_id),
        ("archivePrefix", "arXiv"),
        ("primaryClass", tex_plain(paper.get("primary_category"))),
        ("url", abs_url(arxiv_id)),
        ("doi", clean_doi(paper.get("doi")) or ""),
    ]
    notes = []
    if paper.get("journal_ref"):
        notes.append(tex_plain(paper["journal_ref"]))
    if paper.get("withdrawn"):
        notes.append("Withdrawn")
    fields.append(("note", ". ".join(notes)))
    fields.append(("abstract", tex_field(paper.get("abstract"))))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{key},\n{body}\n}}\n"


def to_bibtex(papers: Sequence[Mapping[str, Any]]) -> str:
    """A BibTeX file: one entry per paper, blank lines between them."""
    keys = citation_keys(papers)
    return "\n".join(entry(p, k) for p, k in zip(papers, keys, strict=True))
