"""How an incoming record changes a stored paper: pure rules, no database.

- A new paper is stored as the record says (version 1 when the source gives none).
- A newer version replaces the text fields (title, abstract, authors, categories),
  the version, its date and the withdrawn flag.
- The same version updates text fields the record carries (a metadata correction).
- An older version never changes anything.
- A record without a version (Hugging Face daily papers) only fills what is empty.
- Optional fields (arXiv comment, journal-ref, DOI, licence) are never blanked: a source
  that lacks them keeps what is stored. Upstream upvotes take the latest value given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paperfeed.records import PaperRecord

# The paper columns an import writes (besides arxiv_id and bookkeeping).
COLUMNS = (
    "version", "title", "abstract", "authors", "primary_category", "categories",
    "arxiv_comment", "journal_ref", "doi", "license", "published", "updated", "withdrawn",
    "links", "upstream_upvotes",
)
_OPTIONAL = ("arxiv_comment", "journal_ref", "doi", "license")


def record_version(rec: PaperRecord) -> int | None:
    if rec.version is not None:
        return rec.version
    return max((v.version for v in rec.versions), default=None)


def new_values(rec: PaperRecord) -> dict[str, Any]:
    """Column values for a paper not stored yet."""
    return {
        "version": record_version(rec) or 1,
        "title": rec.title,
        "abstract": rec.abstract or "",
        "authors": list(rec.authors),
        "primary_category": rec.primary_category or (rec.categories[0] if rec.categories else None),
        "categories": list(rec.categories),
        "arxiv_comment": rec.arxiv_comment,
        "journal_ref": rec.journal_ref,
        "doi": rec.doi,
        "license": rec.license,
        "published": rec.published,
        "updated": rec.updated,
        "withdrawn": bool(rec.withdrawn),
        "links": dict(rec.links),
        "upstream_upvotes": rec.upstream_upvotes or 0,
    }


def merged_values(stored: Mapping[str, Any], rec: PaperRecord) -> dict[str, Any] | None:
    """The new column values for a stored paper, or None when nothing changes."""
    current = {c: stored[c] for c in COLUMNS}
    current["authors"] = list(current["authors"] or [])
    current["categories"] = list(current["categories"] or [])
    current["links"] = dict(current["links"] or {})
    version = record_version(rec)
    if version is not None and version < current["version"]:
        return None
    if version is None:
        out = {**current, **_filled_blanks(current, rec)}
    else:
        out = {**current, **_versioned_changes(current, rec, version)}
    if rec.upstream_upvotes is not None:
        out["upstream_upvotes"] = rec.upstream_upvotes
    return None if out == current else out


def _filled_blanks(current: Mapping[str, Any], rec: PaperRecord) -> dict[str, Any]:
    """What a record without a version changes: only the empty fields."""
    out: dict[str, Any] = {
        "abstract": current["abstract"] or rec.abstract or "",
        "authors": current["authors"] or list(rec.authors),
        "links": {**rec.links, **current["links"]},
    }
    if not current["categories"] and rec.categories:
        out["categories"] = list(rec.categories)
        out["primary_category"] = rec.primary_category or rec.categories[0]
    for col in ("published", "updated", *_OPTIONAL):
        if current[col] is None:
            out[col] = getattr(rec, col)
    return out


def _versioned_changes(
    current: Mapping[str, Any], rec: PaperRecord, version: int
) -> dict[str, Any]:
    """What a record of the same or a newer version changes: every field it carries."""
    newer = version > current["version"]
    out: dict[str, Any] = {"version": version}
    if rec.title:
        out["title"] = rec.title
    if rec.abstract:
        out["abstract"] = rec.abstract
    if rec.authors:
        out["authors"] = list(rec.authors)
    if rec.categories:
        out["categories"] = list(rec.categories)
        out["primary_category"] = rec.primary_category or rec.categories[0]
    for col in _OPTIONAL:
        value = getattr(rec, col)
        if value is not None:
            out[col] = value
    if current["published"] is None:
        out["published"] = rec.published
    if rec.updated is not None:
        out["updated"] = rec.updated
    keep = bool(current["withdrawn"]) and not newer
    out["withdrawn"] = bool(rec.withdrawn) or keep
    out["links"] = {**current["links"], **rec.links}
    return out
