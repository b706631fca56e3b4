"""CSL-JSON, the input of citeproc (Pandoc, Zotero, Mendeley, every CSL processor): a
JSON array with one item per paper.

Each item has ``type: "article"`` (CSL's type for preprints), the citation key as
``id``, ``title``, ``author`` as ``{"family", "given"[, "suffix"]}`` (collaborations as
``{"literal"}``), ``issued`` as ``date-parts``, ``URL``, ``number`` (the arXiv id),
``publisher: "arXiv"``, and ``abstract``, ``DOI``, ``version``, ``keyword`` and ``note``
when there is something to say. TeX accents become letters; math stays as TeX.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from paperfeed.export.bibtex import clean_doi
from paperfeed.export.keys import citation_keys
from paperfeed.export.names import split_name
from paperfeed.export.text import one_line
from paperfeed.ids import abs_url
from paperfeed.render.mathtext import detex_text


def csl_name(raw: str) -> dict[str, str]:
    """One CSL name object."""
    name = split_name(detex_text(one_line(raw)))
    if name.literal:
        return {"literal": name.family}
    out = {"family": name.family}
    if name.given:
        out["given"] = name.given
    if name.suffix:
        out["suffix"] = name.suffix
    return out


def _date_parts(value: Any) -> list[int]:
    text = str(value or "")
    try:
        return [int(text[0:4]), int(text[5:7]), int(text[8:10])]
    except ValueError:
        return [int(text[0:4])] if text[0:4].isdigit() else []


def item(paper: Mapping[str, Any], key: str) -> dict[str, Any]:
    """One CSL item for a canonical paper dict."""
    arxiv_id = str(paper["id"])
    out: dict[str, Any] = {
        "id": key,
        "type": "article",
        "title": one_line(detex_text(one_line(paper.get("title")))),
        "author": [csl_name(a) for a in paper.get("authors") or [] if one_line(a)],
        "URL": abs_url(arxiv_id),
        "number": arxiv_id,
        "publisher": "arXiv",
        "genre": "Preprint",
        "source": "arXiv.org",
    }
    parts = _date_parts(paper.get("published") or paper.get("updated"))
    if parts:
        out["issued"] = {"date-parts": [parts]}
    abstract = one_line(detex_text(one_line(paper.get("abstract"))))
    if abstract:
        out["abstract"] = abstract
    doi = clean_doi(paper.get("doi"))
    if doi:
        out["DOI"] = doi
    if paper.get("version"):
        out["version"] = str(paper["version"])
    categories = [one_line(c) for c in paper.get("categories") or [] if one_line(c)]
    if categories:
        out["keyword"] = ", ".join(categories)
    notes = [f"arXiv:{arxiv_id}"]
    if paper.get("journal_ref"):
        notes.append("Journal reference: " + one_line(detex_text(one_line(paper["journal_ref"]))))
    if paper.get("withdrawn"):
        notes.append("Withdrawn")
    out["note"] = "; ".join(notes)
    return out


def to_csl_json(papers: Sequence[Mapping[str, Any]]) -> str:
    """The CSL-JSON array, indented, UTF-8 text."""
    keys = citation_keys(papers)
    items = [item(p, k) for p, k in zip(papers, keys, strict=True)]
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"
