"""The one JSON shape of a stored paper: `paperfeed show --json`, each result of
`/api/search` (which adds its own fields) and the JSON APIs all build it here.

The keys are documented and stable; ``comments`` is arXiv's author note ("10 pages, 3
figures"), not the site's discussion.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from paperfeed.storage.models import Paper


class PaperJSON(BaseModel):
    """A paper as the API and `paperfeed show --json` give it."""

    id: str = Field(description="arXiv id, without version")
    version: int | None = Field(description="Latest version stored")
    title: str
    abstract: str
    authors: list[str]
    primary_category: str | None
    categories: list[str]
    published: str | None = Field(description="First version's date, YYYY-MM-DD")
    updated: str | None = Field(description="Latest version's date, YYYY-MM-DD")
    comments: str | None = Field(description='arXiv\'s author comments ("10 pages, 3 figures")')
    journal_ref: str | None
    doi: str | None
    license: str | None
    withdrawn: bool
    upvotes: int


def paper_to_dict(paper: Paper) -> dict[str, Any]:
    """The canonical paper JSON as a plain dict (the fields of :class:`PaperJSON`)."""
    return {
        "id": paper.arxiv_id,
        "version": paper.version,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": list(paper.authors or []),
        "primary_category": paper.primary_category,
        "categories": list(paper.categories or []),
        "published": paper.published.isoformat() if paper.published else None,
        "updated": paper.updated.isoformat() if paper.updated else None,
        "comments": paper.arxiv_comment,  # documented key; the field is arxiv_comment
        "journal_ref": paper.journal_ref,
        "doi": paper.doi,
        "license": paper.license,
        "withdrawn": bool(paper.withdrawn),
        "upvotes": paper.vote_count,
    }
