"""The moderators' pages: ``/admin`` (the report queue, finding and banning accounts,
recently hidden content) and ``/admin/log`` (the moderation log, admins only), and the
forms that hide, restore, ban, unban and resolve reports.

Every page and form answers 403 to signed-in readers who are not moderators (``/admin/log``
to anyone but admins) and sends visitors to the log-in page. Every form checks its CSRF
token (403, nothing written, when missing or foreign) and returns with a 303 to its
``next`` field (a local path, ``/admin`` otherwise). The actions themselves, their rules
and their log lines are :mod:`paperfeed.community.moderation`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from paperfeed.accounts.sessions import SignedIn
from paperfeed.accounts.users import find_user
from paperfeed.community import moderation
from paperfeed.community.moderation import ModerationError
from paperfeed.storage.models import Comment, DailyEntry, Report, User
from paperfeed.storage.retry import run_transaction
from paperfeed.web.templating import render
from paperfeed.web.viewer import AdminDep, Csrf, ModeratorDep, require_csrf, safe_next, utcnow

router = APIRouter(include_in_schema=False)

LOG_PAGE_SIZE = 50
# What /admin says after a form sent the moderator back to it.
DONE = {
    "hide-comment": "The comment is hidden.",
    "restore-comment": "The comment is shown again.",
    "hide-entry": "The daily entry is hidden.",
    "restore-entry": "The daily entry is back on its list.",
    "ban": "The account is banned and its sessions have ended.",
    "unban": "The account can log in again.",
    "dismiss": "The report was dismissed.",
    "hide": "The reported content is hidden and its reports resolved.",
}

Next = Annotated[str, Form(alias="next")]
Note = Annotated[str, Form(max_length=2000)]

T = TypeVar("T")


class Refused(HTTPException):
    """A moderation action that cannot be done: 400 (or 404) with a way back."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(status_code=status, detail=message)
        self.links = [("/admin", "Back to moderation")]


# -- pages --------------------------------------------------------------------------------


