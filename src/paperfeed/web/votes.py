"""Upvotes: ``POST /papers/{arxiv_id}/vote`` with ``action`` ``up`` or ``unvote``.

Without JavaScript the form answers 303 back to ``next`` (a local path; the card's
``#paper-ID`` fragment brings the reader back to the same place on the page). With
``Accept: application/json`` (static/votes.js) it answers ``{"count": n, "voted": b}``.
A visitor who is not signed in is sent to the log-in page and back. The CSRF token is
checked first (403, nothing written), then the ``vote`` (per account) and
``vote_per_address`` rate limits (429 with Retry-After).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from paperfeed.community.votes import VoteRefused, VoteResult, set_vote
from paperfeed.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.storage.models import Paper
from paperfeed.storage.retry import run_transaction
from paperfeed.web.pages import PageNotFound, paper_path
from paperfeed.web.viewer import rate_limit, require_csrf, safe_next, utcnow, viewer

router = APIRouter(include_in_schema=False)

ACTIONS = {"up": True, "unvote": False}


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.post("/papers/{arxiv_id:path}/vote")
def vote(
    request: Request,
    arxiv_id: str,
    csrf: Annotated[str, Form(alias="csrf_token")] = "",
    action: Annotated[str, Form()] = "up",
    next_path: Annotated[str, Form(alias="next")] = "",
) -> Response:
    try:
        canonical = parse_arxiv_id(arxiv_id).id
    except InvalidArxivId:
        raise PageNotFound(f"“{arxiv_id[:80]}” is not an arXiv id.") from None
    back = safe_next(next_path, default=paper_path(canonical))
    signed_in = viewer(request)
    if signed_in is None:
        return RedirectResponse("/login?next=" + quote(back, safe="/"), status_code=303)
    require_csrf(request, csrf)
    if action not in ACTIONS:
        raise HTTPException(status_code=400, detail="A vote is either “up” or “unvote”.")
    rate_limit(request, "vote", account=str(signed_in.user.id))
    now = utcnow(request)

    def cast_vote(session: Session) -> VoteResult:
        paper_id = session.scalar(select(Paper.id).where(Paper.arxiv_id == canonical))
        if paper_id is None:
            raise PageNotFound(f"There is no paper {canonical} here.")
        return set_vote(session, signed_in.user.id, paper_id, ACTIONS[action], now)

    try:  # a deadlock is retried; a busy database answers 503 (paperfeed.web.busy)
        result = run_transaction(request.app.state.engine, cast_vote)
    except VoteRefused as exc:
        raise HTTPException(status_code=403, detail=str(exc)) from None
    if _wants_json(request):
        return JSONResponse({"count": result.count, "voted": result.voted},
                            headers={"Cache-Control": "no-store"})
    return RedirectResponse(back, status_code=303)
