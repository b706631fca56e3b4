"""Hugging Face daily papers (``/api/daily_papers``): a JSON array of daily items.

Pure: :func:`parse` turns the array into records. Each item gives a paper (its arXiv
id, title, summary, authors), the day it was on the daily list (``daily_day``: the
paper's ``submittedOnDailyAt`` when present, else the item's ``publishedAt``, as a
UTC date), the upstream upvote count (``paper.upvotes``), who put it there
(``submittedBy.user``, else ``.name``), and code or project links
(``githubRepo`` -> ``links["github"]``, ``projectPage`` -> ``links["project"]``,
read from the item or its paper). Items are not versioned.

A JSON object with an ``error`` (what the Hub answers on failure) raises
:class:`SourceError` with that message; items that are not usable are rejected with
their index.
"""

from __future__ import annotations

from typing import Any

import orjson

from paperfeed.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.records import PaperRecord, RejectedRecord
from paperfeed.sources.base import Parsed
from paperfeed.sources.errors import MalformedResponse, SourceError
from paperfeed.sources.xml import parse_iso_date
from paperfeed.text import fold

_LINKS = (("githubRepo", "github"), ("projectPage", "project"))


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _snippet(item: Any) -> str:
    try:
        raw = orjson.dumps(item).decode()
    except TypeError:  # pragma: no cover - parsed JSON always serialises
        return ""
    return raw if len(raw) <= 200_000 else raw[:200_000] + "…"


def _count(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _submitter(*candidates: Any) -> str | None:
    for c in candidates:
        d = _dict(c)
        name = fold(_str(d.get("user")) or _str(d.get("name")))
        if name:
            return name
    return None


def parse_item(item: Any, location: str) -> PaperRecord | RejectedRecord:
    if not isinstance(item, dict):
        return RejectedRecord(location, "daily item is not an object", _snippet(item))
    paper = item.get("paper")
    if not isinstance(paper, dict):
        return RejectedRecord(location, "daily item has no paper object", _snippet(item))
    raw_id = paper.get("id")
    if not isinstance(raw_id, str) or not raw_id.strip():
        return RejectedRecord(location, "paper has no id", _snippet(item))
    try:
        aid = parse_arxiv_id(raw_id)
    except InvalidArxivId as exc:
        return RejectedRecord(location, str(exc), _snippet(item))
    title = fold(_str(paper.get("title")) or _str(item.get("title")))
    if not title:
        return RejectedRecord(f"{location} ({aid.id})", "paper has no title", _snippet(item))
    authors = []
    raw_authors = paper.get("authors")
    for a in raw_authors if isinstance(raw_authors, list) else []:
        name = fold(_str(a.get("name")) if isinstance(a, dict) else _str(a))
        if name:
            authors.append(name)
    links: dict[str, str] = {}
    for key, name in _LINKS:
        url = _str(item.get(key)) or _str(paper.get(key))
        if url.startswith(("https://", "http://")):
            links[name] = url.strip()
    day = parse_iso_date(_str(paper.get("submittedOnDailyAt"))) or parse_iso_date(
        _str(item.get("publishedAt"))
    )
    return PaperRecord(
        id=aid.id,
        title=title,
        abstract=fold(_str(paper.get("summary")) or _str(item.get("summary"))),
        authors=authors,
        published=parse_iso_date(_str(paper.get("publishedAt"))),
        withdrawn=bool(paper.get("withdrawnAt")),
        links=links,
        upstream_upvotes=_count(paper.get("upvotes")),
        daily_day=day,
        submitted_by=_submitter(item.get("submittedBy"), paper.get("submittedOnDailyBy")),
        location=location,
    )


def parse(data: bytes, source: str = "<input>") -> Parsed:
    """Parse a daily-papers array. Raises :class:`SourceError` for error objects and
    for bodies that are not JSON arrays."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise MalformedResponse(f"{source}: not valid JSON ({exc})") from None
    if isinstance(doc, dict):
        message = doc.get("error")
        if message:
            raise SourceError(f"Hugging Face API error: {fold(str(message))}", code="api-error")
        raise SourceError(f"{source}: expected a JSON array of daily papers, got an object")
    if not isinstance(doc, list):
        raise SourceError(f"{source}: expected a JSON array of daily papers")
    out = Parsed()
    for index, item in enumerate(doc, 1):
        result = parse_item(item, f"{source}:item {index}")
        if isinstance(result, RejectedRecord):
            out.rejected.append(result)
        else:
            out.records.append(result)
    return out