@router.get("/admin")
def admin_page(
    request: Request, signed_in: ModeratorDep,
    user: Annotated[str, Query(max_length=64)] = "",
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    with request.app.state.sessions() as session:
        return render(request, "admin.html", {
            "me": signed_in.user,
            "queue": moderation.report_queue(session),
            "open_reports": moderation.open_report_count(session),
            "user_query": user,
            "users": moderation.find_users(session, user),
            "hidden_comments": moderation.hidden_comments(session),
            "hidden_entries": moderation.hidden_entries(session),
            "notice": DONE.get(done, ""),
        }, headers={"Cache-Control": "no-store"})


@router.get("/admin/log")
def log_page(
    request: Request, signed_in: AdminDep, page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    with request.app.state.sessions() as session:
        rows, total = moderation.log_page(session, page, LOG_PAGE_SIZE)
    pages = max(1, -(-total // LOG_PAGE_SIZE))
    return render(request, "admin_log.html", {
        "rows": rows, "total": total, "page": page, "pages": pages,
    }, headers={"Cache-Control": "no-store"})


# -- forms --------------------------------------------------------------------------------


def _back(next_path: str, done: str) -> RedirectResponse:
    target = safe_next(next_path, "/admin")
    if target == "/admin":
        target = f"/admin?done={done}"
    return RedirectResponse(target, status_code=303)


def _act(
    request: Request, signed_in: SignedIn, csrf: str,
    action: Callable[[Session, User, datetime], object],
) -> None:
    """Check the CSRF token, then run `action` with the moderator's current row in one
    write transaction (rolled back, and a 400 page, when the action is refused)."""
    require_csrf(request, csrf)
    now = utcnow(request)

    def act(session: Session) -> None:
        moderator = session.get(User, signed_in.user.id)
        if moderator is None:
            raise ModerationError("Your account no longer exists.")
        action(session, moderator, now)

    try:  # re-run after a deadlock; a busy database answers 503 (paperfeed.web.busy)
        run_transaction(request.app.state.engine, act)
    except ModerationError as exc:
        raise Refused(exc.message) from None


def _get(session: Session, model: type[T], row_id: int, what: str) -> T:
    row = session.get(model, row_id)
    if row is None:
        raise Refused(f"There is no {what} {row_id}.", 404)
    return row


def _target_user(session: Session, name: str) -> User:
    user = find_user(session, name[:64])
    if user is None:
        raise Refused(f"There is no account named “{name[:64]}”.", 404)
    return user


@router.post("/admin/comments/{comment_id}/hide")
def hide_comment(request: Request, signed_in: ModeratorDep, comment_id: int, csrf: Csrf = "",
                 next_path: Next = "", note: Note = "") -> Response:
    _act(request, signed_in, csrf, lambda s, mod, now: moderation.hide_comment(
        s, mod, _get(s, Comment, comment_id, "comment"), note, now))
    return _back(next_path, "hide-comment")


@router.post("/admin/comments/{comment_id}/restore")
def restore_comment(request: Request, signed_in: ModeratorDep, comment_id: int,
                    csrf: Csrf = "", next_path: Next = "", note: Note = "") -> Response:
    _act(request, signed_in, csrf, lambda s, mod, now: moderation.restore_comment(
        s, mod, _get(s, Comment, comment_id, "comment"), note, now))
    return _back(next_path, "restore-comment")


@router.post("/admin/entries/{entry_id}/hide")
def hide_entry(request: Request, signed_in: ModeratorDep, entry_id: int, csrf: Csrf = "",
               next_path: Next = "", note: Note = "") -> Response:
    _act(request, signed_in, csrf, lambda s, mod, now: moderation.hide_entry(
        s, mod, _get(s, DailyEntry, entry_id, "daily entry"), note, now))
    return _back(next_path, "hide-entry")


@router.post("/admin/entries/{entry_id}/restore")
def restore_entry(request: Request, signed_in: ModeratorDep, entry_id: int, csrf: Csrf = "",
                  next_path: Next = "", note: Note = "") -> Response:
    _act(request, signed_in, csrf, lambda s, mod, now: moderation.restore_entry(
        s, mod, _get(s, DailyEntry, entry_id, "daily entry"), note, now))
    return _back(next_path, "restore-entry")


@router.post("/admin/users/{name}/ban")
def ban(request: Request, signed_in: ModeratorDep, name: str, csrf: Csrf = "",
        next_path: Next = "", note: Note = "",
        hide_content: Annotated[str | None, Form()] = None) -> Response:
    _act(request, signed_in, csrf, lambda s, mod, now: moderation.ban_user(
        s, mod, _target_user(s, name), note, now, hide_content=hide_content is not None))
    return _back(next_path, "ban")


@router.post("/admin/users/{name}/unban")
def unban(request: Request, signed_in: ModeratorDep, name: str, csrf: Csrf = "",
          next_path: Next = "", note: Note = "") -> Response:
    _act(request, signed_in, csrf, lambda s, mod, now: moderation.unban_user(
        s, mod, _target_user(s, name), note, now))
    return _back(next_path, "unban")


@router.post("/admin/reports/{report_id}/dismiss")
def dismiss_report(request: Request, signed_in: ModeratorDep, report_id: int, csrf: Csrf = "",
                   next_path: Next = "", note: Note = "") -> Response:
    _act(request, signed_in, csrf, lambda s, mod, now: moderation.resolve_report(
        s, mod, _get(s, Report, report_id, "report"), "dismissed", note, now))
    return _back(next_path, "dismiss")


@router.post("/admin/reports/{report_id}/hide")
def hide_reported(request: Request, signed_in: ModeratorDep, report_id: int, csrf: Csrf = "",
                  next_path: Next = "", note: Note = "") -> Response:
    _act(request, signed_in, csrf, lambda s, mod, now: moderation.resolve_report(
        s, mod, _get(s, Report, report_id, "report"), "hidden", note, now))
    return _back(next_path, "hide")
