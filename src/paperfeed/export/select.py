"""Which papers an export holds: a day's list (in list order, most upvoted first), a
search (its ranked results), pasted arXiv ids (in the order given), or the papers a
reader upvoted (latest first; only when they show their upvotes, or to themselves).

Every selection holds at most :data:`MAX_PAPERS` papers, as canonical paper dicts (so
the database session can close before the text is written). Problems are raised as
:class:`SelectionError` subclasses with a message for people.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperfeed.config import Settings
from paperfeed.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.search.service import MAX_LIMIT, search
from paperfeed.storage import queries
from paperfeed.storage.paper_json import PaperJSON, paper_to_dict

MAX_PAPERS = 1000
_PAPER_KEYS = tuple(PaperJSON.model_fields)
_SPLIT_IDS = re.compile(r"[\s,]+")


class SelectionError(ValueError):
    """The selection cannot be made; the message says why."""


class BadSelection(SelectionError):
    """The request itself is wrong (a malformed id, an empty search, too many ids)."""


class NothingFound(SelectionError):
    """A well-formed request that matches no paper (or no such reader)."""


class NotShown(SelectionError):
    """The reader does not show their upvotes."""


@dataclass(slots=True)
class Selection:
    """The papers of an export, what the export is named after, and the asked-for ids
    that are not stored here."""

    papers: list[Mapping[str, Any]]
    name: str
    missing: list[str] = field(default_factory=list)
    truncated: bool = False


def _capped(papers: Sequence[Mapping[str, Any]], name: str, what: str) -> Selection:
    if not papers:
        raise NothingFound(f"Nothing to export: {what}.")
    return Selection(list(papers[:MAX_PAPERS]), name, truncated=len(papers) > MAX_PAPERS)


def for_day(session: Session, day: date) -> Selection:
    """The papers on one day's list, in the list's order."""
    items = queries.daily_list(session, day, "votes", limit=MAX_PAPERS + 1)
    papers = [paper_to_dict(item.paper) for item in items]
    return _capped(papers, day.isoformat(), f"no papers were listed on {day.isoformat()}")


def for_search(
    engine: Engine, settings: Settings, query: str, *, mode: str = "hybrid",
    sort: str = "relevance",
) -> Selection:
    """The results of a search, best first (the first :data:`MAX_PAPERS`)."""
    if not query.strip():
        raise BadSelection("The search is empty: give some words to search for.")
    papers: list[Mapping[str, Any]] = []
    seen: set[str] = set()
    while len(papers) <= MAX_PAPERS:
        resp = search(engine, settings, query, mode=mode, sort=sort, limit=MAX_LIMIT,
                      offset=len(papers))
        if resp.message and not resp.results and not papers:
            raise NothingFound(f"Nothing to export: {resp.message}")
        fresh = [r for r in resp.results if r.id not in seen]
        for result in fresh:
            seen.add(result.id)
            papers.append(result.model_dump(include=set(_PAPER_KEYS)))
        if len(resp.results) < MAX_LIMIT or not fresh:
            break
    words = re.sub(r"[^A-Za-z0-9]+", "-", query).strip("-").lower()[:40] or "results"
    return _capped(papers, f"search-{words}", "no papers match this search")


def parse_ids(text: str) -> list[str]:
    """The ids of a comma- or space-separated list, as typed (empty items dropped)."""
    return [part for part in _SPLIT_IDS.split(text) if part]


def for_ids(session: Session, texts: Sequence[str]) -> Selection:
    """The papers with these ids (any pasted form), in the order given, each once; ids
    not stored here are listed in ``missing``. A malformed id is a BadSelection."""
    canonical: list[str] = []
    for text in texts:
        try:
            arxiv_id = parse_arxiv_id(text).id
        except InvalidArxivId as exc:
            raise BadSelection(str(exc)) from None
        if arxiv_id not in canonical:
            canonical.append(arxiv_id)
    if not canonical:
        raise BadSelection("No arXiv ids given.")
    if len(canonical) > MAX_PAPERS:
        raise BadSelection(f"At most {MAX_PAPERS} ids can be exported at once.")
    papers: list[Mapping[str, Any]] = []
    missing: list[str] = []
    for arxiv_id in canonical:
        paper = queries.get_paper(session, arxiv_id)
        if paper is None:
            missing.append(arxiv_id)
        else:
            papers.append(paper_to_dict(paper))
    if not papers:
        raise NothingFound(f"Nothing to export: no paper {', '.join(missing[:20])} here.")
    name = canonical[0].replace("/", "-") if len(canonical) == 1 else "papers"
    return Selection(papers, name, missing=missing)


def for_user(session: Session, username_key: str, viewer_id: int | None) -> Selection:
    """The papers a reader upvoted, latest vote first. `username_key` is the casefolded
    username; `viewer_id` is the account asking (None: nobody signed in)."""
    user = queries.user_by_key(session, username_key)
    if user is None:
        raise NothingFound("There is no such user here.")
    if not user.show_upvotes and user.id != viewer_id:
        raise NotShown(f"{user.username} does not show their upvotes.")
    papers = [paper_to_dict(p)
              for p in queries.upvoted_by_user(session, user.id, MAX_PAPERS + 1)]
    return _capped(papers, f"upvotes-{user.username}", f"{user.username} has no upvotes")
