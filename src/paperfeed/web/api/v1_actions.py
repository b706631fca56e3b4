"""The API's writes, each with a read-write token (see :mod:`paperfeed.web.api.auth`):

- ``POST /api/v1/papers/{id}/vote`` and ``DELETE /api/v1/papers/{id}/vote``: upvote,
  or take the upvote back; both are idempotent and answer the paper's count.
- ``POST /api/v1/submissions`` with ``{"id": "…"}`` (any form a reader may paste: an id,
  an abs/pdf URL, ``arXiv:…``): put the paper on today's list, as the submit form does.
- ``POST /api/v1/papers/{id}/comments`` with ``{"body": "…", "parent_id": null}``.

Request bodies are strict (unknown fields are a 422). The per-account limits of the
forms apply (``vote``, ``submit``, ``comment`` in ``[rate_limits]``) and so do the
daily submission cap and bans. Errors have the API's one shape.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from paperfeed.community.comments import DEFAULT_MAX_CHARS, CommentError, post_comment
from paperfeed.community.submit import SubmitKind, submit_paper
from paperfeed.community.votes import VoteRefused, set_vote
from paperfeed.config import Settings
from paperfeed.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.render.markdown import render_comment
from paperfeed.storage.models import Paper, User, Vote
from paperfeed.storage.retry import run_transaction
from paperfeed.web.api.auth import OptionalCaller, Writer
from paperfeed.web.api.errors import ERROR_RESPONSES, ApiError
from paperfeed.web.pages import paper_path
from paperfeed.web.submit import fetcher
from paperfeed.web.viewer import rate_limit, utcnow

router = APIRouter(prefix="/api/v1", tags=["actions"], responses=ERROR_RESPONSES)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VoteState(BaseModel):
    paper: str = Field(description="The paper's arXiv id")
    upvotes: int = Field(description="The paper's upvotes afterwards")
    voted: bool = Field(description="Whether the token's account upvotes it afterwards")


class SubmissionIn(Strict):
    id: str = Field(min_length=1, max_length=2000,
                    description="The paper: an arXiv id, abs/pdf URL or arXiv:… reference")


class Submission(BaseModel):
    paper: str = Field(description="The paper's arXiv id")
    url: str = Field(description="The paper's page on this site")
    day: str = Field(description="The list it was put on, YYYY-MM-DD")
    fetched: bool = Field(description="Whether the paper was new here and fetched from arXiv")


class CommentIn(Strict):
    body: str = Field(min_length=1, max_length=DEFAULT_MAX_CHARS, pattern=r"\S",
                      description="Markdown; $…$ for math (the site's comment length "
                      "limit applies)")
    parent_id: int | None = Field(default=None, ge=1, le=2**62,
                                  description="The comment this replies to, if any")


class CommentOut(BaseModel):
    id: int
    paper: str
    parent_id: int | None
    author: str
    body: str
    body_html: str
    created_at: str = Field(description="ISO 8601, UTC")
    url: str


def _paper_id(request: Request, arxiv_id: str) -> tuple[int, str]:
    try:
        canonical = parse_arxiv_id(arxiv_id).id
    except InvalidArxivId:
        raise ApiError(404, f"{arxiv_id[:80]!r} is not an arXiv id.") from None
    engine = request.app.state.engine
    with engine.connect() as conn:
        found = conn.scalar(select(Paper.id).where(Paper.arxiv_id == canonical))
    if found is None:
        raise ApiError(404, f"There is no paper {canonical} here.")
    return int(found), canonical


def _vote(request: Request, caller_id: int, arxiv_id: str, up: bool) -> VoteState:
    paper_id, canonical = _paper_id(request, arxiv_id)
    rate_limit(request, "vote", account=str(caller_id))
    try:  # retried after a deadlock; a busy database answers 503 (paperfeed.web.busy)
        result = set_vote(request.app.state.engine, caller_id, paper_id, up, utcnow(request))
    except VoteRefused as exc:
        raise ApiError(403, str(exc), "forbidden") from None
    return VoteState(paper=canonical, upvotes=result.count, voted=result.voted)


@router.get("/papers/{arxiv_id:path}/vote", response_model=VoteState,
            summary="A paper's upvotes, and whether the token's account upvotes it")
def vote_state(request: Request, arxiv_id: str, caller: OptionalCaller) -> VoteState:
    paper_id, canonical = _paper_id(request, arxiv_id)
    with request.app.state.sessions() as session:
        count = session.scalar(select(Paper.vote_count).where(Paper.id == paper_id)) or 0
        voted = caller is not None and session.scalar(select(Vote.id).where(
            Vote.paper_id == paper_id, Vote.user_id == caller.user_id)) is not None
    return VoteState(paper=canonical, upvotes=int(count), voted=voted)


@router.post("/papers/{arxiv_id:path}/vote", response_model=VoteState,
             summary="Upvote a paper (idempotent)")
def vote(request: Request, arxiv_id: str, caller: Writer) -> VoteState:
    return _vote(request, caller.user_id, arxiv_id, True)


@router.delete("/papers/{arxiv_id:path}/vote", response_model=VoteState,
               summary="Take an upvote back (idempotent)")
def unvote(request: Request, arxiv_id: str, caller: Writer) -> VoteState:
    return _vote(request, caller.user_id, arxiv_id, False)


SUBMIT_STATUS = {
    SubmitKind.BAD_INPUT: 422,
    SubmitKind.NOT_ARXIV: 422,
    SubmitKind.BANNED: 403,
    SubmitKind.ALREADY_LISTED: 409,
    SubmitKind.NOT_FOUND: 404,
    SubmitKind.WITHDRAWN: 422,
    SubmitKind.LIMIT_REACHED: 429,
    SubmitKind.FETCH_FAILED: 502,
}


def _until_tomorrow(now: datetime) -> str:
    tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time())
    return str(max(1, int((tomorrow - now).total_seconds())))


@router.post("/submissions", response_model=Submission, status_code=201,
             summary="Put a paper on today's list",
             responses={502: {"description": "arXiv could not be reached"}})
def submit(request: Request, payload: SubmissionIn, caller: Writer) -> Submission:
    rate_limit(request, "submit", account=str(caller.user_id))
    settings: Settings = request.app.state.settings
    now = utcnow(request)
    with request.app.state.sessions() as session:
        user = session.get(User, caller.user_id)
        if user is None:
            raise ApiError(401, "The token's account no longer exists.", "invalid_token")
        outcome = submit_paper(session, user, payload.id, now.date(), now, fetcher(request),
                               daily_cap=settings.submissions_per_day)
    if not outcome.ok or outcome.arxiv_id is None:
        status = SUBMIT_STATUS.get(outcome.kind, 422)
        headers = ({"Retry-After": _until_tomorrow(now)}
                   if outcome.kind is SubmitKind.LIMIT_REACHED else None)
        raise ApiError(status, outcome.message, outcome.kind.value, headers)
    base = settings.base_url.rstrip("/")
    return Submission(paper=outcome.arxiv_id, url=base + paper_path(outcome.arxiv_id),
                      day=now.date().isoformat(), fetched=outcome.fetched)


@router.post("/papers/{arxiv_id:path}/comments", response_model=CommentOut, status_code=201,
             summary="Comment on a paper, or reply to a comment")
def comment(request: Request, arxiv_id: str, payload: CommentIn, caller: Writer) -> CommentOut:
    paper_id, canonical = _paper_id(request, arxiv_id)
    settings: Settings = request.app.state.settings
    rate_limit(request, "comment", account=str(caller.user_id))
    now = utcnow(request)
    def write(session: Session) -> tuple[int, str, datetime]:
        user = session.get(User, caller.user_id)
        made = post_comment(session, user, paper_id, payload.body, payload.parent_id, now,
                            max_chars=settings.comment_max_chars)
        return made.id, made.body, made.created_at

    try:
        comment_id, body, created = run_transaction(request.app.state.engine, write)
    except CommentError as exc:
        status = 422 if exc.status == 400 else exc.status
        raise ApiError(status, exc.message) from None
    base = settings.base_url.rstrip("/")
    return CommentOut(
        id=comment_id, paper=canonical, parent_id=payload.parent_id, author=caller.username,
        body=body, body_html=str(render_comment(body)),
        created_at=created.isoformat(timespec="seconds") + "Z",
        url=f"{base}{paper_path(canonical)}#comment-{comment_id}",
    )
