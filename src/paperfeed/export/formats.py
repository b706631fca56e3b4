"""The export formats by name, with their media type and file extension, and
:func:`export_text` to write papers in one of them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
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


def as_dicts(papers: Iterable[Paper | Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Canonical paper dicts for stored papers (dicts are taken as they are)."""
    return [paper_to_dict(p) if isinstance(p, Paper) else p for p in papers]


def export_text(name: str, papers: Iterable[Paper | Mapping[str, Any]]) -> str:
    """The papers written in format `name` (one of :data:`NAMES`; KeyError otherwise)."""
    return FORMATS[name].write(as_dicts(papers))
