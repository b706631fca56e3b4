"""RIS, the tagged format reference managers (Zotero, EndNote, Mendeley, JabRef) import.

One reference per paper: ``TY  - UNPB`` (unpublished work: a preprint) or ``JOUR`` when
arXiv has a journal reference, the citation key as ``ID``, ``AU`` once per author
("Family, Given, Suffix"), ``TI``, ``AB``, ``PY``/``DA``, ``UR``, ``DO``, ``PB  - arXiv``,
``AN`` (the arXiv id), ``KW`` per category, ``N1`` notes (arXiv's comment, the journal
reference, withdrawn), ``ER``. Every value is one line: control characters and line
breaks become spaces, and TeX accents become letters (math stays as TeX). Lines end
with CRLF, as the RIS specification asks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from paperfeed.export.bibtex import clean_doi
from paperfeed.export.keys import citation_keys
from paperfeed.export.names import Name, split_name
from paperfeed.export.text import one_line
from paperfeed.ids import abs_url
from paperfeed.render.mathtext import detex_text

EOL = "\r\n"


def ris_name(name: Name) -> str:
    """One ``AU`` value: ``Family, Given`` (``Family, Given, Jr.`` with a suffix)."""
    if name.literal or not name.given:
        return ", ".join(p for p in (name.family, name.suffix) if p)
    return ", ".join(p for p in (name.family, name.given, name.suffix) if p)


def _text(value: Any) -> str:
    return one_line(detex_text(one_line(str(value)))) if value else ""


def _date(value: Any) -> str:
    """``YYYY/MM/DD/`` from an ISO date."""
    text = str(value or "")
    return text[:10].replace("-", "/") + "/" if len(text) >= 10 else ""


def reference(paper: Mapping[str, Any], key: str) -> str:
    """One RIS reference for a canonical paper dict."""
    arxiv_id = str(paper["id"])
    lines: list[tuple[str, str]] = [("TY", "JOUR" if paper.get("journal_ref") else "UNPB"),
                                    ("ID", key)]
    for raw in paper.get("authors") or []:
        value = _text(ris_name(split_name(detex_text(str(raw)))))
        if value:
            lines.append(("AU", value))
    published = paper.get("published") or paper.get("updated")
    lines += [
        ("TI", _text(paper.get("title"))),
        ("AB", _text(paper.get("abstract"))),
        ("PY", str(published or "")[:4]),
        ("DA", _date(published)),
        ("PB", "arXiv"),
        ("AN", f"arXiv:{arxiv_id}"),
        ("UR", abs_url(arxiv_id)),
        ("DO", clean_doi(paper.get("doi")) or ""),
    ]
    lines += [("KW", _text(cat)) for cat in paper.get("categories") or []]
    if paper.get("comments"):
        lines.append(("N1", "Comment: " + _text(paper["comments"])))
    if paper.get("journal_ref"):
        lines.append(("N1", "Journal reference: " + _text(paper["journal_ref"])))
    if paper.get("withdrawn"):
        lines.append(("N1", "Withdrawn"))
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {value}".rstrip() + EOL for tag, value in lines
                   if value or tag == "ER")


def to_ris(papers: Sequence[Mapping[str, Any]]) -> str:
    """An RIS file: the references one after another, a blank line between them."""
    keys = citation_keys(papers)
    return EOL.join(reference(p, k) for p, k in zip(papers, keys, strict=True))
