"""The vote control each reader sees on cards and paper pages.

A page that knows its papers builds :class:`VoteControls` with
:func:`vote_controls` (one query for which of them the reader upvoted) and passes it to
the template as ``vote_controls``; ``{{ card(paper, rank) }}`` and
``{{ vote_controls(paper) }}`` then show a POST form (signed in) or a link to log in
(a visitor). The visitor's control carries nothing personal (no CSRF token, no cookie),
so anonymous pages stay page-cacheable; the cached card itself never holds the control.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from fastapi import Request
from markupsafe import Markup
from sqlalchemy.orm import Session

from paperfeed.render.jinja import vote_control
from paperfeed.storage import queries
from paperfeed.web.deps import read_session
from paperfeed.web.viewer import csrf_token, viewer


def card_anchor(arxiv_id: str) -> str:
    return f"paper-{arxiv_id}"


def control_paths(here: str, arxiv_id: str) -> tuple[str, str]:
    """Where a vote on page `here` comes back to (the card), and a visitor's log-in link
    that returns there."""
    back = f"{here}#{card_anchor(arxiv_id)}"
    return back, "/login?next=" + quote(back, safe="/")


class VoteControls:
    """Callable paper -> the reader's vote control for it. `voted` holds the ids of the
    page's papers the reader upvoted; a paper outside `known` is looked up on its own."""

    def __init__(self, request: Request, voted: set[int], known: set[int]) -> None:
        self.request = request
        self.signed_in = viewer(request)
        self.voted = voted
        self.known = known
        url = request.url
        self.here = url.path + (f"?{url.query}" if url.query else "")

    def is_voted(self, paper_id: int) -> bool:
        if self.signed_in is None:
            return False
        if paper_id not in self.known:
            with read_session(self.request) as session:
                self.voted |= queries.voted_papers(session, self.signed_in.user.id, [paper_id])
            self.known.add(paper_id)
        return paper_id in self.voted

    def __call__(self, paper: Any) -> Markup:
        back, login_url = control_paths(self.here, paper.arxiv_id)
        if self.signed_in is None:
            return vote_control(paper.arxiv_id, paper.vote_count, mode="login",
                                login_url=login_url)
        return vote_control(
            paper.arxiv_id, paper.vote_count, mode="form", voted=self.is_voted(paper.id),
            csrf=csrf_token(self.request), next_path=back,
        )


def vote_controls(request: Request, session: Session, papers: Iterable[Any]) -> VoteControls:
    """The controls for a page showing `papers` (one query, only for a signed-in reader)."""
    ids = [p.id for p in papers]
    signed_in = viewer(request)
    voted = (queries.voted_papers(session, signed_in.user.id, ids)
             if signed_in is not None else set())
    return VoteControls(request, voted, set(ids))
