"""The export formats by name, with their media type and file extension, and
:func:`export_text` to write papers in one of them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from paperfeed.export.bibtex import to_bibtex
from paperfeed.export.csl import to_csl_json
from paperfeed.export.jsonl import to_jsonl
from paperfeed.export.ris import to_ris
from paperfeed.storage.models import Paper
from paperfeed.storage.paper_json import paper_to_dict


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    label: str
    media_type: str
    extension: str
    write: Callable[[Sequence[Mapping[str, Any]]], str]


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("bibtex", "BibTeX", "application/x-bibtex", "bib", to_bibtex),
        Format("ris", "RIS", "application/x-research-info-systems", "ris", to_ris),
        Format("csl-json", "CSL-JSON", "application/vnd.citationstyles.csl+json", "json",
               to_csl_json),
        Format("jsonl", "JSON Lines", "application/x-ndjson", "jsonl", to_jsonl),
    )
}
NAMES: tuple[str, ...] = tuple(FORMATS)


# Canonical key -> attribute of a Paper, for paper-shaped objects that are not models.
_ATTRIBUTES = {"id": "arxiv_id", "version": "version", "title": "title",
               "abstract": "abstract", "authors": "authors",
               "primary_category": "primary_category", "categories": "categories",
               "published": "published", "updated": "updated", "comments": "arxiv_comment",
               "journal_ref": "journal_ref", "doi": "doi", "license": "license",
               "withdrawn": "withdrawn", "upvotes": "vote_count"}


def as_dict(paper: object) -> Mapping[str, Any]:
    """The canonical paper dict of a stored paper; a dict is taken as it is, and any
    other object with a Paper's attributes (as templates may be given) is read like one."""
    if isinstance(paper, Mapping):
        return paper
    if isinstance(paper, Paper):
        return paper_to_dict(paper)
    out: dict[str, Any] = {key: getattr(paper, attr, None) for key, attr in _ATTRIBUTES.items()}
    for key in ("published", "updated"):
        value = out[key]
        out[key] = value.isoformat() if isinstance(value, date) else value
    return out


def as_dicts(papers: Iterable[object]) -> list[Mapping[str, Any]]:
    """Canonical paper dicts (see :func:`as_dict`)."""
    return [as_dict(p) for p in papers]


def export_text(name: str, papers: Iterable[object]) -> str:
    """The papers written in format `name` (one of :data:`NAMES`; KeyError otherwise)."""
    return FORMATS[name].write(as_dicts(papers))
