"""Comments in the browser: post and reply, edit, delete and report, and the thread the
paper page shows (:func:`comment_context`).

Every POST checks its CSRF token first: a missing or foreign token answers 403 with the
form again, what was typed kept and nothing written. Then the reader must be signed in
(otherwise a redirect to the log-in page), then the ``comment`` limits (per account and
per address; ``report`` for reports) apply: 429 with ``Retry-After``, the text kept.
Refusals (empty, too long, a reply to a deleted comment, the edit window passed) answer
on a comment form page with the text kept. A posted comment answers 303 to
``/papers/ID#comment-N``; with ``Accept: application/json`` (comments.js) the answers are
JSON, a new comment carrying its rendered HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session, joinedload

from paperfeed.accounts.sessions import SignedIn
from paperfeed.community.comments import (
    CommentError,
    can_delete,
    can_edit,
    check_body,
    check_edit,
    delete_comment,
    edit_comment,
    paper_comments,
    post_comment,
    report,
)
from paperfeed.config import Settings
from paperfeed.render.markdown import render_comment
from paperfeed.render.threads import Row, build_thread, flatten, visible_count
from paperfeed.storage import queries
from paperfeed.storage.models import Comment, Paper, User
from paperfeed.storage.retry import DatabaseBusy, run_transaction
from paperfeed.web import busy
from paperfeed.web.templating import environment, render
from paperfeed.web.viewer import (
    LoginRequired,
    TooManyRequests,
    UserDep,
    check_csrf,
    csrf_token,
    rate_limit,
    utcnow,
    viewer,
)

router = APIRouter(include_in_schema=False)

CSRF_MESSAGE = (
    "This form expired or did not come from this site; nothing was saved. Your text is "
    "below: check it and send it again."
)

Text = Annotated[str, Form()]
Csrf = Annotated[str, Form(alias="csrf_token")]
MAX_SHOWN = 200_000  # characters of a refused comment shown again in its form


def paper_path(arxiv_id: str) -> str:
    return "/papers/" + quote(arxiv_id, safe="/")


def comment_url(arxiv_id: str, comment_id: int) -> str:
    return f"{paper_path(arxiv_id)}#comment-{comment_id}"


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


# -- the thread on the paper page ---------------------------------------------------------


@dataclass(frozen=True)
class CommentItem:
    """One comment as the paper page shows it, with what the reader may do to it."""

    row: Row[Any]  # Row[Comment] (mypy cannot check the bound in class bodies)
    html: Markup
    can_reply: bool
    can_edit: bool
    can_delete: bool
    can_report: bool

    @property
    def comment(self) -> Comment:
        comment: Comment = self.row.comment
        return comment


def _item(row: Row[Any], user: User | None, settings: Settings, request: Request
          ) -> CommentItem:
    comment: Comment = row.comment
    shown = row.placeholder is None
    signed = user is not None and not user.is_banned
    return CommentItem(
        row=row,
        html=render_comment(comment.body) if shown else Markup(""),
        can_reply=shown and signed and not comment.hidden,
        can_edit=shown and can_edit(comment, user, utcnow(request),
                                    settings.comment_edit_minutes),
        can_delete=shown and can_delete(comment, user),
        can_report=shown and signed and user is not None and comment.user_id != user.id,
    )


def comment_context(request: Request, session: Session, paper: Paper) -> dict[str, Any]:
    """What the comments section of the paper page needs: ``thread`` (CommentItems in
    reading order), ``comment_total`` and ``comment_max_chars``."""
    signed_in = viewer(request)
    user = signed_in.user if signed_in else None
    comments = paper_comments(session, paper.id)
    rows = flatten(build_thread(comments, show_hidden=bool(user and user.is_moderator)))
    settings = _settings(request)
    return {
        "thread": [_item(row, user, settings, request) for row in rows],
        "comment_total": visible_count(comments),
        "comment_max_chars": settings.comment_max_chars,
    }


def _item_html(request: Request, session: Session, paper: Paper, comment_id: int) -> str:
    """The HTML of one comment as the page shows it, indented in its thread (for
    comments.js to put in place)."""
    items = comment_context(request, session, paper)["thread"]
    item = next(i for i in items if i.comment.id == comment_id)
    return environment().get_template("_comment.html").render(
        item=item, paper=paper, viewer=viewer(request), csrf_token=lambda: csrf_token(request),
        request=request,
    )


# -- form pages ----------------------------------------------------------------------------


def _form_page(
    request: Request, paper: Paper | None, *, mode: str, body: str = "", reason: str = "",
    error: str = "", notice: str = "", status: int = 200, parent: Comment | None = None,
    comment: Comment | None = None, headers: dict[str, str] | None = None,
) -> Response:
    """The comment form page: a new comment or reply (``new``), an edit (``edit``), a
    report (``report``), a delete (``delete``), or just a message (``notice``)."""
    if _wants_json(request):
        payload = {"error": error} if error else {"message": notice}
        return JSONResponse(payload, status_code=status, headers=headers)
    return render(request, "comment_form.html", {
        "paper": paper, "mode": mode, "body": body[:MAX_SHOWN], "reason": reason[:2000],
        "error": error, "notice": notice, "parent": parent, "comment": comment,
        "parent_html": render_comment(parent.body) if parent and not parent.deleted
        and not parent.hidden else Markup(""),
        "comment_max_chars": _settings(request).comment_max_chars,
    }, status_code=status, headers=headers)


def _load_paper(request: Request, arxiv_id: str) -> Paper:
    with request.app.state.sessions() as session:
        paper = queries.get_paper(session, arxiv_id)
    if paper is None:
        raise HTTPException(status_code=404, detail="There is no such paper.")
    return paper


def _load_comment(request: Request, comment_id: int) -> tuple[Comment, Paper]:
    with request.app.state.sessions() as session:
        comment = session.get(Comment, comment_id, options=[joinedload(Comment.user)])
        paper = session.get(Paper, comment.paper_id) if comment is not None else None
    if comment is None or paper is None:
        raise HTTPException(status_code=404, detail="There is no such comment.")
    return comment, paper


def _signed_in(request: Request, back: str) -> SignedIn:
    signed_in = viewer(request)
    if signed_in is None:
        raise LoginRequired(back)
    return signed_in


def _limit(request: Request, action: str, signed_in: SignedIn) -> TooManyRequests | None:
    try:
        rate_limit(request, action, account=signed_in.user.username_key)
    except TooManyRequests as exc:
        return exc
    return None


# -- posting -----------------------------------------------------------------------------


@router.post("/papers/{arxiv_id:path}/comments")
def post(
    request: Request, arxiv_id: str, csrf: Csrf = "", body: Text = "", parent_id: Text = "",
) -> Response:
    """A new comment on the paper, or a reply to `parent_id`."""
    paper = _load_paper(request, arxiv_id)
    parent_key = int(parent_id) if parent_id.isdigit() and len(parent_id) < 19 else None
    parent = None
    if parent_key is not None:
        with request.app.state.sessions() as session:
            parent = session.get(Comment, parent_key, options=[joinedload(Comment.user)])

    def again(error: str, status: int, headers: dict[str, str] | None = None) -> Response:
        return _form_page(request, paper, mode="new", body=body, error=error, status=status,
                          parent=parent, headers=headers)

    if not check_csrf(request, csrf):
        return again(CSRF_MESSAGE, 403)
    signed_in = _signed_in(request, paper_path(paper.arxiv_id))
    settings = _settings(request)
    try:
        check_body(body, settings.comment_max_chars)  # refused before anything counts
    except CommentError as exc:
        return again(exc.message, exc.status)
    now = utcnow(request)

    def write(session: Session) -> int:
        user = session.get(User, signed_in.user.id)
        return post_comment(session, user, paper.id, body, parent_key, now,
                            max_chars=settings.comment_max_chars).id

    try:
        limited = _limit(request, "comment", signed_in)
        if limited is not None:
            return again(str(limited.detail), 429, dict(limited.headers or {}))
        comment_id = run_transaction(request.app.state.engine, write)
    except CommentError as exc:
        return again(exc.message, exc.status)
    except DatabaseBusy as exc:  # the form again, with what the reader wrote
        return again(busy.MESSAGE, 503, busy.headers_for(exc))
    url = comment_url(paper.arxiv_id, comment_id)
    if _wants_json(request):
        with request.app.state.sessions() as session:
            html = _item_html(request, session, paper, comment_id)
        return JSONResponse({"id": comment_id, "parent_id": parent_key, "url": url,
                             "html": html}, status_code=201)
    return RedirectResponse(url, status_code=303)


@router.get("/comments/{comment_id}/reply")
def reply_form(request: Request, comment_id: int, signed_in: UserDep) -> Response:
    """The reply form on a page of its own (the paper page has one in place too)."""
    comment, paper = _load_comment(request, comment_id)
    if comment.deleted or comment.hidden:
        return _form_page(request, paper, mode="notice", status=404,
                          error="That comment was deleted or hidden.")
    return _form_page(request, paper, mode="new", parent=comment)


# -- editing -------------------------------------------------------------------------------


@router.get("/comments/{comment_id}/edit")
def edit_form(request: Request, comment_id: int, signed_in: UserDep) -> Response:
    comment, paper = _load_comment(request, comment_id)
    minutes = _settings(request).comment_edit_minutes
    try:
        check_edit(comment, signed_in.user, utcnow(request), minutes)
    except CommentError as exc:
        return _form_page(request, paper, mode="notice", error=exc.message, status=exc.status,
                          comment=comment)
    return _form_page(request, paper, mode="edit", body=comment.body, comment=comment)


@router.post("/comments/{comment_id}/edit")
def edit(request: Request, comment_id: int, csrf: Csrf = "", body: Text = "") -> Response:
    comment, paper = _load_comment(request, comment_id)

    def again(error: str, status: int, headers: dict[str, str] | None = None) -> Response:
        return _form_page(request, paper, mode="edit", body=body, error=error, status=status,
                          comment=comment, headers=headers)

    if not check_csrf(request, csrf):
        return again(CSRF_MESSAGE, 403)
    signed_in = _signed_in(request, f"/comments/{comment_id}/edit")
    settings = _settings(request)
    try:
        check_edit(comment, signed_in.user, utcnow(request), settings.comment_edit_minutes)
        check_body(body, settings.comment_max_chars)
    except CommentError as exc:
        return again(exc.message, exc.status)
    now = utcnow(request)

    def write(session: Session) -> None:
        edit_comment(session, session.get(User, signed_in.user.id), comment_id, body, now,
                     edit_minutes=settings.comment_edit_minutes,
                     max_chars=settings.comment_max_chars)

    try:
        limited = _limit(request, "comment", signed_in)
        if limited is not None:
            return again(str(limited.detail), 429, dict(limited.headers or {}))
        run_transaction(request.app.state.engine, write)
    except CommentError as exc:
        return again(exc.message, exc.status)
    except DatabaseBusy as exc:  # the form again, with what the reader wrote
        return again(busy.MESSAGE, 503, busy.headers_for(exc))
    url = comment_url(paper.arxiv_id, comment_id)
    if _wants_json(request):
        return JSONResponse({"id": comment_id, "url": url})
    return RedirectResponse(url, status_code=303)


# -- deleting and reporting -----------------------------------------------------------------


@router.post("/comments/{comment_id}/delete")
def delete(request: Request, comment_id: int, csrf: Csrf = "") -> Response:
    comment, paper = _load_comment(request, comment_id)
    if not check_csrf(request, csrf):
        return _form_page(request, paper, mode="delete", error=CSRF_MESSAGE, status=403,
                          comment=comment)
    signed_in = _signed_in(request, paper_path(paper.arxiv_id))
    try:
        run_transaction(request.app.state.engine, lambda session: delete_comment(
            session, session.get(User, signed_in.user.id), comment_id))
    except CommentError as exc:
        return _form_page(request, paper, mode="notice", error=exc.message, status=exc.status,
                          comment=comment)
    url = comment_url(paper.arxiv_id, comment_id)
    if _wants_json(request):
        return JSONResponse({"id": comment_id, "url": url, "deleted": True})
    return RedirectResponse(url, status_code=303)


@router.post("/comments/{comment_id}/report")
def report_form(
    request: Request, comment_id: int, csrf: Csrf = "", reason: Text = "",
) -> Response:
    comment, paper = _load_comment(request, comment_id)

    def again(error: str, status: int, headers: dict[str, str] | None = None) -> Response:
        return _form_page(request, paper, mode="report", reason=reason, error=error,
                          status=status, comment=comment, headers=headers)

    if not check_csrf(request, csrf):
        return again(CSRF_MESSAGE, 403)
    signed_in = _signed_in(request, paper_path(paper.arxiv_id))
    now = utcnow(request)
    try:
        limited = _limit(request, "report", signed_in)
        if limited is not None:
            return again(str(limited.detail), 429, dict(limited.headers or {}))
        thanks = run_transaction(request.app.state.engine, lambda session: report(
            session, session.get(User, signed_in.user.id), comment_id, reason, now))
    except CommentError as exc:
        return again(exc.message, exc.status)
    except DatabaseBusy as exc:  # the form again, with what the reader wrote
        return again(busy.MESSAGE, 503, busy.headers_for(exc))
    return _form_page(request, paper, mode="notice", notice=thanks, comment=comment)
