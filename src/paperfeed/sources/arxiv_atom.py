"""The arXiv search API (``export.arxiv.org/api/query``): Atom 1.0, classic and current.

Pure: :func:`parse` turns a response body into records plus the OpenSearch paging
figures. An error feed (arXiv answers HTTP 400 with one entry titled ``Error``)
raises :class:`SourceError` carrying arXiv's own message. Entries without a usable
id or title are rejected with their position; the others are kept.

Field mapping: the id (with its version) from ``<id>``; ``published`` is v1's
date and ``updated`` the latest version's; authors in order; the primary category
first, then the other ``<category term>`` values that are arXiv categories (MSC and
ACM classes, which arXiv also puts there, are dropped); ``arxiv:doi``,
``arxiv:journal_ref``, ``arxiv:comment``.
"""

from __future__ import annotations

from lxml import etree

from paperfeed.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.records import PaperRecord, RejectedRecord, VersionRecord
from paperfeed.sources.base import Parsed
from paperfeed.sources.errors import SourceError
from paperfeed.sources.snapshot import is_withdrawn
from paperfeed.sources.taxonomy import clean_categories
from paperfeed.sources.xml import (
    element_snippet,
    parse_iso_datetime,
    parse_xml,
    text_of,
)
from paperfeed.text import fold_or_none

ATOM = "http://www.w3.org/2005/Atom"
ARXIV = "http://arxiv.org/schemas/atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"

_A = f"{{{ATOM}}}"
_X = f"{{{ARXIV}}}"
_O = f"{{{OPENSEARCH}}}"


def _int(el: etree._Element | None) -> int | None:
    try:
        return int(text_of(el)) if el is not None else None
    except ValueError:
        return None


def _error_message(entry: etree._Element) -> str | None:
    """arXiv's message when the entry is an API error entry."""
    entry_id = text_of(entry.find(f"{_A}id"))
    title = text_of(entry.find(f"{_A}title"))
    if "/api/errors" in entry_id or (title == "Error" and not entry_id.count("/abs/")):
        return text_of(entry.find(f"{_A}summary")) or title or "unknown error"
    return None


def parse_entry(entry: etree._Element, location: str) -> PaperRecord | RejectedRecord:
    """One ``<entry>``: a record, or a rejection saying why."""
    raw_id = text_of(entry.find(f"{_A}id"))
    if not raw_id:
        return RejectedRecord(location, "entry has no <id>", element_snippet(entry))
    try:
        aid = parse_arxiv_id(raw_id)
    except InvalidArxivId as exc:
        return RejectedRecord(location, str(exc), element_snippet(entry))
    title = text_of(entry.find(f"{_A}title"))
    if not title:
        return RejectedRecord(
            f"{location} ({aid.id})", "entry has no title", element_snippet(entry)
        )
    published = parse_iso_datetime(text_of(entry.find(f"{_A}published")))
    updated = parse_iso_datetime(text_of(entry.find(f"{_A}updated")))
    authors = [name for a in entry.findall(f"{_A}author") if (name := text_of(a.find(f"{_A}name")))]
    primary_el = entry.find(f"{_X}primary_category")
    primary = primary_el.get("term") if primary_el is not None else None
    terms = [c.get("term") or "" for c in entry.findall(f"{_A}category")]
    categories = clean_categories(terms, primary)
    arxiv_comment = fold_or_none(text_of(entry.find(f"{_X}comment")))
    versions: list[VersionRecord] = []
    if aid.version is not None:
        if published is not None:
            versions.append(VersionRecord(1, published))
        if aid.version > 1 and updated is not None:
            versions.append(VersionRecord(aid.version, updated))
    return PaperRecord(
        id=aid.id,
        title=title,
        abstract=text_of(entry.find(f"{_A}summary")),
        authors=authors,
        primary_category=categories[0] if categories else None,
        categories=categories,
        version=aid.version,
        published=published.date() if published else None,
        updated=updated.date() if updated else None,
        arxiv_comment=arxiv_comment,
        journal_ref=fold_or_none(text_of(entry.find(f"{_X}journal_ref"))),
        doi=fold_or_none(text_of(entry.find(f"{_X}doi"))),
        withdrawn=is_withdrawn(arxiv_comment),
        versions=versions,
        location=location,
    )


def parse(data: bytes, source: str = "<input>") -> Parsed:
    """Parse one arXiv API response. Raises :class:`SourceError` for error feeds and
    for bodies that are not an Atom feed."""
    root = parse_xml(data, source)
    if root.tag != f"{_A}feed":
        raise SourceError(f"{source}: not an Atom feed (root <{etree.QName(root).localname}>)")
    entries = root.findall(f"{_A}entry")
    for entry in entries:
        message = _error_message(entry)
        if message is not None:
            raise SourceError(f"arXiv API error: {message}", code="api-error")
    out = Parsed(
        total_results=_int(root.find(f"{_O}totalResults")),
        start_index=_int(root.find(f"{_O}startIndex")),
        items_per_page=_int(root.find(f"{_O}itemsPerPage")),
    )
    for index, entry in enumerate(entries, 1):
        result = parse_entry(entry, f"{source}:entry {index}")
        if isinstance(result, RejectedRecord):
            out.rejected.append(result)
        else:
            out.records.append(result)
    return out
