"""The response models of the read side of ``/api/v1/``: one shape per thing (a paper, a
list item, a comment, a profile), shared by the API and the JSON twins of the pages.

Dates are ``YYYY-MM-DD``; timestamps are ISO 8601 in UTC ending in ``Z``. Fields that
may be missing are present and ``null``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from paperfeed.search.service import SearchResponse
from paperfeed.storage.paper_json import PaperJSON

PER_PAGE_DEFAULT = 30
PER_PAGE_MAX = 100
PAGE_MAX = 10_000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PaperSummary(PaperJSON):
    """A paper on a list: the canonical paper JSON, its discussion size and page."""

    model_config = ConfigDict(extra="forbid")

    comment_count: int = Field(description="Comments readers can see")
    url: str = Field(description="The paper's page on this site (a path)")


class Submitter(Strict):
    """Who put a paper on a day's list."""

    username: str | None = Field(description="The account (its page is /users/NAME), if any")
    name: str | None = Field(description="A name given without an account (featured, imported)")
    source: str = Field(description="community, manual, import, hf, ...")


class Listing(Strict):
    """One day a paper was on the list, and who put it there."""

    day: str
    submitter: Submitter | None


class PaperDetail(PaperSummary):
    """A paper with the days it was listed and who submitted it."""

    listed: list[Listing] = Field(description="Visible daily entries, oldest first")


class ListItem(Strict):
    """One paper of a list, as the page shows it (rank counts from 1 on the first page)."""

    rank: int
    listed_day: str | None = Field(description="The (latest) list day it is on in this list")
    submitter: Submitter | None
    paper: PaperSummary


class ListPage(Strict):
    """A page of a list; ``next``/``prev`` are URLs of the neighbouring pages (null at the
    ends). Items are in the page's order, ties broken by the paper's internal id."""

    total: int = Field(description="Papers in the whole list")
    page: int
    per_page: int
    pages: int = Field(description="Pages in the whole list (at least 1)")
    next: str | None
    prev: str | None
    html_url: str = Field(description="The page this list is shown on")
    items: list[ListItem]


class DayList(ListPage):
    day: str
    sort: str
    prev_day: str | None = Field(description="The nearest earlier day with a list")
    next_day: str | None = Field(description="The nearest later day with a list")


class PeriodList(ListPage):
    kind: str = Field(description="week or month")
    period: str = Field(description="2024-W48 or 2024-11")
    title: str
    first_day: str
    last_day: str
    sort: str
    prev_period: str | None = Field(description="The nearest earlier period with papers")
    next_period: str | None = Field(description="The nearest later period with papers")


class TrendingList(ListPage):
    days: int = Field(description="Papers listed in this many days up to the latest list")


class CommentJSON(Strict):
    """One comment of a thread. A deleted comment (or one hidden by a moderator) that has
    replies stays as a placeholder: ``placeholder`` says why, and author and bodies are
    null."""

    id: int
    parent_id: int | None
    depth: int = Field(description="0 for a top-level comment")
    author: str | None = Field(description="Username; null when deleted or gone")
    created_at: str
    edited_at: str | None
    body: str | None = Field(description="The Markdown source")
    body_html: str | None = Field(description="The Markdown as the page shows it (sanitised)")
    placeholder: str | None


class CommentsJSON(Strict):
    """A paper's discussion in reading order (each comment followed by its replies)."""

    paper: str = Field(description="arXiv id")
    total: int = Field(description="Comments shown in full")
    comments: list[CommentJSON]


class ProfileJSON(Strict):
    """A reader's public page."""

    username: str
    display_name: str | None
    role: str
    banned: bool
    joined: str = Field(description="When the account was made")
    url: str
    comment_count: int
    submitted: list[ListItem] = Field(description="Papers they put on a list, newest first "
                                      "(at most 50)")
    upvoted: list[PaperSummary] | None = Field(
        description="Their upvotes, latest first (at most 50); null unless they made them "
                    "public")


class PaperPage(Strict):
    """The JSON twin of a paper's page: the paper, its discussion and similar papers."""

    paper: PaperDetail
    discussion: CommentsJSON
    similar: list[PaperSummary]


class SearchPage(Strict):
    """The JSON twin of the search page: the search object of the page's query (null when
    there is nothing to search) and the links to its neighbouring pages."""

    page: int
    next: str | None
    prev: str | None
    html_url: str
    notices: list[str] = Field(description="What the page says about the query")
    search: SearchResponse | None
